package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/webhook"
)

// A receiver checks each message before it trusts it.
func ExampleVerify() {
	secret := webhook.NewSecret() // shared with the sender, e.g. SCIM_WEBHOOK_SECRET
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent) // then handle the event, once per webhook-id
	})

	body := []byte(`{"type":"user.deactivated","timestamp":"2026-01-02T15:04:05Z","data":{}}`)
	now := time.Now()
	sig, _ := webhook.Sign(secret, "evt_1", now, body)
	for _, signature := range []string{sig, "v1,Zm9yZ2Vk"} {
		r := httptest.NewRequest(http.MethodPost, "/scim-events", bytes.NewReader(body))
		r.Header.Set("webhook-id", "evt_1")
		r.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
		r.Header.Set("webhook-signature", signature)
		w := httptest.NewRecorder()
		receiver.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// 204
	// 401
}

// Watch the deliveries: each attempt's outcome, and how late the endpoint
// learns of each change.
func ExampleWithObserver() {
	var failures int
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failures < 1 {
			failures++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer endpoint.Close()
	s, _ := webhook.NewSender(endpoint.URL, webhook.NewSecret(),
		webhook.WithRetries(3, time.Millisecond, time.Millisecond),
		webhook.WithObserver(func(ctx context.Context, d webhook.Delivery) {
			fmt.Println(d.EventID, "attempt", d.Attempt, d.Outcome, d.Status, d.Lag >= time.Minute)
		}))
	_ = s.Deliver(context.Background(), scim.Event{ID: "evt_1", Type: scim.EventUserCreated, Time: time.Now().Add(-time.Minute)})
	// Output:
	// evt_1 attempt 1 retry 503 true
	// evt_1 attempt 2 delivered 204 true
}

// Rotating the secret without downtime: the sender signs with the new
// secret and the old one until every receiver has the new one.
func ExampleWithPreviousSecrets() {
	oldSecret, newSecret := webhook.NewSecret(), webhook.NewSecret()
	var header http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header, body = r.Header.Clone(), must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	s, _ := webhook.NewSender(srv.URL, newSecret, webhook.WithPreviousSecrets(oldSecret))
	_ = s.Deliver(context.Background(), scim.Event{ID: scim.NewID(), Type: scim.EventUserCreated})

	fmt.Println(len(strings.Fields(header.Get("webhook-signature"))), "signatures")
	fmt.Println("old secret:", webhook.Verify(oldSecret, header, body, time.Now()))
	fmt.Println("new secret:", webhook.Verify(newSecret, header, body, time.Now()))
	// Output:
	// 2 signatures
	// old secret: <nil>
	// new secret: <nil>
}
