// Package eventcase holds the provisioning-event cases that every store
// that records events must pass through the handler: each shape in which
// identity providers deactivate and reactivate a user yields exactly one
// event, failed and no-op writes none, user.updated names the changed
// paths, group changes their own events, and a member-only PATCH on the
// member fast path yields member events without the group being read.
//
// The scim package's tests run it over memstore and store/sqlstore's over
// SQLite and PostgreSQL, so that the same cases hold for each.
package eventcase

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

// NewStores returns new, empty stores that record events; the user store
// is the [scim.EventLog].
type NewStores func(t *testing.T) (scim.UserStore, scim.GroupStore)

// Run runs every case, each on new stores.
func Run(t *testing.T, newStores NewStores) {
	t.Run("Deactivation", func(t *testing.T) { testDeactivationShapes(t, newStores) })
	t.Run("NoOp", func(t *testing.T) { testNoOp(t, newStores) })
	t.Run("Failures", func(t *testing.T) { testFailures(t, newStores) })
	t.Run("BulkFailedOperation", func(t *testing.T) { testBulkFailedOperation(t, newStores) })
	t.Run("UserUpdatedPaths", func(t *testing.T) { testUpdatedPaths(t, newStores) })
	t.Run("Groups", func(t *testing.T) { testGroups(t, newStores) })
	t.Run("MemberFastPathReadsNoGroup", func(t *testing.T) { testFastPathNoRead(t, newStores) })
}

// Harness drives a handler over stores and reads their feed.
type Harness struct {
	t      *testing.T
	h      http.Handler
	log    scim.EventLog
	at     int64
	groups *CountingGroups
}

// New returns a harness over the stores that newStores makes; its group
// store is wrapped in a [CountingGroups].
func New(t *testing.T, newStores NewStores) *Harness {
	t.Helper()
	users, groups := newStores(t)
	log, ok := users.(scim.EventLog)
	require.True(t, ok, "the user store is a scim.EventLog")
	rec, ok := users.(scim.EventRecorder)
	require.True(t, ok && rec.RecordsEvents(), "the user store records events")
	cg := NewCountingGroups(groups)
	h := &Harness{t: t, h: scim.NewHandler(users, cg, scim.WithoutAuthentication()), log: log, groups: cg}
	h.at, _ = log.LastCursor(context.Background())
	return h
}

// Response is a handler's answer.
type Response struct {
	Status int
	Body   string
	Header http.Header
}

// Do sends a request to the handler.
func (h *Harness) Do(method, path, body string, header ...string) Response {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return Response{Status: w.Code, Body: w.Body.String(), Header: w.Header()}
}

// Next returns the events recorded since the last call (or since New).
func (h *Harness) Next() []scim.Event {
	h.t.Helper()
	evs, err := h.log.Events(context.Background(), h.at, 10000)
	require.NoError(h.t, err)
	if len(evs) > 0 {
		h.at = evs[len(evs)-1].Cursor
	}
	return evs
}

