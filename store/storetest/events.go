package storetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// The feed contract, for stores that record events ([scim.EventRecorder])
// and serve them ([scim.EventLog]): the suite drives the store through the
// handler, which is what hands a store its events.

// CursorStore is the persisted cursor of named consumers that a store may
// keep (memstore and sqlstore do); the suite checks it when the user store
// has it.
type CursorStore interface {
	LoadCursor(ctx context.Context, consumer string) (int64, error)
	SaveCursor(ctx context.Context, consumer string, cursor int64) error
}

// feed drives a handler over the env's stores.
type feed struct {
	t   *testing.T
	e   *env
	h   http.Handler
	log scim.EventLog
}

func (e *env) feed(t *testing.T) *feed {
	rec, ok := e.users.(scim.EventRecorder)
	log, ok2 := e.users.(scim.EventLog)
	if !ok || !ok2 || !rec.RecordsEvents() {
		t.Skip("storetest: the user store records no events (scim.EventRecorder and scim.EventLog)")
	}
	h := scim.NewHandler(e.users, e.groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		if r.Header.Get("X-Tenant") == "b" {
			return e.tenantB, nil
		}
		return e.ctx, nil
	})))
	return &feed{t: t, e: e, h: h, log: log}
}

// do sends a request as tenant a (or b) and returns the status and the
// created resource's id, if any.
func (f *feed) do(tenant, method, path, body string, header ...string) (int, string) {
	f.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/scim+json")
	r.Header.Set("X-Tenant", tenant)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	id := ""
	if loc := w.Header().Get("Location"); loc != "" {
		id = loc[strings.LastIndexByte(loc, '/')+1:]
	}
	return w.Code, id
}

func (f *feed) read(ctx context.Context, after int64, limit int) []scim.Event {
	f.t.Helper()
	evs, err := f.log.Events(ctx, after, limit)
	require.NoError(f.t, err, "Events(%d, %d)", after, limit)
	return evs
}

