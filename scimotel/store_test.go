package scimotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/scimotel"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/storetest"
)

// keeper is an AttributeKeeper that memstore is not.
type keeper []string

func (k keeper) KeptAttributes() []string { return k }

type lentSink struct{ names []string }

func (s *lentSink) LentPage(total, n int) {}
func (s *lentSink) LentUser(u *scim.User, groups []scim.MultiValue) {
	s.names = append(s.names, u.UserName)
}

// capCheck tells whether a store has a capability, and when it has it,
// checks that a call reaches the wrapped store's.
type capCheck[S any] struct {
	name string
	has  func(s S) bool
	call func(t *testing.T, s S)
}

// cursorRoundTrip saves a cursor through s and reads it from the store
// it wraps.
func cursorRoundTrip(t *testing.T, s, inner events.CursorStore) {
	ctx := context.Background()
	c, err := inner.LoadCursor(ctx, "wrapped")
	require.NoError(t, err)
	require.NoError(t, s.SaveCursor(ctx, "wrapped", c+1))
	got, err := inner.LoadCursor(ctx, "wrapped")
	require.NoError(t, err)
	assert.Equal(t, c+1, got)
	got, err = s.LoadCursor(ctx, "wrapped")
	require.NoError(t, err)
	assert.Equal(t, c+1, got)
}