// Types returns the types of evs, in order.
func Types(evs []scim.Event) []scim.EventType {
	out := []scim.EventType{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

const (
	userSchema  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	groupSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	patchSchema = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	bulkSchema  = `"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]`
	enterprise  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// PatchBody is a PatchOp request of the operations ops (a JSON array).
func PatchBody(ops string) string { return `{` + patchSchema + `,"Operations":` + ops + `}` }

func idOf(t *testing.T, r Response) string {
	t.Helper()
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	loc := r.Header.Get("Location")
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

// CreateUser creates an active user and returns its id.
func (h *Harness) CreateUser(userName string) string {
	h.t.Helper()
	return idOf(h.t, h.Do(http.MethodPost, "/Users", `{`+userSchema+`,"userName":"`+userName+`","externalId":"x-`+userName+`","active":true}`))
}

// CreateGroup creates a group with the members and returns its id.
func (h *Harness) CreateGroup(displayName string, members ...string) string {
	h.t.Helper()
	var ms []string
	for _, m := range members {
		ms = append(ms, `{"value":"`+m+`"}`)
	}
	return idOf(h.t, h.Do(http.MethodPost, "/Groups", `{`+groupSchema+`,"displayName":"`+displayName+`","members":[`+strings.Join(ms, ",")+`]}`))
}

func decode(t *testing.T, s []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(s, &m), "%s", s)
	return m
}

// requireSnapshotIsGET checks that an event's snapshot is the resource as
// a GET of path returns it now.
func (h *Harness) requireSnapshotIsGET(e scim.Event, path string) {
	h.t.Helper()
	r := h.Do(http.MethodGet, path, "")
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(h.t, decode(h.t, []byte(r.Body)), decode(h.t, e.Snapshot), "the snapshot of %s is the resource in its API form", e.Type)
}

// shape is one way an identity provider sets a user's active.
type shape struct {
	name string
	send func(h *Harness, id string, active bool) Response
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

var shapes = []shape{
	{"EntraStringBoolean", func(h *Harness, id string, active bool) Response {
		v := `"False"`
		if active {
			v = `"True"`
		}
		return h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"Replace","path":"active","value":`+v+`}]`))
	}},
	{"PathlessReplace", func(h *Harness, id string, active bool) Response {
		return h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"replace","value":{"active":`+boolString(active)+`}}]`))
	}},
	{"OktaPUT", func(h *Harness, id string, active bool) Response {
		return h.Do(http.MethodPut, "/Users/"+id, `{`+userSchema+`,"id":"`+id+`","userName":"ada","externalId":"x-ada","active":`+boolString(active)+`}`)
	}},
	{"BulkPATCH", func(h *Harness, id string, active bool) Response {
		return h.Do(http.MethodPost, "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"PATCH","path":"/Users/`+id+`","data":`+
			PatchBody(`[{"op":"replace","path":"active","value":`+boolString(active)+`}]`)+`}]}`)
	}},
	{"BulkPUT", func(h *Harness, id string, active bool) Response {
		return h.Do(http.MethodPost, "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"PUT","path":"/Users/`+id+`","data":{`+
			userSchema+`,"userName":"ada","externalId":"x-ada","active":`+boolString(active)+`}}]}`)
	}},
}

// requireOK checks a write's answer, and each operation's of a /Bulk.
func requireOK(t *testing.T, r Response) {
	t.Helper()
	require.Less(t, r.Status, 300, "%s", r.Body)
	if strings.Contains(r.Body, "BulkResponse") {
		var br struct{ Operations []struct{ Status string } }
		require.NoError(t, json.Unmarshal([]byte(r.Body), &br))
		for _, op := range br.Operations {
			require.True(t, strings.HasPrefix(op.Status, "2"), "bulk operation: %s", r.Body)
		}
	}
}

func testDeactivationShapes(t *testing.T, newStores NewStores) {
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			h := New(t, newStores)
			id := h.CreateUser("ada")
			require.Equal(t, []scim.EventType{scim.EventUserCreated}, Types(h.Next()))

			requireOK(t, s.send(h, id, false))
			evs := h.Next()
			require.Equal(t, []scim.EventType{scim.EventUserDeactivated}, Types(evs), "exactly one user.deactivated")
			e := evs[0]
			assert.Equal(t, "User", e.ResourceType)
			assert.Equal(t, id, e.ResourceID)
			assert.Equal(t, "x-ada", e.ExternalID)
			assert.NotEmpty(t, e.Version)
			assert.Equal(t, false, decode(t, e.Snapshot)["active"])
			h.requireSnapshotIsGET(e, "/Users/"+id)

			// The same request again changes nothing: no event.
			requireOK(t, s.send(h, id, false))
			assert.Empty(t, Types(h.Next()), "a repeated deactivation is a no-op")

			requireOK(t, s.send(h, id, true))
			evs = h.Next()
			require.Equal(t, []scim.EventType{scim.EventUserReactivated}, Types(evs), "exactly one user.reactivated")
			assert.Equal(t, true, decode(t, evs[0].Snapshot)["active"])
			h.requireSnapshotIsGET(evs[0], "/Users/"+id)
		})
	}
}

