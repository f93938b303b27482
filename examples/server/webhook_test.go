package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveWebhook(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := resolveWebhook("", "", "", getenv)
	require.NoError(t, err)
	assert.Nil(t, cfg, "no URL, no webhooks")
	_, err = resolveWebhook("https://app.example.com/hook", "", "", getenv)
	assert.ErrorContains(t, err, "needs a secret", "never unsigned")
	_, err = resolveWebhook("https://app.example.com/hook", "not-a-secret", "", getenv)
	assert.ErrorIs(t, err, webhook.ErrBadSecret)
	env["SCIM_WEBHOOK_URL"] = "https://app.example.com/hook"
	env["SCIM_WEBHOOK_SECRET"] = webhook.NewSecret()
	cfg, err = resolveWebhook("", "", "", getenv)
	require.NoError(t, err)
	assert.Equal(t, "https://app.example.com/hook", cfg.url)
}

// The server posts each provisioning event to the webhook, signed.
func TestServerPostsWebhooks(t *testing.T) {
	secret := webhook.NewSecret()
	var mu sync.Mutex
	var types []string
	got := make(chan struct{}, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var msg struct{ Type string }
		_ = json.Unmarshal(body, &msg)
		mu.Lock()
		types = append(types, msg.Type)
		mu.Unlock()
		got <- struct{}{}
	}))
	defer recv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	hook := &webhookConfig{url: recv.URL, secret: secret, rescan: time.Hour}
	dsn := filepath.Join(t.TempDir(), "scimkit.db")
	go func() { done <- serve(ctx, ln, "T", dsn, slog.New(slog.DiscardHandler), hook) }()
	base := "http://" + ln.Addr().String() + "/scim/v2"
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)

	status, u := call(t, "POST", base+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","active":true}`)
	require.Equal(t, 201, status)
	status, _ = call(t, "PATCH", base+"/Users/"+u["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	require.Equal(t, 200, status)
	<-got
	<-got
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"user.created", "user.deactivated"}, types)
}