// Every combination of optional capabilities a store can have is what its
// wrapper has, and the wrapper's calls reach the store's.
func TestWrappersHaveExactlyTheStoresCapabilities(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	inst, err := scimotel.New(scimotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	require.NoError(t, err)
	ctx := context.Background()
	users, groups := memstore.New()
	// Through a handler, so that the store records events.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/Users",
		strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/Groups",
		strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`)))
	page, err := users.List(ctx, &scim.Query{Count: 10})
	require.NoError(t, err)
	require.Len(t, page.Resources, 1)
	ann := page.Resources[0]
	gpage, err := groups.List(ctx, &scim.Query{Count: 10})
	require.NoError(t, err)
	require.Len(t, gpage.Resources, 1)
	sales := gpage.Resources[0]
	last, err := users.LastCursor(ctx)
	require.NoError(t, err)
	require.Positive(t, last, "memstore records events by default")
	kept := keeper{"userName", "displayName"}

	userCaps := []capCheck[scim.UserStore]{
		{"UserLender", func(s scim.UserStore) bool { _, ok := s.(scim.UserLender); return ok }, func(t *testing.T, s scim.UserStore) {
			var sink lentSink
			require.NoError(t, s.(scim.UserLender).LendUser(ctx, ann.ID, scim.ReadOptions{}, &sink))
			assert.Equal(t, []string{"ann"}, sink.names)
		}},
		{"AttributeKeeper", func(s scim.UserStore) bool { _, ok := s.(scim.AttributeKeeper); return ok }, func(t *testing.T, s scim.UserStore) {
			assert.Equal(t, []string(kept), s.(scim.AttributeKeeper).KeptAttributes())
		}},
		{"EventLog", func(s scim.UserStore) bool { _, ok := s.(scim.EventLog); return ok }, func(t *testing.T, s scim.UserStore) {
			c, err := s.(scim.EventLog).LastCursor(ctx)
			require.NoError(t, err)
			assert.Equal(t, last, c)
		}},
		{"EventNotifier", func(s scim.UserStore) bool { _, ok := s.(scim.EventNotifier); return ok }, func(t *testing.T, s scim.UserStore) {
			assert.NotNil(t, s.(scim.EventNotifier).EventsNotify(ctx))
		}},
		{"CursorStore", func(s scim.UserStore) bool { _, ok := s.(events.CursorStore); return ok }, func(t *testing.T, s scim.UserStore) {
			cursorRoundTrip(t, s.(events.CursorStore), users)
		}},
		{"EventRecorder", func(s scim.UserStore) bool { r, ok := s.(scim.EventRecorder); return ok && r.RecordsEvents() }, nil},
	}
	for m := range uint(1) << len(userCaps) {
		inner := usersWith(m, users, users, kept, users, users, users, users)
		w := inst.UserStore(inner)
		for i, c := range userCaps {
			want := m&(1<<i) != 0
			require.Equal(t, want, c.has(inner), "test store %b: %s", m, c.name)
			assert.Equal(t, want, c.has(w), "wrapper of a store with capabilities %b: %s", m, c.name)
			if want && c.call != nil {
				c.call(t, w)
			}
		}
	}

	groupCaps := []capCheck[scim.GroupStore]{
		{"MemberPatcher", func(s scim.GroupStore) bool { _, ok := s.(scim.MemberPatcher); return ok }, func(t *testing.T, s scim.GroupStore) {
			g, err := s.(scim.MemberPatcher).PatchMembers(ctx, sales.ID, []scim.MultiValue{{Value: ann.ID}}, nil, "")
			require.NoError(t, err)
			assert.Equal(t, sales.ID, g.ID)
		}},
		{"MemberPreservingReplacer", func(s scim.GroupStore) bool { _, ok := s.(scim.MemberPreservingReplacer); return ok }, func(t *testing.T, s scim.GroupStore) {
			g, err := s.(scim.MemberPreservingReplacer).ReplaceKeepingMembers(ctx, &scim.Group{ID: sales.ID, DisplayName: "Sales"}, "")
			require.NoError(t, err)
			assert.Equal(t, sales.ID, g.ID)
		}},
		{"AttributeKeeper", func(s scim.GroupStore) bool { _, ok := s.(scim.AttributeKeeper); return ok }, func(t *testing.T, s scim.GroupStore) {
			assert.Equal(t, []string(kept), s.(scim.AttributeKeeper).KeptAttributes())
		}},
		{"EventLog", func(s scim.GroupStore) bool { _, ok := s.(scim.EventLog); return ok }, func(t *testing.T, s scim.GroupStore) {
			c, err := s.(scim.EventLog).LastCursor(ctx)
			require.NoError(t, err)
			c2, err := users.LastCursor(ctx)
			require.NoError(t, err)
			assert.Equal(t, c2, c)
		}},
		{"EventNotifier", func(s scim.GroupStore) bool { _, ok := s.(scim.EventNotifier); return ok }, func(t *testing.T, s scim.GroupStore) {
			assert.NotNil(t, s.(scim.EventNotifier).EventsNotify(ctx))
		}},
		{"CursorStore", func(s scim.GroupStore) bool { _, ok := s.(events.CursorStore); return ok }, func(t *testing.T, s scim.GroupStore) {
			cursorRoundTrip(t, s.(events.CursorStore), groups)
		}},
		{"EventRecorder", func(s scim.GroupStore) bool { r, ok := s.(scim.EventRecorder); return ok && r.RecordsEvents() }, nil},
		{"GroupDisplayNameEnforcer", func(s scim.GroupStore) bool {
			e, ok := s.(scim.GroupDisplayNameEnforcer)
			return ok && e.EnforcesUniqueGroupDisplayNames()
		}, nil},
	}
	for m := range uint(1) << len(groupCaps) {
		inner := groupsWith(m, groups, groups, groups, kept, groups, groups, groups, groups, groups)
		w := inst.GroupStore(inner)
		for i, c := range groupCaps {
			want := m&(1<<i) != 0
			require.Equal(t, want, c.has(inner), "test store %b: %s", m, c.name)
			assert.Equal(t, want, c.has(w), "wrapper of a store with capabilities %b: %s", m, c.name)
			if want && c.call != nil {
				c.call(t, w)
			}
		}
	}

	// The timed capabilities were timed.
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	ops := map[string]uint64{}
	for _, dp := range rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints {
		op, _ := dp.Attributes.Value(scimotel.AttrOperation)
		ops[op.AsString()] += dp.Count
	}
	assert.Equal(t, map[string]uint64{"users.lend": 32, "groups.patch_members": 128, "groups.replace_keeping_members": 128}, ops)
}

// replay sends the requests of an identity provider's session to a
// handler over the stores and returns the types of the events the store
// recorded.
func replay(t *testing.T, log scim.EventLog, users scim.UserStore, groups scim.GroupStore) []scim.EventType {
	t.Helper()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	do := func(method, path, body string) string {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Less(t, w.Code, 300, "%s %s: %s", method, path, w.Body)
		if w.Code != http.StatusCreated {
			return ""
		}
		loc := w.Header().Get("Location")
		return loc[strings.LastIndex(loc, "/")+1:]
	}
	ann := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	bob := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}`)
	g := do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{"value":"`+ann+`"}]}`)
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[%s]}`
	do("PATCH", "/Groups/"+g, strings.Replace(patch, "%s", `{"op":"add","path":"members","value":[{"value":"`+bob+`"}]}`, 1))
	do("PATCH", "/Groups/"+g, strings.Replace(patch, "%s", `{"op":"replace","path":"displayName","value":"Sales EU"}`, 1))
	do("PATCH", "/Users/"+ann, strings.Replace(patch, "%s", `{"op":"replace","path":"active","value":false}`, 1))
	do("DELETE", "/Users/"+bob, "")
	evs, err := log.Events(context.Background(), 0, 100)
	require.NoError(t, err)
	var types []scim.EventType
	for _, e := range evs {
		types = append(types, e.Type)
	}
	return types
}

// A store that records events records the same through its wrappers:
// the handler sees the capability (the bug was that it did not, and no
// event was recorded at all).
func TestWrappedStoresRecordEvents(t *testing.T) {
	users, groups := memstore.New()
	want := replay(t, users, users, groups)
	require.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventUserCreated, scim.EventGroupCreated, scim.EventGroupMembersAdded,
		scim.EventGroupMembersAdded, scim.EventGroupUpdated, scim.EventUserDeactivated, scim.EventGroupMembersRemoved, scim.EventUserDeleted}, want)

	inst, err := scimotel.New()
	require.NoError(t, err)
	users, groups = memstore.New()
	assert.Equal(t, want, replay(t, users, inst.UserStore(users), inst.GroupStore(groups)))
}

// The conformance suite passes on wrapped stores, events included (its
// event tests read the feed through the wrapper).
func TestWrappedMemstoreConformance(t *testing.T) {
	inst, err := scimotel.New()
	require.NoError(t, err)
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		users, groups := memstore.New()
		return inst.UserStore(users), inst.GroupStore(groups)
	}, storetest.WithTenants(storetest.FreshTenants))
}