// A PATCH that sets active false on a user who is inactive already, in any
// shape, changes nothing and yields nothing.
func testNoOp(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	id := idOf(t, h.Do(http.MethodPost, "/Users", `{`+userSchema+`,"userName":"ada","externalId":"x-ada","active":false}`))
	require.Equal(t, []scim.EventType{scim.EventUserCreated}, Types(h.Next()))
	for _, s := range shapes {
		requireOK(t, s.send(h, id, false))
		assert.Empty(t, Types(h.Next()), "%s on an inactive user", s.name)
	}
	// Nor does a PATCH that sets what is set.
	requireOK(t, h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"replace","path":"userName","value":"ada"}]`)))
	assert.Empty(t, Types(h.Next()))
}

// Requests that fail change nothing and yield nothing.
func testFailures(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	id := h.CreateUser("ada")
	h.CreateUser("bob")
	h.Next()
	version := decode(t, []byte(h.Do(http.MethodGet, "/Users/"+id, "").Body))["meta"].(map[string]any)["version"].(string)

	for _, c := range []struct {
		name   string
		status int
		method string
		body   string
		header []string
	}{
		{"bad value", http.StatusBadRequest, http.MethodPatch, PatchBody(`[{"op":"replace","path":"active","value":"maybe"}]`), nil},
		{"bad path", http.StatusBadRequest, http.MethodPatch, PatchBody(`[{"op":"replace","path":"active","value":false},{"op":"replace","path":"nope[","value":1}]`), nil},
		{"bad op", http.StatusBadRequest, http.MethodPatch, PatchBody(`[{"op":"replace","path":"active","value":false},{"op":"frobnicate","path":"displayName","value":"x"}]`), nil},
		{"If-Match mismatch", http.StatusPreconditionFailed, http.MethodPatch, PatchBody(`[{"op":"replace","path":"active","value":false}]`), []string{"If-Match", `W/"not-the-version"`}},
		{"If-Match mismatch PUT", http.StatusPreconditionFailed, http.MethodPut, `{` + userSchema + `,"userName":"ada","active":false}`, []string{"If-Match", `W/"not-the-version"`}},
		{"If-Match mismatch DELETE", http.StatusPreconditionFailed, http.MethodDelete, "", []string{"If-Match", `W/"not-the-version"`}},
		{"uniqueness PATCH", http.StatusConflict, http.MethodPatch, PatchBody(`[{"op":"replace","value":{"active":false,"userName":"BOB"}}]`), nil},
		{"uniqueness PUT", http.StatusConflict, http.MethodPut, `{` + userSchema + `,"userName":"bob","active":false}`, nil},
	} {
		r := h.Do(c.method, "/Users/"+id, c.body, c.header...)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Body)
		assert.Empty(t, Types(h.Next()), "%s: no event", c.name)
	}
	r := h.Do(http.MethodPost, "/Users", `{`+userSchema+`,"userName":"ADA"}`)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	assert.Empty(t, Types(h.Next()), "a refused POST: no event")

	// Nothing changed: the user is as it was.
	got := decode(t, []byte(h.Do(http.MethodGet, "/Users/"+id, "").Body))
	assert.Equal(t, version, got["meta"].(map[string]any)["version"])
	assert.Equal(t, true, got["active"])
	// And a matching If-Match does deactivate, once.
	requireOK(t, h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"replace","path":"active","value":false}]`), "If-Match", version))
	assert.Equal(t, []scim.EventType{scim.EventUserDeactivated}, Types(h.Next()))
}

