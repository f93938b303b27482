package scimotel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/scimotel"
	"github.com/scimkit/scim/webhook"
)

// sums returns the data points of a counter, keyed by the values of keys.
func sums(t *testing.T, m metricdata.Aggregation, keys ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	sum, ok := m.(metricdata.Sum[int64])
	require.True(t, ok, "a counter: %T", m)
	for _, dp := range sum.DataPoints {
		a := attrs(dp.Attributes)
		var k string
		for i, key := range keys {
			if i > 0 {
				k += " "
			}
			k += a[key]
		}
		out[k] += dp.Value
	}
	return out
}

// One count per event, recorded by memstore through the wrappers, by
// type and resource type; none for a failed or no-op request.
func TestEventMetrics(t *testing.T) {
	for _, recording := range []bool{true, false} {
		t.Run(map[bool]string{true: "recording store", false: "non-recording store"}[recording], func(t *testing.T) {
			f := newEventFixture(t, func(f *fixture) []scim.Option { return []scim.Option{f.inst.EventObserver()} }, recording)
			ann := f.create(t, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
			require.Equal(t, 409, f.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`).Code)
			f.create(t, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{"value":"`+ann+`"}]}`)
			require.Equal(t, 200, f.do(t, "PATCH", "/Users/"+ann, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).Code)
			require.Equal(t, 200, f.do(t, "PATCH", "/Users/"+ann, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).Code, "a no-op")

			got := sums(t, f.metrics(t)["scim.events"], "scim.event.type", "scim.resource_type")
			assert.Equal(t, map[string]int64{"user.created User": 1, "group.created Group": 1, "group.members_added Group": 1, "user.deactivated User": 1}, got)
			evs, err := f.users.Events(context.Background(), 0, 100)
			require.NoError(t, err)
			if recording {
				assert.Len(t, evs, 4, "the events counted are those recorded")
			} else {
				assert.Empty(t, evs)
			}
		})
	}
}

func TestEventMetricsWithTenant(t *testing.T) {
	f := newEventFixture(t, func(f *fixture) []scim.Option { return []scim.Option{f.inst.EventObserver()} }, true, scimotel.WithTenantAttribute())
	f.create(t, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	got := sums(t, f.metrics(t)["scim.events"], "scim.event.type", "scim.tenant")
	assert.Equal(t, map[string]int64{"user.created ": 1}, got, "the default tenant is the empty string")
}

func TestWebhookMetrics(t *testing.T) {
	f := newEventFixture(t, nil, true)
	var mu sync.Mutex
	fail := map[string]int{"evt_retried": 2, "evt_dead": 99}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("webhook-id")
		if fail[id] > 0 {
			fail[id]--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, webhook.NewSecret(), webhook.WithRetries(3, time.Millisecond, time.Millisecond), f.inst.WebhookObserver())
	require.NoError(t, err)
	ctx := context.Background()
	hourAgo := time.Now().Add(-time.Hour)
	for _, id := range []string{"evt_at_once", "evt_retried", "evt_dead"} {
		require.NoError(t, s.Deliver(ctx, scim.Event{ID: id, Type: scim.EventUserCreated, ResourceType: "User", Time: hourAgo}))
	}

	m := f.metrics(t)
	assert.Equal(t, map[string]int64{"delivered": 2, "retry": 4, "dead_lettered": 1},
		sums(t, m["scim.webhook.delivery.attempts"], "scim.webhook.outcome"),
		"1 attempt at the first event, 3 at the second (2 retried), 3 at the third (2 retried, then dead)")
	assert.Equal(t, map[string]int64{"": 1}, sums(t, m["scim.webhook.dead_letters"]))
	lag := m["scim.webhook.delivery.lag"].(metricdata.Histogram[float64])
	require.Len(t, lag.DataPoints, 1)
	dp := lag.DataPoints[0]
	assert.Equal(t, uint64(2), dp.Count, "one lag per delivered event")
	minLag, _ := dp.Min.Value()
	maxLag, _ := dp.Max.Value()
	assert.GreaterOrEqual(t, minLag, 3600.0, "in seconds, from the event's time")
	assert.Less(t, maxLag, 3660.0)
}

func TestConsumerMetrics(t *testing.T) {
	f := newEventFixture(t, nil, true)
	ann := f.create(t, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	require.Equal(t, 204, f.do(t, "DELETE", "/Users/"+ann, "").Code)

	var mu sync.Mutex
	var handled []scim.EventType
	failOnce := true
	done := make(chan struct{})
	h := f.inst.EventHandler("revoke", func(ctx context.Context, e scim.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if failOnce {
			failOnce = false
			return errors.New("not now")
		}
		handled = append(handled, e.Type)
		if len(handled) == 2 {
			close(done)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- events.NewConsumer(f.users, f.users, "revoke", h, events.WithBackoff(time.Millisecond, time.Millisecond)).Run(ctx)
	}()
	<-done
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventUserDeleted}, handled)

	m := f.metrics(t)
	assert.Equal(t, map[string]int64{"revoke handled": 2, "revoke failed": 1},
		sums(t, m["scim.events.consumer.events"], "scim.events.consumer", "scim.events.consumer.outcome"))
	lag := m["scim.events.consumer.lag"].(metricdata.Histogram[float64])
	require.Len(t, lag.DataPoints, 1)
	assert.Equal(t, "revoke", attrs(lag.DataPoints[0].Attributes)["scim.events.consumer"])
	assert.Equal(t, uint64(3), lag.DataPoints[0].Count, "one per call, the failed one included")
	minLag, _ := lag.DataPoints[0].Min.Value()
	assert.GreaterOrEqual(t, minLag, 0.0)
}

// An Instrumentation that is never asked for the event options reports
// no event metrics: the instruments exist, with no data.
func TestEventMetricsOptIn(t *testing.T) {
	f := newEventFixture(t, nil, true)
	f.create(t, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	_, counted := f.metrics(t)["scim.events"]
	assert.False(t, counted)
}
