package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feedClient is a client over memstore that reads its event feed.
type feedClient struct {
	*client
	log scim.EventLog
	at  int64 // cursor of the last event read
}

func newFeedClient(t *testing.T, opts ...scim.Option) *feedClient {
	t.Helper()
	users, groups := memstore.New()
	return &feedClient{client: newClientFor(t, users, groups, opts...), log: users}
}

// next returns the events recorded since the last call.
func (c *feedClient) next() []scim.Event {
	c.t.Helper()
	evs, err := c.log.Events(context.Background(), c.at, 1000)
	require.NoError(c.t, err)
	if len(evs) > 0 {
		c.at = evs[len(evs)-1].Cursor
	}
	return evs
}

func types(evs []scim.Event) []scim.EventType {
	out := []scim.EventType{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func (c *feedClient) createUser(name string) string {
	c.t.Helper()
	r := c.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`","active":true,"externalId":"x-`+name+`"}`)
	require.Equal(c.t, http.StatusCreated, r.status, "%s", r.body)
	return r.json["id"].(string)
}

func TestEventsUserCreated(t *testing.T) {
	c := newFeedClient(t)
	id := c.createUser("ada")
	evs := c.next()
	require.Len(t, evs, 1)
	e := evs[0]
	assert.Equal(t, scim.EventUserCreated, e.Type)
	assert.Equal(t, int64(1), e.Cursor)
	assert.Equal(t, "User", e.ResourceType)
	assert.Equal(t, id, e.ResourceID)
	assert.Equal(t, "x-ada", e.ExternalID)
	assert.NotEmpty(t, e.ID)
	assert.NotEmpty(t, e.Version)
	assert.False(t, e.Time.IsZero())
	var snap map[string]any
	require.NoError(t, json.Unmarshal(e.Snapshot, &snap))
	assert.Equal(t, "ada", snap["userName"])
	assert.Equal(t, id, snap["id"])
	assert.Contains(t, snap["meta"].(map[string]any)["location"], "/scim/v2/Users/"+id)
}

// Every shape of request that identity providers send to deactivate a
// user yields exactly one user.deactivated, and nothing else.
func TestEventsDeactivationShapes(t *testing.T) {
	shapes := map[string]func(c *feedClient, id string) *response{
		"entra string boolean": func(c *feedClient, id string) *response {
			return c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
		},
		"path-less": func(c *feedClient, id string) *response {
			return c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
		},
		"okta put": func(c *feedClient, id string) *response {
			return c.do(http.MethodPut, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","active":false,"externalId":"x-ada"}`)
		},
		"bulk patch": func(c *feedClient, id string) *response {
			return c.do(http.MethodPost, "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"PATCH","path":"/Users/`+id+`","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}}]}`)
		},
	}
	for name, send := range shapes {
		t.Run(name, func(t *testing.T) {
			c := newFeedClient(t)
			id := c.createUser("ada")
			c.next()
			r := send(c, id)
			require.Less(t, r.status, 300, "%s", r.body)
			evs := c.next()
			require.Equal(t, []scim.EventType{scim.EventUserDeactivated}, types(evs))
			assert.Equal(t, id, evs[0].ResourceID)
			var snap map[string]any
			require.NoError(t, json.Unmarshal(evs[0].Snapshot, &snap))
			assert.Equal(t, false, snap["active"])

			// Sending it again changes nothing, so there is no event.
			send(c, id)
			assert.Empty(t, c.next())

			r = c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`)
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, []scim.EventType{scim.EventUserReactivated}, types(c.next()))
		})
	}
}