// A /Bulk whose middle operation fails has the events of the others, one
// per effective change, and none of the failed one's.
func testBulkFailedOperation(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	ada, bob := h.CreateUser("ada"), h.CreateUser("bob")
	h.Next()
	r := h.Do(http.MethodPost, "/Bulk", `{`+bulkSchema+`,"Operations":[
		{"method":"PATCH","path":"/Users/`+ada+`","data":`+PatchBody(`[{"op":"replace","path":"active","value":"False"}]`)+`},
		{"method":"PATCH","path":"/Users/`+bob+`","data":`+PatchBody(`[{"op":"replace","value":{"active":false,"userName":"ADA"}}]`)+`},
		{"method":"POST","path":"/Users","bulkId":"c","data":{`+userSchema+`,"userName":"bob"}},
		{"method":"PATCH","path":"/Users/`+bob+`","data":`+PatchBody(`[{"op":"replace","path":"active","value":"maybe"}]`)+`},
		{"method":"PUT","path":"/Users/`+bob+`","version":"W/\"nope\"","data":{`+userSchema+`,"userName":"bob","active":false}},
		{"method":"POST","path":"/Users","bulkId":"d","data":{`+userSchema+`,"userName":"dan","active":false}},
		{"method":"PATCH","path":"/Users/`+ada+`","data":`+PatchBody(`[{"op":"replace","path":"active","value":false}]`)+`}]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var br struct {
		Operations []struct{ Status string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &br))
	var statuses []string
	for _, op := range br.Operations {
		statuses = append(statuses, op.Status)
	}
	require.Equal(t, []string{"200", "409", "409", "400", "412", "201", "200"}, statuses, "%s", r.Body)
	evs := h.Next()
	require.Equal(t, []scim.EventType{scim.EventUserDeactivated, scim.EventUserCreated}, Types(evs),
		"the failed operations have no events, the repeated deactivation none")
	assert.Equal(t, ada, evs[0].ResourceID)
	bobNow := decode(t, []byte(h.Do(http.MethodGet, "/Users/"+bob, "").Body))
	assert.Equal(t, true, bobNow["active"], "bob's failed operations changed nothing")
}

func testUpdatedPaths(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	id, mgr := h.CreateUser("ada"), h.CreateUser("boss")
	h.Next()
	requireOK(t, h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[
		{"op":"add","path":"name.familyName","value":"Lovelace"},
		{"op":"add","path":"emails","value":[{"value":"ada@example.com","type":"work"}]},
		{"op":"add","path":"`+enterprise+`:manager","value":{"value":"`+mgr+`"}}]`)))
	evs := h.Next()
	require.Equal(t, []scim.EventType{scim.EventUserUpdated}, Types(evs))
	assert.Equal(t, []string{"emails", "name.familyName", enterprise + ":manager"}, evs[0].ChangedAttributes)
	h.requireSnapshotIsGET(evs[0], "/Users/"+id)

	// Entra's form: a replace of one sub-attribute by filter.
	requireOK(t, h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada@example.org"}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventUserUpdated}, Types(evs))
	assert.Equal(t, []string{"emails"}, evs[0].ChangedAttributes)

	// A deactivation that also renames: both, deactivation first; active is
	// never a changed attribute.
	requireOK(t, h.Do(http.MethodPatch, "/Users/"+id, PatchBody(`[{"op":"replace","value":{"active":false,"name.givenName":"Ada"}}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventUserDeactivated, scim.EventUserUpdated}, Types(evs))
	assert.Equal(t, []string{"name.givenName"}, evs[1].ChangedAttributes)
	assert.Equal(t, evs[0].Version, evs[1].Version, "one write, one version")
}

func testGroups(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	u1, u2, u3 := h.CreateUser("ada"), h.CreateUser("bob"), h.CreateUser("cyd")
	g1 := h.CreateGroup("eng", u1)
	evs := h.Next()
	require.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventUserCreated, scim.EventUserCreated,
		scim.EventGroupCreated, scim.EventGroupMembersAdded}, Types(evs))
	assert.NotContains(t, decode(t, evs[3].Snapshot), "members", "a group's snapshot leaves its members out")
	h.requireSnapshotIsGET(evs[3], "/Groups/"+g1+"?excludedAttributes=members")
	assert.Equal(t, []string{u1}, evs[4].MemberIDs)
	assert.Empty(t, evs[4].Snapshot)

	// Rename: group.updated only.
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g1, PatchBody(`[{"op":"replace","path":"displayName","value":"engineering"}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupUpdated}, Types(evs))
	assert.Equal(t, []string{"displayName"}, evs[0].ChangedAttributes)
	assert.NotContains(t, decode(t, evs[0].Snapshot), "members")
	h.requireSnapshotIsGET(evs[0], "/Groups/"+g1+"?excludedAttributes=members")

	// Member add and remove through the member fast path: only the ids of
	// the members that changed.
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g1, PatchBody(`[{"op":"add","path":"members","value":[{"value":"`+u1+`"},{"value":"`+u2+`"}]}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersAdded}, Types(evs))
	assert.Equal(t, []string{u2}, evs[0].MemberIDs)
	assert.Equal(t, g1, evs[0].ResourceID)
	assert.Empty(t, evs[0].Snapshot)
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g1, PatchBody(`[{"op":"remove","path":"members[value eq \"`+u1+`\"]"}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersRemoved}, Types(evs))
	assert.Equal(t, []string{u1}, evs[0].MemberIDs)
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g1, PatchBody(`[{"op":"add","path":"members","value":[{"value":"`+u3+`"}]},{"op":"remove","path":"members","value":[{"value":"`+u2+`"}]}]`)))
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersAdded, scim.EventGroupMembersRemoved}, Types(evs))
	assert.Equal(t, []string{u3}, evs[0].MemberIDs)
	assert.Equal(t, []string{u2}, evs[1].MemberIDs)
	// Removing one who is not a member changes nothing.
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g1, PatchBody(`[{"op":"remove","path":"members[value eq \"`+u1+`\"]"}]`)))
	assert.Empty(t, Types(h.Next()))

	// Deleting a user in two groups: a removal from each, then user.deleted
	// with the last state.
	g2 := h.CreateGroup("ops", u3)
	h.Next()
	before := h.Do(http.MethodGet, "/Users/"+u3, "")
	require.Equal(t, http.StatusOK, before.Status)
	require.Equal(t, http.StatusNoContent, h.Do(http.MethodDelete, "/Users/"+u3, "").Status)
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupMembersRemoved, scim.EventGroupMembersRemoved, scim.EventUserDeleted}, Types(evs))
	assert.ElementsMatch(t, []string{g1, g2}, []string{evs[0].ResourceID, evs[1].ResourceID})
	assert.Equal(t, []string{u3}, evs[0].MemberIDs)
	assert.Equal(t, []string{u3}, evs[1].MemberIDs)
	assert.Equal(t, u3, evs[2].ResourceID)
	last := decode(t, evs[2].Snapshot)
	assert.Equal(t, "cyd", last["userName"], "a deletion carries the last state")
	assert.Equal(t, decode(t, []byte(before.Body))["meta"], last["meta"])

	// Deleting a group: group.deleted.
	require.Equal(t, http.StatusNoContent, h.Do(http.MethodDelete, "/Groups/"+g2, "").Status)
	evs = h.Next()
	require.Equal(t, []scim.EventType{scim.EventGroupDeleted}, Types(evs))
	assert.Equal(t, g2, evs[0].ResourceID)
	assert.Equal(t, "ops", decode(t, evs[0].Snapshot)["displayName"])
}

