package connections_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
)

// failingStore is a memstore whose reads and writes fail on demand, with
// errors that name what they were given, as a database's may.
type failingStore struct {
	connections.Store
	failLookup, failTouch, failCreate atomic.Bool
}

func (s *failingStore) LookupCredential(ctx context.Context, id string) (*connections.Credential, *connections.Connection, error) {
	if s.failLookup.Load() {
		return nil, nil, errors.New("database unreachable while looking up " + id)
	}
	return s.Store.LookupCredential(ctx, id)
}

func (s *failingStore) TouchCredential(ctx context.Context, id string, at time.Time) error {
	if s.failTouch.Load() {
		return errors.New("database read-only, touching " + id)
	}
	return s.Store.TouchCredential(ctx, id, at)
}

func (s *failingStore) CreateCredential(ctx context.Context, tenant string, cr *connections.Credential) error {
	if s.failCreate.Load() {
		return errors.New("disk full writing " + cr.ID)
	}
	return s.Store.CreateCredential(ctx, tenant, cr)
}

// No secret, nor its hash, reaches a log line or a response other than the
// one that hands it out, whatever fails: mistyped secrets, secrets in the
// wrong place, client secrets sent as bearer tokens, store errors.
func TestNoSecretInLogsOrResponses(t *testing.T) {
	store := &failingStore{Store: memstore.NewConnections()}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := connections.NewManager(store)
	a := connections.NewAuthenticator(store, connections.WithLogger(logger), connections.WithLastUsedInterval(time.Nanosecond))
	th := connections.NewTokenHandler(store, connections.WithLogger(logger))
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithLogger(logger), scim.WithAuthenticator(a))

	ctx := t.Context()
	conn, err := m.Create(ctx, "acme", "Acme", connections.ProviderEntraID)
	require.NoError(t, err)
	tok, err := m.IssueToken(ctx, "acme", conn.ID, 0)
	require.NoError(t, err)
	cs, err := m.CreateClientSecret(ctx, "acme", conn.ID, 0)
	require.NoError(t, err)
	secrets := []string{tok.Secret.Reveal(), cs.Secret.Reveal()}
	logger.Info("issued", "token", tok.Secret, "client", cs, "credential", tok.Credential)

	var responses bytes.Buffer
	record := func(w *httptest.ResponseRecorder) {
		for k, vs := range w.Header() {
			responses.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		responses.Write(w.Body.Bytes())
		responses.WriteString("\n")
	}
	scimGet := func(header string) int {
		r := httptest.NewRequest(http.MethodGet, "/Users", nil)
		r.Header.Set("Authorization", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		record(w)
		return w.Code
	}
	postToken := func(form url.Values, basicID, basicSecret string) (int, string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basicID != "" {
			r.SetBasicAuth(basicID, basicSecret)
		}
		w := httptest.NewRecorder()
		th.ServeHTTP(w, r)
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if w.Code == http.StatusOK {
			// The one response that hands a secret out; the token in it
			// is checked everywhere else.
			require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &body))
			return w.Code, body.AccessToken
		}
		record(w)
		return w.Code, ""
	}

	typo := []byte(secrets[0])
	typo[40] ^= 1
	// Accepted, refused and failing requests.
	require.Equal(t, http.StatusOK, scimGet("Bearer "+secrets[0]))
	for _, hdr := range []string{"Bearer " + string(typo), "Bearer " + secrets[0][:len(secrets[0])-1], "Bearer " + secrets[1],
		"Basic " + secrets[0], secrets[0], "Bearer " + strings.ToUpper(secrets[0])} {
		require.Equal(t, http.StatusUnauthorized, scimGet(hdr), hdr[:10])
	}
	store.failTouch.Store(true)
	require.Equal(t, http.StatusOK, scimGet("Bearer "+secrets[0]), "a failed LastUsed write does not fail the request")
	store.failTouch.Store(false)
	store.failLookup.Store(true)
	require.Equal(t, http.StatusInternalServerError, scimGet("Bearer "+secrets[0]))
	code, _ := postToken(url.Values{"grant_type": {"client_credentials"}}, url.QueryEscape(conn.ID), url.QueryEscape(secrets[1]))
	require.Equal(t, http.StatusInternalServerError, code)
	store.failLookup.Store(false)

	code, access := postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {conn.ID}, "client_secret": {secrets[1]}}, "", "")
	require.Equal(t, http.StatusOK, code)
	secrets = append(secrets, access)
	require.Equal(t, http.StatusOK, scimGet("Bearer "+access))
	for _, form := range []url.Values{
		{"grant_type": {"client_credentials"}, "client_id": {secrets[1]}, "client_secret": {secrets[1]}},                 // pasted into both fields
		{"grant_type": {"client_credentials"}, "client_id": {conn.ID}, "client_secret": {secrets[0]}},                    // a token, not a client secret
		{"grant_type": {"client_credentials"}, "client_id": {conn.ID}, "client_secret": {string(typo)}},                  // mistyped
		{"grant_type": {"password"}, "client_id": {conn.ID}, "client_secret": {secrets[1]}},                              // wrong grant
		{"grant_type": {"client_credentials"}, "client_id": {"other"}, "client_secret": {secrets[1]}},                    // wrong client
		{"grant_type": {"client_credentials", "x"}, "client_id": {conn.ID}, "client_secret": {secrets[1]}},               // repeated
		{"grant_type": {"client_credentials"}, "client_id": {conn.ID + secrets[1]}, "client_secret": {"x"}},              // concatenated
		{"grant_type": {"client_credentials"}, "client_id": {conn.ID}, "client_secret": {secrets[1]}, "scope": {"\x01"}}, // bad scope
	} {
		code, _ := postToken(form, "", "")
		require.NotEqual(t, http.StatusOK, code, "%v", form)
	}
	code, _ = postToken(url.Values{"grant_type": {"client_credentials"}}, secrets[1], secrets[1])
	require.NotEqual(t, http.StatusOK, code)
	store.failCreate.Store(true)
	code, _ = postToken(url.Values{"grant_type": {"client_credentials"}}, url.QueryEscape(conn.ID), url.QueryEscape(secrets[1]))
	require.Equal(t, http.StatusInternalServerError, code)
	store.failCreate.Store(false)
	require.NoError(t, m.Revoke(ctx, "acme", cs.Credential.ID))
	require.Equal(t, http.StatusUnauthorized, scimGet("Bearer "+access))

	out := logs.String() + "\n" + responses.String()
	require.Contains(t, logs.String(), "database unreachable", "the store's error was logged")
	require.Contains(t, logs.String(), "OAuth client authentication failed")
	require.Regexp(t, "scimkit_(tok|cs)_\\[redacted\\]", logs.String(), "secrets log in their redacted form")
	requireNoSecret(t, out, secrets...)
	requireNoSecret(t, out, string(typo))
}

// requireNoSecret fails if text holds any of secrets, a large part of one,
// its SHA-256 (hex or base64), or anything else shaped like a secret.
func requireNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		for _, leak := range []string{s, s[12:], s[len(s)-40:], s[20:60], hex.EncodeToString(sum[:]),
			base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])} {
			require.NotContains(t, text, leak, "a secret or its hash leaked")
		}
	}
	require.Empty(t, regexp.MustCompile(connections.SecretPattern).FindAllString(text, -1), "something shaped like a secret leaked")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
