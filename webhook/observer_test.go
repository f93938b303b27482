package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/webhook"
)

// deliveries records what an observer gets.
type deliveries struct {
	mu sync.Mutex
	ds []webhook.Delivery
}

func (d *deliveries) observe(_ context.Context, x webhook.Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ds = append(d.ds, x)
}

func (d *deliveries) get() []webhook.Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]webhook.Delivery(nil), d.ds...)
}

// summary is what the tests compare of a delivery: its attempt, outcome
// and status.
func summary(ds []webhook.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d %s %d", d.Attempt, d.Outcome, d.Status))
	}
	return out
}

// answers serves the statuses in order, then 204.
func answers(statuses ...int) *httptest.Server {
	var mu sync.Mutex
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if len(statuses) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(statuses[0])
		statuses = statuses[1:]
	}))
}

func TestObserver(t *testing.T) {
	closed := answers()
	closed.Close() // nobody answers there
	for _, tc := range []struct {
		name     string
		url      string // "" for the server
		statuses []int
		attempts int
		cancel   bool
		want     []string
	}{
		{name: "delivered at once", want: []string{"1 delivered 204"}, attempts: 3},
		{name: "delivered after retries", statuses: []int{503, 500}, attempts: 3,
			want: []string{"1 retry 503", "2 retry 500", "3 delivered 204"}},
		{name: "dead-lettered", statuses: []int{500, 502, 400}, attempts: 3,
			want: []string{"1 retry 500", "2 retry 502", "3 dead_lettered 400"}},
		{name: "no answer", url: closed.URL, attempts: 2,
			want: []string{"1 retry 0", "2 dead_lettered 0"}},
		{name: "cancelled", attempts: 3, cancel: true, want: []string{"1 cancelled 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := answers(tc.statuses...)
			defer srv.Close()
			url := srv.URL
			if tc.url != "" {
				url = tc.url
			}
			var a, b deliveries
			s, err := webhook.NewSender(url, webhook.NewSecret(), webhook.WithRetries(tc.attempts, time.Millisecond, time.Millisecond),
				webhook.WithObserver(a.observe), webhook.WithObserver(nil), webhook.WithObserver(b.observe))
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			e := scim.Event{ID: "evt_1", Type: scim.EventUserDeactivated, Tenant: "acme", ResourceType: "User",
				Time: time.Now().Add(-time.Hour)}
			_ = s.Deliver(ctx, e)

			got := a.get()
			assert.Equal(t, tc.want, summary(got))
			assert.Equal(t, got, b.get(), "every observer gets every attempt")
			for _, d := range got {
				assert.Equal(t, "evt_1", d.EventID)
				assert.Equal(t, scim.EventUserDeactivated, d.EventType)
				assert.Equal(t, "acme", d.Tenant)
				assert.Equal(t, "User", d.ResourceType)
				assert.GreaterOrEqual(t, d.Lag, time.Hour, "the lag counts from the event's time")
				assert.Less(t, d.Lag, time.Hour+time.Minute)
				assert.GreaterOrEqual(t, d.Duration, time.Duration(0))
				assert.Equal(t, d.Outcome == webhook.OutcomeDelivered, d.Err == nil, "an error when, and only when, not delivered")
			}
			last := got[len(got)-1]
			assert.Equal(t, last.Outcome == webhook.OutcomeDeadLettered, len(s.DeadLetters()) == 1,
				"the last attempt is dead_lettered when, and only when, the event became a dead letter")
		})
	}
}

func TestObserverLagOfEventWithoutTime(t *testing.T) {
	srv := answers()
	defer srv.Close()
	var d deliveries
	s, err := webhook.NewSender(srv.URL, webhook.NewSecret(), webhook.WithObserver(d.observe))
	require.NoError(t, err)
	require.NoError(t, s.Deliver(context.Background(), scim.Event{ID: "evt_1"}))
	require.Len(t, d.get(), 1)
	assert.Zero(t, d.get()[0].Lag)
}
