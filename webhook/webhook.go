// Package webhook delivers provisioning events to an HTTP endpoint as
// Standard Webhooks (https://www.standardwebhooks.com): each event is a
// POST whose body is
//
//	{"type":"user.deactivated","timestamp":"2026-01-02T15:04:05.123Z","data":{…the scim.Event…}}
//
// with the headers webhook-id (the event's id, the same on every retry, so
// a receiver can drop repeats), webhook-timestamp (Unix seconds of the
// attempt) and webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" keyed with the secret). A receiver in any language
// verifies it with a Standard Webhooks library, or in Go with [Verify].
//
// A [Sender] is an events.Handler: run it under an events.Consumer, which
// delivers each tenant's events in order, at least once, from a persisted
// cursor:
//
//	s, err := webhook.NewSender(url, secret)
//	c := events.NewConsumer(users, users, "webhook", s.Deliver)
//	go c.Run(ctx)
//
// [WithObserver] reports each delivery attempt (its outcome, the
// endpoint's status, the lag from the event), for metrics: package
// scimotel's Instrumentation.WebhookObserver turns them into
// OpenTelemetry instruments.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scim"
)

// secretPrefix starts every secret in the Standard Webhooks format.
const secretPrefix = "whsec_"

// NewSecret returns a new random secret in the Standard Webhooks format:
// "whsec_" and 32 random bytes in base64.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// ErrBadSecret is returned for a secret that is not "whsec_" followed by
// base64 of 24 to 64 bytes.
var ErrBadSecret = errors.New("webhook: the secret must be whsec_ followed by base64 of 24 to 64 bytes")

func decodeSecret(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign returns the webhook-signature header value of a message: "v1,"
// and the base64 HMAC-SHA256, keyed with the secret's bytes, of
// id + "." + timestamp + "." + body.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, timestamp.Unix(), body)), nil
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Tolerance is how far a message's timestamp may be from the receiver's
// clock for [Verify] to accept it: older messages are refused as replays.
const Tolerance = 5 * time.Minute

// ErrInvalidSignature is returned (wrapped) by [Verify] for a message that
// is not signed with the secret, or whose timestamp is out of tolerance.
var ErrInvalidSignature = errors.New("webhook: invalid signature")

// Verify checks a received message: its webhook-signature header must hold
// a v1 signature (among the space-separated ones) of the webhook-id and
// webhook-timestamp headers and the body with the secret, and the
// timestamp must be within [Tolerance] of now.
func Verify(secret string, header http.Header, body []byte, now time.Time) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature", ErrInvalidSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrInvalidSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: timestamp out of tolerance", ErrInvalidSignature)
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching v1 signature", ErrInvalidSignature)
}

// Option configures a [Sender].
type Option func(*Sender)

// WithHTTPClient sends with c. The default is a client with a 10-second
// timeout.
func WithHTTPClient(c *http.Client) Option { return func(s *Sender) { s.client = c } }

// WithRetries makes up to attempts attempts at each event, waiting first,
// then twice as long each time up to most, before giving the event up to
// the dead letters. The defaults are 8 attempts, 1s and 5m.
func WithRetries(attempts int, first, most time.Duration) Option {
	return func(s *Sender) {
		if attempts > 0 {
			s.attempts = attempts
		}
		if first > 0 && most >= first {
			s.first, s.most = first, most
		}
	}
}

// WithDeadLetter calls fn with each event given up after the last attempt
// failed, and the last error. [Sender.DeadLetters] keeps them too.
func WithDeadLetter(fn func(ctx context.Context, e scim.Event, err error)) Option {
	return func(s *Sender) { s.onDead = fn }
}

// WithObserver calls fn after each delivery attempt with what became of
// it, for metrics and logs: attempts by outcome, the lag from an event to
// its delivery, dead letters. It is called in the goroutine that called
// [Sender.Deliver] (a consumer's), before the next attempt or event, so it
// must be cheap and must not block. It may be given several times: each
// observer is called, in the order the options were given. A nil fn is
// ignored. By default there is no observer.
func WithObserver(fn func(ctx context.Context, d Delivery)) Option {
	return func(s *Sender) {
		if fn != nil {
			s.observers = append(s.observers, fn)
		}
	}
}

// Outcome is what became of a delivery attempt.
type Outcome string

// The outcomes of a delivery attempt.
const (
	// OutcomeDelivered: the endpoint answered 2xx.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeRetry: the attempt failed, and the event will be attempted
	// again after a backoff.
	OutcomeRetry Outcome = "retry"
	// OutcomeDeadLettered: the last attempt failed, and the event was
	// given up to the dead letters.
	OutcomeDeadLettered Outcome = "dead_lettered"
	// OutcomeCancelled: the context of Deliver was done during the
	// attempt; the consumer delivers the event again when it resumes.
	OutcomeCancelled Outcome = "cancelled"
)

