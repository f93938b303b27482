package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test vector of the Standard Webhooks libraries.
func TestSignStandardVector(t *testing.T) {
	sig, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
}

func TestVerify(t *testing.T) {
	secret := webhook.NewSecret()
	body := []byte(`{"type":"user.created"}`)
	now := time.Unix(1_800_000_000, 0)
	sig, err := webhook.Sign(secret, "evt_1", now, body)
	require.NoError(t, err)
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", "v1,bm90IGl0 "+sig) // a rotated-out signature first
	require.NoError(t, webhook.Verify(secret, h, body, now.Add(time.Minute)))

	assert.ErrorIs(t, webhook.Verify(secret, h, []byte(`{"type":"user.deleted"}`), now), webhook.ErrInvalidSignature, "a changed body")
	assert.ErrorIs(t, webhook.Verify(webhook.NewSecret(), h, body, now), webhook.ErrInvalidSignature, "another secret")
	assert.ErrorIs(t, webhook.Verify(secret, h, body, now.Add(6*time.Minute)), webhook.ErrInvalidSignature, "a replay")
	h2 := h.Clone()
	h2.Set("webhook-id", "evt_2")
	assert.ErrorIs(t, webhook.Verify(secret, h2, body, now), webhook.ErrInvalidSignature, "another id")
	h2 = h.Clone()
	h2.Del("webhook-signature")
	assert.ErrorIs(t, webhook.Verify(secret, h2, body, now), webhook.ErrInvalidSignature)
}

func TestSecretsFailClosed(t *testing.T) {
	for _, s := range []string{"", "whsec_", "secret", "whsec_c2hvcnQ=", "whsec_!!!"} {
		_, err := webhook.NewSender("https://example.com/hook", s)
		assert.ErrorIs(t, err, webhook.ErrBadSecret, "%q", s)
	}
	_, err := webhook.NewSender("ftp://example.com", webhook.NewSecret())
	assert.Error(t, err)
}

// receiver checks each message as the specification says, without the
// package's own Verify, and records the events.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	events []scim.Event
	ids    []string
	fail   int // answer 503 to this many requests first
	want   int
	done   chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
	require.NoError(rc.t, err)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if !assert.Contains(rc.t, strings.Fields(sigs), want) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ids = append(rc.ids, id)
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var msg struct {
		Type      string     `json:"type"`
		Timestamp time.Time  `json:"timestamp"`
		Data      scim.Event `json:"data"`
	}
	require.NoError(rc.t, json.Unmarshal(body, &msg))
	assert.Equal(rc.t, string(msg.Data.Type), msg.Type)
	assert.Equal(rc.t, msg.Data.ID, id, "webhook-id is the event id")
	rc.events = append(rc.events, msg.Data)
	if len(rc.events) == rc.want {
		close(rc.done)
	}
	w.WriteHeader(http.StatusNoContent)
}

func createUser(t *testing.T, h http.Handler, tenant, name string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
	r.Header.Set("X-Tenant", tenant)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusCreated, w.Code)
}

// Tenant A's endpoint gets A's events, in order, after retries, and none
// of B's.
func TestSenderUnderConsumer(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		return scim.ContextWithTenant(r.Context(), r.Header.Get("X-Tenant")), nil
	})))
	secret := webhook.NewSecret()
	rc := &receiver{t: t, secret: secret, fail: 2, want: 3, done: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, secret, webhook.WithRetries(5, time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	createUser(t, h, "a", "a1")
	createUser(t, h, "b", "b1")
	createUser(t, h, "a", "a2")
	createUser(t, h, "b", "b2")
	createUser(t, h, "a", "a3")
	ctx, cancel := context.WithCancel(scim.ContextWithTenant(context.Background(), "a"))
	errc := make(chan error, 1)
	go func() { errc <- events.NewConsumer(users, users, "webhook", s.Deliver).Run(ctx) }()
	<-rc.done
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	var cursors []int64
	for _, e := range rc.events {
		assert.Equal(t, "a", e.Tenant)
		cursors = append(cursors, e.Cursor)
	}
	assert.Equal(t, []int64{1, 2, 3}, cursors)
	require.Len(t, rc.ids, 5, "two refused attempts, then three deliveries")
	assert.Equal(t, rc.ids[0], rc.ids[2], "a retry keeps the webhook-id")
	assert.Empty(t, s.DeadLetters())
}

func TestSenderDeadLetter(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	var dead []string
	s, err := webhook.NewSender(srv.URL, webhook.NewSecret(), webhook.WithRetries(3, time.Millisecond, 2*time.Millisecond),
		webhook.WithDeadLetter(func(_ context.Context, e scim.Event, err error) { dead = append(dead, e.ID) }))
	require.NoError(t, err)
	e := scim.Event{ID: "evt_1", Type: scim.EventUserCreated}
	require.NoError(t, s.Deliver(context.Background(), e), "a dead letter lets the consumer go on")
	assert.Equal(t, 3, calls)
	assert.Equal(t, []string{"evt_1"}, dead)
	dl := s.DeadLetters()
	require.Len(t, dl, 1)
	assert.Equal(t, "evt_1", dl[0].Event.ID)
	assert.ErrorContains(t, dl[0].Err, "500")

	// A stopped delivery is not a dead letter: it is delivered again later.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Deliver(ctx, e), context.Canceled)
	assert.Len(t, s.DeadLetters(), 1)
}
