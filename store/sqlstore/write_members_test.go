package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// Member PATCHes through the handler with events, on both dialects (on
// PostgreSQL the statement that changes the members records the events):
// each PATCH that changes members records one members_added and one
// members_removed event at most, naming the members it changed, at the
// group's version after it; a PATCH that changes nothing, or fails,
// records nothing; the feed holds exactly what the sink was given.
func TestMemberPatchEventsThroughTheHandler(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		var (
			mu   sync.Mutex
			sunk []scim.Event
		)
		h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithEventSink(func(_ context.Context, evs []scim.Event) {
			mu.Lock()
			defer mu.Unlock()
			sunk = append(sunk, evs...)
		}))
		ctx := context.Background()
		var ids []string
		for _, name := range []string{"u1", "u2", "u3"} {
			ids = append(ids, post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
		}
		u1, u2, u3 := ids[0], ids[1], ids[2]
		// An externalId that JSON must escape, and that Go and PostgreSQL
		// escape differently.
		const ext = `g "1" <&> é\`
		g := post(t, h, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","externalId":`+jsonString(ext)+`}`)
		last := must[int64](t)(users.LastCursor(ctx))

		patch := func(ops string) int {
			t.Helper()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, "/Groups/"+g+"?excludedAttributes=members",
				strings.NewReader(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)))
			return w.Code
		}
		version := func() string {
			t.Helper()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/Groups/"+g+"?attributes=displayName", nil))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			return w.Header().Get("ETag")
		}
		add := func(id string) string { return `{"op":"add","path":"members","value":[{"value":"` + id + `"}]}` }
		remove := func(id string) string { return `{"op":"remove","path":"members[value eq \"` + id + `\"]"}` }
		type want struct {
			typ     scim.EventType
			members []string
		}
		for _, step := range []struct {
			name string
			ops  string
			code int
			want []want
		}{
			{"add two", `[{"op":"add","path":"members","value":[{"value":"` + u1 + `"},{"value":"` + u2 + `"}]}]`, 200,
				[]want{{scim.EventGroupMembersAdded, []string{u1, u2}}}},
			{"add a member", "[" + add(u1) + "]", 200, nil},
			{"add an unknown member", "[" + add(u3) + "," + add("no-such-user") + "]", 400, nil},
			{"remove one", "[" + remove(u2) + "]", 200, []want{{scim.EventGroupMembersRemoved, []string{u2}}}},
			{"remove a non-member", "[" + remove(u3) + "]", 200, nil},
			{"add and remove", "[" + add(u3) + "," + remove(u1) + "]", 200,
				[]want{{scim.EventGroupMembersAdded, []string{u3}}, {scim.EventGroupMembersRemoved, []string{u1}}}},
			{"add, and remove a non-member", "[" + add(u2) + "," + remove(u1) + "]", 200, []want{{scim.EventGroupMembersAdded, []string{u2}}}},
			{"add a member, and remove", "[" + add(u2) + "," + remove(u3) + "]", 200, []want{{scim.EventGroupMembersRemoved, []string{u3}}}},
		} {
			code := patch(step.ops)
			require.Equal(t, step.code, code, step.name)
			evs := must[[]scim.Event](t)(users.Events(ctx, last, 100))
			require.Len(t, evs, len(step.want), step.name)
			v := version()
			require.NotEmpty(t, v)
			for i, w := range step.want {
				e := evs[i]
				assert.Equal(t, w.typ, e.Type, step.name)
				assert.ElementsMatch(t, w.members, e.MemberIDs, step.name)
				assert.Equal(t, v, e.Version, "%s: the group's version after the write", step.name)
				assert.Equal(t, "Group", e.ResourceType, step.name)
				assert.Equal(t, g, e.ResourceID, step.name)
				assert.Equal(t, ext, e.ExternalID, step.name)
				assert.Greater(t, e.Cursor, last, step.name)
				last = e.Cursor
			}
		}
		all := must[[]scim.Event](t)(users.Events(ctx, 0, 100))
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, sunk, len(all))
		members := 0
		for i, e := range all {
			assert.NotEmpty(t, e.ID)
			if e.Type != scim.EventGroupMembersAdded && e.Type != scim.EventGroupMembersRemoved {
				// group.created's snapshot is the same JSON, escaped
				// differently.
				assert.Equal(t, sunk[i].ID, e.ID)
				assert.Equal(t, sunk[i].Cursor, e.Cursor)
				continue
			}
			members++
			assert.Equal(t, sunk[i], e, "the sink got the event of the feed: id, time, cursor and all")
		}
		assert.Equal(t, 6, members)
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Group creates through the handler with events, on both dialects (on
// PostgreSQL one statement): a create records group.created and
// members_added at the new group's version, and the members are stored in
// their order; a create with a member that names nothing, or with a
// taken name under the unique-names rule, stores and records nothing.
func TestGroupCreateEventsThroughTheHandler(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		var (
			mu   sync.Mutex
			sunk []scim.Event
		)
		h := scim.NewHandler(users, groups, scim.WithoutAuthentication(),
			scim.WithEventSink(func(_ context.Context, evs []scim.Event) {
				mu.Lock()
				defer mu.Unlock()
				sunk = append(sunk, evs...)
			}))
		ctx := context.Background()
		var ids []string
		for _, name := range []string{"u1", "u2", "u3"} {
			ids = append(ids, post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
		}
		last := must[int64](t)(users.LastCursor(ctx))
		create := func(body string) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Groups", strings.NewReader(body)))
			return w
		}
		members := `[{"value":"` + ids[2] + `"},{"value":"` + ids[0] + `"},{"value":"` + ids[1] + `"}]`
		w := create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","externalId":"x-1","members":` + members + `}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		var res struct {
			ID      string
			Members []struct{ Value string }
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &res))
		version := w.Header().Get("ETag")
		require.NotEmpty(t, version)
		evs := must[[]scim.Event](t)(users.Events(ctx, last, 100))
		require.Len(t, evs, 2)
		assert.Equal(t, scim.EventGroupCreated, evs[0].Type)
		assert.Equal(t, scim.EventGroupMembersAdded, evs[1].Type)
		assert.Equal(t, []string{ids[2], ids[0], ids[1]}, evs[1].MemberIDs)
		for _, e := range evs {
			assert.Equal(t, res.ID, e.ResourceID)
			assert.Equal(t, version, e.Version)
			assert.Equal(t, "x-1", e.ExternalID)
			assert.Greater(t, e.Cursor, last)
			last = e.Cursor
		}
		r := httptest.NewRecorder()
		h.ServeHTTP(r, httptest.NewRequest(http.MethodGet, "/Groups/"+res.ID, nil))
		require.Equal(t, http.StatusOK, r.Code)
		var got struct{ Members []struct{ Value string } }
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &got))
		assert.Equal(t, res.Members, got.Members, "the members in their order")
		require.Len(t, got.Members, 3)
		assert.Equal(t, ids[2], got.Members[0].Value)

		// Refused creates store and record nothing.
		w = create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ops","members":[{"value":"` + ids[0] + `"},{"value":"nobody"}]}`)
		assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		assert.Contains(t, w.Body.String(), "nobody")
		w = create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ENG","members":[{"value":"` + ids[0] + `"}]}`)
		assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
		assert.Empty(t, must[[]scim.Event](t)(users.Events(ctx, last, 100)))
		page := must[*scim.Page[scim.Group]](t)(groups.List(ctx, &scim.Query{StartIndex: 1, Count: 10}))
		assert.Equal(t, 1, page.TotalResults)

		// A create without members records group.created alone.
		w = create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ops"}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		evs = must[[]scim.Event](t)(users.Events(ctx, last, 100))
		require.Len(t, evs, 1)
		assert.Equal(t, scim.EventGroupCreated, evs[0].Type)

		all := must[[]scim.Event](t)(users.Events(ctx, 0, 100))
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, sunk, len(all))
		for i := range all {
			assert.Equal(t, sunk[i].ID, all[i].ID)
			assert.Equal(t, sunk[i].Cursor, all[i].Cursor)
		}
	})
}
