package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// eventCalls records the calls of an event sink or observer.
type eventCalls struct {
	mu    sync.Mutex
	calls [][]scim.Event
}

func (c *eventCalls) fn(_ context.Context, evs []scim.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, evs)
}

func (c *eventCalls) get() [][]scim.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// An observer gets the events of each write that made any, once per
// write, recorded or built, next to a sink or without one.
func TestWithEventObserver(t *testing.T) {
	for _, tc := range []struct {
		name      string
		recording bool // the store records events
		sink      bool
		observers int
	}{
		{"recording store", true, false, 1},
		{"recording store, sink and two observers", true, true, 2},
		{"non-recording store", false, false, 1},
		{"non-recording store and sink", false, true, 1},
		{"non-recording store, no observer", false, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []memstore.Option
			if !tc.recording {
				opts = append(opts, memstore.WithEventRetention(0))
			}
			users, groups := memstore.New(opts...)
			var sink eventCalls
			observers := make([]eventCalls, tc.observers)
			var hopts []scim.Option
			if tc.sink {
				hopts = append(hopts, scim.WithEventSink(sink.fn))
			}
			hopts = append(hopts, scim.WithEventObserver(nil)) // ignored
			for i := range observers {
				hopts = append(hopts, scim.WithEventObserver(observers[i].fn))
			}
			c := newClientFor(t, users, groups, hopts...)

			user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`
			r := c.do(http.MethodPost, "/Users", user)
			require.Equal(t, http.StatusCreated, r.status)
			id := r.json["id"].(string)
			require.Equal(t, http.StatusConflict, c.do(http.MethodPost, "/Users", user).status)
			require.Equal(t, http.StatusOK, c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"userName","value":"ada"}]}`).status, "a no-op")
			require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/Groups",
				`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"`+id+`"}]}`).status)
			require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, "/Users/"+id, "").status)

			want := [][]scim.EventType{
				{scim.EventUserCreated},
				{scim.EventGroupCreated, scim.EventGroupMembersAdded},
				{scim.EventGroupMembersRemoved, scim.EventUserDeleted},
			}
			recorded, err := users.Events(context.Background(), 0, 100)
			require.NoError(t, err)
			if tc.recording {
				assert.Len(t, recorded, 5)
			} else {
				assert.Empty(t, recorded)
			}
			for i := range observers {
				calls := observers[i].get()
				var got [][]scim.EventType
				var all []scim.Event
				for _, evs := range calls {
					got = append(got, types(evs))
					all = append(all, evs...)
				}
				assert.Equal(t, want, got, "observer %d: one call per write that made events", i)
				for _, e := range all {
					assert.NotEmpty(t, e.ID)
					assert.Equal(t, tc.recording, e.Cursor > 0, "a cursor when, and only when, the store records")
				}
				if tc.recording {
					assert.Equal(t, recorded, all, "the recorded events")
				}
				if tc.sink {
					assert.Equal(t, sink.get(), calls, "what the sink got")
				}
			}
			if !tc.sink {
				assert.Empty(t, sink.get())
			}
		})
	}
}

// Count the events of each type as they are recorded, as a metric would.
func ExampleWithEventObserver() {
	users, groups := memstore.New()
	var mu sync.Mutex
	counts := map[scim.EventType]int{}
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(),
		scim.WithEventObserver(func(ctx context.Context, events []scim.Event) {
			mu.Lock() // cheap: the request waits for it
			defer mu.Unlock()
			for _, e := range events {
				counts[e.Type]++
			}
		}))
	for _, name := range []string{"ada", "grace"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`)))
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Println(counts)
	// Output:
	// map[user.created:2]
}
