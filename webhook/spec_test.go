package webhook_test

// A receiver written from the Standard Webhooks specification alone
// (spec/standard-webhooks.md of github.com/standard-webhooks/standard-webhooks,
// "Signature scheme", "Webhook headers" and "Verifying signatures"), using
// nothing of this package, checks real deliveries of the Sender, the
// specification libraries' published test vector, signatures of several
// secrets (rotation) and the timestamp tolerance at its boundaries.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/webhook"
)

// specTolerance is the receiver's allowed distance between the
// webhook-timestamp and its clock, either way.
const specTolerance = 5 * time.Minute

// specVerify verifies a message as the specification says: the secret is
// "whsec_" and the base64 of the key; the signed content is
// webhook-id "." webhook-timestamp "." body, exactly as received; the
// symmetric signature is HMAC-SHA256, sent as "v1," and its base64;
// webhook-signature is a space-delimited list of signatures, of which any
// one matching is enough (other versions, such as v1a, are skipped); the
// comparison is constant-time (hmac.Equal); and webhook-timestamp, integer
// Unix seconds, must be within the tolerance of now.
func specVerify(secrets []string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing header")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("timestamp is not an integer")
	}
	if d := now.Unix() - sec; d > int64(specTolerance/time.Second) || d < -int64(specTolerance/time.Second) {
		return errors.New("timestamp outside tolerance")
	}
	content := []byte(id + "." + ts + "." + string(body))
	for _, secret := range secrets {
		enc, ok := strings.CutPrefix(secret, "whsec_")
		if !ok {
			return errors.New("secret without whsec_")
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return err
		}
		m := hmac.New(sha256.New, key)
		m.Write(content)
		want := m.Sum(nil)
		for _, s := range strings.Split(sigs, " ") {
			version, value, ok := strings.Cut(s, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				continue
			}
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no matching signature")
}

// delivery is one POST as received.
type delivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

// specReceiver records every POST and answers 204 to those specVerify
// accepts with its secrets, 401 to the others.
type specReceiver struct {
	secrets []string
	mu      sync.Mutex
	got     []delivery
	refused int
	arrived chan struct{}
}

func newSpecReceiver(secrets ...string) *specReceiver {
	return &specReceiver{secrets: secrets, arrived: make(chan struct{}, 1000)}
}

func (rc *specReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	err := specVerify(rc.secrets, r.Header, body, now)
	rc.mu.Lock()
	if r.Method != http.MethodPost {
		err = errors.New("not a POST")
	}
	if err != nil {
		rc.refused++
	} else {
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: body, at: now})
	}
	rc.mu.Unlock()
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
	rc.arrived <- struct{}{}
}

