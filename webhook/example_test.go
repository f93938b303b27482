package webhook_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

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