func TestEventsUserUpdatedPaths(t *testing.T) {
	c := newFeedClient(t)
	id := c.createUser("ada")
	mgr := c.createUser("boss")
	c.next()
	r := c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"add","path":"name.familyName","value":"Lovelace"},
		{"op":"add","path":"emails","value":[{"value":"ada@example.com","type":"work"}]},
		{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"`+mgr+`"}}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	evs := c.next()
	require.Equal(t, []scim.EventType{scim.EventUserUpdated}, types(evs))
	assert.Equal(t, []string{"emails", "name.familyName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}, evs[0].ChangedAttributes)

	// A deactivation that also renames yields both events.
	r = c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false,"userName":"ada2"}}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	evs = c.next()
	require.Equal(t, []scim.EventType{scim.EventUserDeactivated, scim.EventUserUpdated}, types(evs))
	assert.Equal(t, []string{"userName"}, evs[1].ChangedAttributes)
}

func TestEventsNoneForFailuresAndNoOps(t *testing.T) {
	c := newFeedClient(t)
	id := c.createUser("ada")
	c.next()
	// A no-op PATCH.
	r := c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"ada"}]}`)
	require.Equal(t, http.StatusOK, r.status)
	// An If-Match mismatch.
	r = c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"x"}]}`, "If-Match", `W/"nope"`)
	require.Equal(t, http.StatusPreconditionFailed, r.status)
	r = c.do(http.MethodDelete, "/Users/"+id, "", "If-Match", `W/"nope"`)
	require.Equal(t, http.StatusPreconditionFailed, r.status)
	// A conflict and a bad request.
	r = c.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ADA"}`)
	require.Equal(t, http.StatusConflict, r.status)
	r = c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	// A bulk request whose second operation fails: one event, for the first.
	r = c.do(http.MethodPost, "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}},
		{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}}]}`)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, []scim.EventType{scim.EventUserCreated}, types(c.next()))
}

func TestEventsGroupMembership(t *testing.T) {
	c := newFeedClient(t)
	u1, u2 := c.createUser("ada"), c.createUser("bob")
	r := c.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"`+u1+`"}]}`)
	require.Equal(t, http.StatusCreated, r.status)
	gid := r.json["id"].(string)
	evs := c.next()
	require.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventUserCreated, scim.EventGroupCreated, scim.EventGroupMembersAdded}, types(evs))
	assert.Equal(t, []string{u1}, evs[3].MemberIDs)
	var snap map[string]any
	require.NoError(t, json.Unmarshal(evs[2].Snapshot, &snap))
	assert.NotContains(t, snap, "members", "a group's snapshot leaves its members out")

	// The member fast path (memstore is a MemberPatcher): the event names
	// the members that changed, and an add of a member that is one already
	// is no event.
	r = c.do(http.MethodPatch, "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+u1+`"},{"value":"`+u2+`"}]}]}`)
	require.Less(t, r.status, 300)
	evs = c.next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersAdded}, types(evs))
	assert.Equal(t, []string{u2}, evs[0].MemberIDs)
	r = c.do(http.MethodPatch, "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}]}`)
	require.Less(t, r.status, 300)
	assert.Empty(t, c.next())

	// PUT renames and changes members.
	r = c.do(http.MethodPut, "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"engineering","members":[{"value":"`+u2+`"}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	evs = c.next()
	require.Equal(t, []scim.EventType{scim.EventGroupUpdated, scim.EventGroupMembersRemoved}, types(evs))
	assert.Equal(t, []string{"displayName"}, evs[0].ChangedAttributes)
	assert.Equal(t, []string{u1}, evs[1].MemberIDs)

	// Deleting a user who is in groups removes it from each.
	r = c.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ops","members":[{"value":"`+u2+`"}]}`)
	require.Equal(t, http.StatusCreated, r.status)
	g2 := r.json["id"].(string)
	c.next()
	require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, "/Users/"+u2, "").status)
	evs = c.next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersRemoved, scim.EventGroupMembersRemoved, scim.EventUserDeleted}, types(evs))
	assert.ElementsMatch(t, []string{gid, g2}, []string{evs[0].ResourceID, evs[1].ResourceID})
	assert.Equal(t, []string{u2}, evs[0].MemberIDs)
	require.NoError(t, json.Unmarshal(evs[2].Snapshot, &snap))
	assert.Equal(t, "bob", snap["userName"], "a deletion carries the last state")

	require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, "/Groups/"+gid, "").status)
	assert.Equal(t, []scim.EventType{scim.EventGroupDeleted}, types(c.next()))
}