// CountingGroups wraps a group store, passing on the capabilities the
// handler looks for, and counts the reads of groups (Get and List): those
// a member-only PATCH on the member fast path must not make.
type CountingGroups struct {
	scim.GroupStore
	// Reads counts Get and List calls.
	Reads atomic.Int64
}

// NewCountingGroups wraps gs.
func NewCountingGroups(gs scim.GroupStore) *CountingGroups {
	return &CountingGroups{GroupStore: gs}
}

// Get counts and reads.
func (c *CountingGroups) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.Group, error) {
	c.Reads.Add(1)
	return c.GroupStore.Get(ctx, id, opts)
}

// List counts and lists.
func (c *CountingGroups) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	c.Reads.Add(1)
	return c.GroupStore.List(ctx, q)
}

// PatchMembers passes on [scim.MemberPatcher].
func (c *CountingGroups) PatchMembers(ctx context.Context, groupID string, add []scim.MultiValue, remove []string, ifVersion string) (*scim.Group, error) {
	return c.GroupStore.(scim.MemberPatcher).PatchMembers(ctx, groupID, add, remove, ifVersion)
}

// ReplaceKeepingMembers passes on [scim.MemberPreservingReplacer].
func (c *CountingGroups) ReplaceKeepingMembers(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return c.GroupStore.(scim.MemberPreservingReplacer).ReplaceKeepingMembers(ctx, g, ifVersion)
}