func (rc *specReceiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// The published test vector of the specification's reference libraries:
// the receiver accepts it, and Sign produces it.
func TestSpecPublishedVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = 1614265330
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.Itoa(ts))
	h.Set("webhook-signature", sig)
	require.NoError(t, specVerify([]string{secret}, h, body, time.Unix(ts, 0)))
	got, err := webhook.Sign(secret, id, time.Unix(ts, 0), body)
	require.NoError(t, err)
	assert.Equal(t, sig, got)
	require.NoError(t, webhook.Verify(secret, h, body, time.Unix(ts, 0)))

	// The receiver is no pushover: one changed byte anywhere fails.
	assert.Error(t, specVerify([]string{secret}, h, []byte(`{"test": 2432232315}`), time.Unix(ts, 0)))
	h2 := h.Clone()
	h2.Set("webhook-id", id+"x")
	assert.Error(t, specVerify([]string{secret}, h2, body, time.Unix(ts, 0)))
	h2 = h.Clone()
	h2.Set("webhook-timestamp", strconv.Itoa(ts+1))
	assert.Error(t, specVerify([]string{secret}, h2, body, time.Unix(ts, 0)))
	assert.Error(t, specVerify([]string{"whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 24))}, h, body, time.Unix(ts, 0)))
}

// deliverAll runs a Sender under a consumer of a memstore feed until the
// receiver has n deliveries.
func deliverAll(t *testing.T, users *memstore.UserStore, s *webhook.Sender, rc *specReceiver, n int) []delivery {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- events.NewConsumer(users, users, "spec", s.Deliver).Run(ctx) }()
	for range n {
		select {
		case <-rc.arrived:
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d deliveries arrived", len(rc.deliveries()), n)
		}
	}
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	return rc.deliveries()
}

// provision makes changes of every kind through a handler over memstore.
func provision(t *testing.T) (*memstore.UserStore, int) {
	t.Helper()
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	do := func(method, path, body string) string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		require.Less(t, w.Code, 300, "%s %s: %s", method, path, w.Body)
		loc := w.Header().Get("Location")
		return loc[strings.LastIndexByte(loc, '/')+1:]
	}
	u := do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","name":{"familyName":"Lovelace"},"emails":[{"value":"ada@example.com"}],"active":true}`)
	do(http.MethodPatch, "/Users/"+u, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	g := do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Ünïcødé & <eng>","members":[{"value":"`+u+`"}]}`)
	do(http.MethodDelete, "/Users/"+u, "")
	do(http.MethodDelete, "/Groups/"+g, "")
	// user.created, user.deactivated, group.created, group.members_added,
	// group.members_removed, user.deleted, group.deleted
	return users, 7
}

// Real deliveries of the Sender pass the specification's receiver, one
// POST per event in cursor order, with the headers and body the
// specification describes.
func TestSpecRealDeliveries(t *testing.T) {
	users, n := provision(t)
	secret := webhook.NewSecret()
	rc := newSpecReceiver(secret)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, secret)
	require.NoError(t, err)
	got := deliverAll(t, users, s, rc, n)
	require.Len(t, got, n)
	assert.Zero(t, rc.refused)

	want, err := users.Events(context.Background(), 0, 100)
	require.NoError(t, err)
	require.Len(t, want, n)
	for i, d := range got {
		id := d.header.Get("webhook-id")
		assert.Equal(t, want[i].ID, id, "webhook-id is the event id, in cursor order")
		assert.NotContains(t, id, ".", "the id must not hold the content's delimiter")
		ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
		require.NoError(t, err)
		assert.InDelta(t, d.at.Unix(), ts, 5, "webhook-timestamp is the attempt's time in Unix seconds")
		for _, sig := range strings.Split(d.header.Get("webhook-signature"), " ") {
			assert.True(t, strings.HasPrefix(sig, "v1,"), "%q", sig)
		}
		assert.Equal(t, "application/json", d.header.Get("Content-Type"))

		var msg struct {
			Type      string          `json:"type"`
			Timestamp string          `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(d.body, &msg))
		assert.Equal(t, string(want[i].Type), msg.Type)
		stamp, err := time.Parse(time.RFC3339Nano, msg.Timestamp)
		require.NoError(t, err, "timestamp is ISO 8601")
		assert.True(t, stamp.Equal(want[i].Time), "timestamp is the event's time")
		var e scim.Event
		require.NoError(t, json.Unmarshal(msg.Data, &e))
		assert.Equal(t, want[i].Cursor, e.Cursor)
		assert.Equal(t, id, e.ID)

		// The signature covers id, timestamp and body: a replay with any
		// of them changed is refused.
		now := time.Unix(ts, 0)
		require.NoError(t, specVerify([]string{secret}, d.header, d.body, now))
		require.NoError(t, webhook.Verify(secret, d.header, d.body, now))
		tampered := bytes.Replace(d.body, []byte(`"type":"`), []byte(`"type": "`), 1)
		assert.Error(t, specVerify([]string{secret}, d.header, tampered, now), "a re-serialised body")
		h := d.header.Clone()
		h.Set("webhook-timestamp", strconv.FormatInt(ts+1, 10))
		assert.Error(t, specVerify([]string{secret}, h, d.body, now), "a changed timestamp")
		h = d.header.Clone()
		h.Set("webhook-id", want[(i+1)%n].ID)
		assert.Error(t, specVerify([]string{secret}, h, d.body, now), "another event's id")
	}
}

// Key rotation: a Sender signing with the new secret and the previous one
// sends both signatures; a receiver holding either accepts, one holding
// neither refuses, and the order of the list does not matter.
func TestSpecMultipleSignatures(t *testing.T) {
	users, n := provision(t)
	oldSecret, newSecret := webhook.NewSecret(), webhook.NewSecret()
	rc := newSpecReceiver(oldSecret) // a receiver not yet moved to the new secret
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, newSecret, webhook.WithPreviousSecrets(oldSecret))
	require.NoError(t, err)
	got := deliverAll(t, users, s, rc, n)
	require.Len(t, got, n)
	assert.Zero(t, rc.refused)
	for _, d := range got {
		sigs := strings.Split(d.header.Get("webhook-signature"), " ")
		require.Len(t, sigs, 2, "one signature per secret, space-delimited")
		now := time.Unix(must(strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)), 0)
		assert.NoError(t, specVerify([]string{newSecret}, d.header, d.body, now), "a receiver moved to the new secret")
		assert.NoError(t, specVerify([]string{oldSecret}, d.header, d.body, now), "a receiver still on the old one")
		assert.Error(t, specVerify([]string{webhook.NewSecret()}, d.header, d.body, now), "any other secret")
		assert.NoError(t, webhook.Verify(newSecret, d.header, d.body, now))
		assert.NoError(t, webhook.Verify(oldSecret, d.header, d.body, now))

		// The matching signature anywhere in a list with others, of
		// another version or malformed, is enough; alone, those are not.
		for _, list := range []string{
			sigs[1] + " " + sigs[0],
			"v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== " + sigs[0],
			"v1,not-base64!! v2," + strings.TrimPrefix(sigs[0], "v1,") + " " + sigs[0],
		} {
			h := d.header.Clone()
			h.Set("webhook-signature", list)
			assert.NoError(t, specVerify([]string{newSecret}, h, d.body, now), "%q", list)
			assert.NoError(t, webhook.Verify(newSecret, h, d.body, now), "%q", list)
		}
		h := d.header.Clone()
		h.Set("webhook-signature", "v1a,"+strings.TrimPrefix(sigs[0], "v1,")+" v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
		assert.Error(t, specVerify([]string{newSecret}, h, d.body, now))
		assert.ErrorIs(t, webhook.Verify(newSecret, h, d.body, now), webhook.ErrInvalidSignature)
	}

	_, err = webhook.NewSender(srv.URL, newSecret, webhook.WithPreviousSecrets("whsec_short"))
	assert.ErrorIs(t, err, webhook.ErrBadSecret, "a malformed previous secret is refused")
}

// The tolerance: a message is accepted up to five minutes either side of
// the receiver's clock and refused a second beyond, by the specification's
// receiver and by Verify alike.
func TestSpecToleranceBoundaries(t *testing.T) {
	users, n := provision(t)
	secret := webhook.NewSecret()
	rc := newSpecReceiver(secret)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, secret)
	require.NoError(t, err)
	d := deliverAll(t, users, s, rc, n)[0]
	ts := time.Unix(must(strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)), 0)
	for _, c := range []struct {
		now    time.Time
		accept bool
	}{
		{ts, true},
		{ts.Add(5 * time.Minute), true},
		{ts.Add(-5 * time.Minute), true},
		{ts.Add(5*time.Minute + time.Second), false},
		{ts.Add(-5*time.Minute - time.Second), false},
		{ts.Add(time.Hour), false},
		{ts.Add(-time.Hour), false},
	} {
		spec := specVerify([]string{secret}, d.header, d.body, c.now)
		ours := webhook.Verify(secret, d.header, d.body, c.now)
		if c.accept {
			assert.NoError(t, spec, "receiver %v after the timestamp", c.now.Sub(ts))
			assert.NoError(t, ours, "Verify %v after the timestamp", c.now.Sub(ts))
		} else {
			assert.Error(t, spec, "receiver %v after the timestamp", c.now.Sub(ts))
			assert.ErrorIs(t, ours, webhook.ErrInvalidSignature, "Verify %v after the timestamp", c.now.Sub(ts))
		}
	}
	// A timestamp that is not an integer is refused.
	h := d.header.Clone()
	h.Set("webhook-timestamp", ts.Format(time.RFC3339))
	assert.Error(t, specVerify([]string{secret}, h, d.body, ts))
	assert.ErrorIs(t, webhook.Verify(secret, h, d.body, ts), webhook.ErrInvalidSignature)
}

// Retries keep the webhook-id and sign each attempt with its own
// timestamp, so a retry days later still verifies.
func TestSpecRetriesAreSignedAnew(t *testing.T) {
	secret := webhook.NewSecret()
	var mu sync.Mutex
	var attempts []delivery
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, delivery{header: r.Header.Clone(), body: body, at: time.Now()})
		if len(attempts) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, secret, webhook.WithRetries(5, 600*time.Millisecond, time.Second))
	require.NoError(t, err)
	e := scim.Event{ID: scim.NewID(), Type: scim.EventUserDeactivated, Time: time.Now().Add(-72 * time.Hour).UTC(), ResourceType: "User", ResourceID: "u1"}
	require.NoError(t, s.Deliver(context.Background(), e))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, attempts, 3)
	for _, a := range attempts {
		assert.Equal(t, e.ID, a.header.Get("webhook-id"))
		assert.Equal(t, attempts[0].body, a.body, "the same body on every attempt")
		assert.NoError(t, specVerify([]string{secret}, a.header, a.body, a.at), "an attempt verifies at its arrival, although the event is three days old")
	}
	assert.NotEqual(t, attempts[0].header.Get("webhook-timestamp"), attempts[2].header.Get("webhook-timestamp"),
		"the timestamp is the attempt's (retries 0.6s and 1.2s apart cross a second)")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