func TestEventsTenantsAreIsolated(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		return scim.ContextWithTenant(r.Context(), r.Header.Get("Authorization")), nil
	})))
	for _, tenant := range []string{"a", "b", "a"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+scim.NewID()+`"}`))
		req.Header.Set("Authorization", tenant)
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	}
	evsA, err := users.Events(scim.ContextWithTenant(context.Background(), "a"), 0, 100)
	require.NoError(t, err)
	evsB, err := users.Events(scim.ContextWithTenant(context.Background(), "b"), 0, 100)
	require.NoError(t, err)
	require.Len(t, evsA, 2)
	require.Len(t, evsB, 1)
	assert.Equal(t, []int64{1, 2}, []int64{evsA[0].Cursor, evsA[1].Cursor}, "each tenant's cursors are its own")
	for _, e := range evsA {
		assert.Equal(t, "a", e.Tenant)
	}
	assert.Equal(t, "b", evsB[0].Tenant)
}

func TestEventsRetentionExpiresCursor(t *testing.T) {
	users, groups := memstore.New(memstore.WithEventRetention(2))
	c := &feedClient{client: newClientFor(t, users, groups), log: users}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		c.createUser(n)
	}
	_, err := users.Events(context.Background(), 0, 10)
	require.ErrorIs(t, err, scim.ErrCursorExpired)
	last, err := users.LastCursor(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(5), last)
	evs, err := users.Events(context.Background(), 3, 10)
	require.NoError(t, err)
	assert.Len(t, evs, 2)
}

// A store that does not record events still has them delivered to the
// sink, with cursor 0.
func TestEventSinkWithoutRecordingStore(t *testing.T) {
	users, groups := memstore.New(memstore.WithEventRetention(0))
	var mu sync.Mutex
	var got []scim.Event
	c := newClientFor(t, users, groups, scim.WithEventSink(func(_ context.Context, evs []scim.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, evs...)
	}))
	r := c.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`)
	require.Equal(t, http.StatusCreated, r.status)
	id := r.json["id"].(string)
	r = c.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"`+id+`"}]}`)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, "/Users/"+id, "").status)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventGroupCreated, scim.EventGroupMembersAdded, scim.EventGroupMembersRemoved, scim.EventUserDeleted}, types(got))
	for _, e := range got {
		assert.Zero(t, e.Cursor)
	}
	evs, err := users.Events(context.Background(), 0, 10)
	require.NoError(t, err)
	assert.Empty(t, evs, "a store configured not to record events has none")
}

func TestEventsNotify(t *testing.T) {
	c := newFeedClient(t)
	ch := c.log.(scim.EventNotifier).EventsNotify(context.Background())
	select {
	case <-ch:
		t.Fatal("woken before any event")
	default:
	}
	c.createUser("ada")
	<-ch // closed by the write; a hang here fails the test by timeout
}

// A store without an event feed of its own still hands its writes'
// events to a sink, after each write.
func ExampleWithEventSink() {
	users, groups := memstore.New(memstore.WithEventRetention(0)) // as if it recorded none
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(),
		scim.WithEventSink(func(ctx context.Context, events []scim.Event) {
			for _, e := range events {
				fmt.Println(e.Type, e.ChangedAttributes)
			}
		}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, strings.TrimPrefix(w.Header().Get("Location"), "http://example.com"),
		strings.NewReader(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false,"name.familyName":"Lovelace"}}]}`)))
	// Output:
	// user.created []
	// user.deactivated []
	// user.updated [name.familyName]
}