// RecordsEvents passes on [scim.EventRecorder].
func (c *CountingGroups) RecordsEvents() bool {
	r, ok := c.GroupStore.(scim.EventRecorder)
	return ok && r.RecordsEvents()
}

// The member fast path ([scim.MemberPatcher]) yields member events without
// reading the group: a member-only PATCH, in the forms identity providers
// send (with and without If-Match, with a body asked without members),
// makes no Get or List of the group store.
func testFastPathNoRead(t *testing.T, newStores NewStores) {
	h := New(t, newStores)
	u1, u2 := h.CreateUser("ada"), h.CreateUser("bob")
	g := h.CreateGroup("eng", u1)
	h.Next()
	version := decode(t, []byte(h.Do(http.MethodGet, "/Groups/"+g, "").Body))["meta"].(map[string]any)["version"].(string)

	for _, c := range []struct {
		name   string
		path   string
		ops    string
		header []string
		want   []scim.EventType
		ids    []string
	}{
		{"add", "/Groups/" + g, `[{"op":"add","path":"members","value":[{"value":"` + u2 + `"}]}]`, nil,
			[]scim.EventType{scim.EventGroupMembersAdded}, []string{u2}},
		{"remove by filter", "/Groups/" + g, `[{"op":"remove","path":"members[value eq \"` + u1 + `\"]"}]`, nil,
			[]scim.EventType{scim.EventGroupMembersRemoved}, []string{u1}},
		{"add with If-Match", "/Groups/" + g, `[{"op":"Add","path":"members","value":[{"value":"` + u1 + `"}]}]`, []string{"If-Match", "*"},
			[]scim.EventType{scim.EventGroupMembersAdded}, []string{u1}},
		{"remove by value, body without members", "/Groups/" + g + "?excludedAttributes=members", `[{"op":"remove","path":"members","value":[{"value":"` + u2 + `"}]}]`, nil,
			[]scim.EventType{scim.EventGroupMembersRemoved}, []string{u2}},
		{"no-op add", "/Groups/" + g, `[{"op":"add","path":"members","value":[{"value":"` + u1 + `"}]}]`, nil,
			[]scim.EventType{}, nil},
	} {
		h.groups.Reads.Store(0)
		r := h.Do(http.MethodPatch, c.path, PatchBody(c.ops), c.header...)
		requireOK(t, r)
		assert.Zero(t, h.groups.Reads.Load(), "%s: the member fast path read the group", c.name)
		evs := h.Next()
		require.Equal(t, c.want, Types(evs), c.name)
		if len(evs) > 0 {
			assert.Equal(t, c.ids, evs[0].MemberIDs, c.name)
			assert.Equal(t, g, evs[0].ResourceID, c.name)
			assert.NotEmpty(t, evs[0].Version, c.name)
		}
	}
	// The If-Match of the group's current version, as a client that read it
	// sends: still no read.
	cur := decode(t, []byte(h.Do(http.MethodGet, "/Groups/"+g+"?excludedAttributes=members", "").Body))["meta"].(map[string]any)["version"].(string)
	require.NotEqual(t, version, cur)
	h.groups.Reads.Store(0)
	requireOK(t, h.Do(http.MethodPatch, "/Groups/"+g, PatchBody(`[{"op":"add","path":"members","value":[{"value":"`+u2+`"}]}]`), "If-Match", cur))
	assert.Zero(t, h.groups.Reads.Load(), "If-Match: the member fast path read the group")
	assert.Equal(t, []scim.EventType{scim.EventGroupMembersAdded}, Types(h.Next()))
	// A stale If-Match is 412 and no event, still without a read.
	r := h.Do(http.MethodPatch, "/Groups/"+g, PatchBody(`[{"op":"add","path":"members","value":[{"value":"`+u2+`"}]}]`), "If-Match", version)
	require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
	assert.Empty(t, Types(h.Next()))
}