func eventTypes(evs []scim.Event) []scim.EventType {
	out := []scim.EventType{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

const patchOp = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`

func testEventFeed(t *testing.T, e *env) {
	f := e.feed(t)
	ctx := e.ctx
	start, err := f.log.LastCursor(ctx)
	require.NoError(t, err)
	require.Empty(t, f.read(ctx, start, 100), "a feed with nothing new")

	status, alice := f.do("a", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","active":true}`)
	require.Equal(t, http.StatusCreated, status)
	status, _ = f.do("a", http.MethodPatch, "/Users/"+alice, patchOp+`[{"op":"Replace","path":"active","value":"False"}]}`)
	require.Equal(t, http.StatusOK, status)
	// Refused and no-op writes have no events.
	status, _ = f.do("a", http.MethodPatch, "/Users/"+alice, patchOp+`[{"op":"replace","path":"active","value":true}]}`, "If-Match", `W/"not-a-version"`)
	require.Equal(t, http.StatusPreconditionFailed, status)
	status, _ = f.do("a", http.MethodPatch, "/Users/"+alice, patchOp+`[{"op":"replace","path":"active","value":false}]}`)
	require.Equal(t, http.StatusOK, status)
	status, group := f.do("a", http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"`+alice+`"}]}`)
	require.Equal(t, http.StatusCreated, status)
	status, bob := f.do("a", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}`)
	require.Equal(t, http.StatusCreated, status)
	status, _ = f.do("a", http.MethodPatch, "/Groups/"+group, patchOp+`[{"op":"add","path":"members","value":[{"value":"`+bob+`"},{"value":"`+alice+`"}]}]}`)
	require.True(t, status < 300, "PATCH members: %d", status)
	status, _ = f.do("a", http.MethodDelete, "/Users/"+alice, "")
	require.Equal(t, http.StatusNoContent, status)

	evs := f.read(ctx, start, 100)
	require.Equal(t, []scim.EventType{
		scim.EventUserCreated, scim.EventUserDeactivated,
		scim.EventGroupCreated, scim.EventGroupMembersAdded,
		scim.EventUserCreated, scim.EventGroupMembersAdded,
		scim.EventGroupMembersRemoved, scim.EventUserDeleted,
	}, eventTypes(evs))
	ids := map[string]bool{}
	prev := start
	for _, ev := range evs {
		require.True(t, ev.Cursor > prev, "cursors increase (a store may leave gaps): %d after %d", ev.Cursor, prev)
		prev = ev.Cursor
		require.False(t, ids[ev.ID], "event ids are unique")
		ids[ev.ID] = true
		require.Equal(t, evs[0].Tenant, ev.Tenant)
		require.False(t, ev.Time.IsZero())
	}
	require.Equal(t, alice, evs[0].ResourceID)
	require.NotEmpty(t, evs[0].Snapshot)
	require.Equal(t, []string{alice}, evs[3].MemberIDs)
	require.Equal(t, []string{bob}, evs[5].MemberIDs, "only the member that was added")
	require.Equal(t, group, evs[6].ResourceID)
	require.Equal(t, []string{alice}, evs[6].MemberIDs, "a deleted user leaves its groups")
	require.NotEmpty(t, evs[7].Snapshot, "a deletion carries the last state")

	// Pages.
	page := f.read(ctx, start, 3)
	require.Len(t, page, 3)
	rest := f.read(ctx, page[2].Cursor, 100)
	require.Len(t, rest, len(evs)-3)
	require.Equal(t, evs[3].ID, rest[0].ID)
	last, err := f.log.LastCursor(ctx)
	require.NoError(t, err)
	require.Equal(t, evs[len(evs)-1].Cursor, last)
	require.Empty(t, f.read(ctx, last, 100))

	if e.tenantB != nil {
		// Tenant B's feed shows nothing of A's, and its writes only its own.
		lastB, err := f.log.LastCursor(e.tenantB)
		require.NoError(t, err)
		require.Empty(t, f.read(e.tenantB, lastB, 100))
		status, _ = f.do("b", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol"}`)
		require.Equal(t, http.StatusCreated, status)
		evsB := f.read(e.tenantB, lastB, 100)
		require.Equal(t, []scim.EventType{scim.EventUserCreated}, eventTypes(evsB))
		require.NotEqual(t, evs[0].Tenant, evsB[0].Tenant)
		require.Empty(t, f.read(ctx, last, 100), "B's write is not in A's feed")
	}
}

func testEventNotify(t *testing.T, e *env) {
	f := e.feed(t)
	n, ok := e.users.(scim.EventNotifier)
	if !ok {
		t.Skip("storetest: the user store is no scim.EventNotifier")
	}
	ch := n.EventsNotify(e.ctx)
	status, _ := f.do("a", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice"}`)
	require.Equal(t, http.StatusCreated, status)
	<-ch // closed by the write; a hang fails the test by its timeout
}

func testEventCursors(t *testing.T, e *env) {
	cs, ok := e.users.(CursorStore)
	if !ok {
		t.Skip("storetest: the user store keeps no consumer cursors")
	}
	c, err := cs.LoadCursor(e.ctx, "mailer")
	require.NoError(t, err)
	require.Zero(t, c, "an unknown consumer starts at 0")
	require.NoError(t, cs.SaveCursor(e.ctx, "mailer", 41))
	require.NoError(t, cs.SaveCursor(e.ctx, "mailer", 42))
	require.NoError(t, cs.SaveCursor(e.ctx, "audit", 7))
	c, err = cs.LoadCursor(e.ctx, "mailer")
	require.NoError(t, err)
	require.Equal(t, int64(42), c)
	c, err = cs.LoadCursor(e.ctx, "audit")
	require.NoError(t, err)
	require.Equal(t, int64(7), c)
	if e.tenantB != nil {
		c, err = cs.LoadCursor(e.tenantB, "mailer")
		require.NoError(t, err)
		require.Zero(t, c, "cursors are per tenant")
	}
}