// Delivery describes one delivery attempt of an event, for a
// [WithObserver] function.
type Delivery struct {
	// EventID, EventType, Tenant and ResourceType are the event's.
	EventID      string
	EventType    scim.EventType
	Tenant       string
	ResourceType string
	// Attempt is the number of the attempt at the event, 1 for the first.
	Attempt int
	// Outcome is what became of it.
	Outcome Outcome
	// Status is the endpoint's HTTP status, 0 if it did not answer (a
	// network error, a timeout).
	Status int
	// Err is why the attempt failed, nil if it was delivered.
	Err error
	// Duration is how long the attempt took.
	Duration time.Duration
	// Lag is the time from the event (its Time) to the end of the attempt:
	// for a delivered event, how late the endpoint learnt of the change.
	// It is 0 for an event without a Time.
	Lag time.Duration
}

// WithPreviousSecrets also signs every message with each of these
// secrets, for a rotation without downtime as the specification describes
// it: while receivers move from an old secret to the new one given to
// [NewSender], the webhook-signature header holds one v1 signature per
// secret (the new one's first, space-separated), and a receiver that
// holds either verifies the message. [NewSender] refuses a malformed one.
func WithPreviousSecrets(secrets ...string) Option {
	return func(s *Sender) { s.previous = append(s.previous, secrets...) }
}

// DeadLetter is an event whose delivery was given up.
type DeadLetter struct {
	Event scim.Event
	Err   error
	At    time.Time
}

// maxDeadLetters bounds the dead letters a Sender keeps in memory.
const maxDeadLetters = 1000

// Sender posts events to one endpoint. It is safe for concurrent use.
type Sender struct {
	url         string
	secret      string
	previous    []string
	client      *http.Client
	attempts    int
	first, most time.Duration
	onDead      func(context.Context, scim.Event, error)
	observers   []func(context.Context, Delivery)
	now         func() time.Time

	mu   sync.Mutex
	dead []DeadLetter
}

// NewSender returns a Sender that posts to url, signed with secret (see
// [NewSecret]). It refuses an empty or malformed secret and a url that is
// not http or https.
func NewSender(url, secret string, opts ...Option) (*Sender, error) {
	if _, err := decodeSecret(secret); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("webhook: the endpoint must be an http or https URL")
	}
	s := &Sender{url: url, secret: secret, client: &http.Client{Timeout: 10 * time.Second},
		attempts: 8, first: time.Second, most: 5 * time.Minute, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	for _, p := range s.previous {
		if _, err := decodeSecret(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Deliver posts e, retrying failures (a network error or a status other
// than 2xx) with exponential backoff; after the last attempt it records e
// as a dead letter and returns nil, so that a consumer goes on with the
// next event. It returns ctx's error, without recording anything, if ctx
// is done first: the event is then delivered again when the consumer
// resumes.
func (s *Sender) Deliver(ctx context.Context, e scim.Event) error {
	body, err := json.Marshal(struct {
		Type      scim.EventType `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      scim.Event     `json:"data"`
	}{e.Type, e.Time, e})
	if err != nil {
		return err
	}
	wait := s.first
	for attempt := 1; ; attempt++ {
		start := s.now()
		var status int
		status, err = s.post(ctx, e.ID, body)
		var outcome Outcome
		switch {
		case err == nil:
			outcome = OutcomeDelivered
		case ctx.Err() != nil:
			outcome = OutcomeCancelled
		case attempt >= s.attempts:
			outcome = OutcomeDeadLettered
		default:
			outcome = OutcomeRetry
		}
		s.observe(ctx, e, attempt, outcome, status, err, start)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt >= s.attempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, s.most)
	}
	s.mu.Lock()
	s.dead = append(s.dead, DeadLetter{Event: e, Err: err, At: s.now()})
	if len(s.dead) > maxDeadLetters {
		s.dead = s.dead[len(s.dead)-maxDeadLetters:]
	}
	s.mu.Unlock()
	if s.onDead != nil {
		s.onDead(ctx, e, err)
	}
	return nil
}

// observe tells the observers about an attempt.
func (s *Sender) observe(ctx context.Context, e scim.Event, attempt int, outcome Outcome, status int, err error, start time.Time) {
	if len(s.observers) == 0 {
		return
	}
	end := s.now()
	d := Delivery{EventID: e.ID, EventType: e.Type, Tenant: e.Tenant, ResourceType: e.ResourceType,
		Attempt: attempt, Outcome: outcome, Status: status, Err: err, Duration: end.Sub(start)}
	if !e.Time.IsZero() {
		d.Lag = end.Sub(e.Time)
	}
	for _, o := range s.observers {
		o(ctx, d)
	}
}

// DeadLetters returns the events given up, oldest first (the newest 1,000
// at most).
func (s *Sender) DeadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.dead...)
}

// post makes one attempt; it returns the endpoint's status, 0 if it did
// not answer.
func (s *Sender) post(ctx context.Context, id string, body []byte) (int, error) {
	ts := s.now()
	sig, err := Sign(s.secret, id, ts, body)
	if err != nil {
		return 0, err
	}
	for _, p := range s.previous {
		old, err := Sign(p, id, ts, body)
		if err != nil {
			return 0, err
		}
		sig += " " + old
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook: endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
