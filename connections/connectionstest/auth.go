package connectionstest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// authEnv is a Manager, Authenticator and TokenHandler on the store under
// test, sharing a clock the test moves.
type authEnv struct {
	*env
	clock *clock
	m     *connections.Manager
	a     *connections.Authenticator
	th    *connections.TokenHandler
}

func newAuthEnv(t *testing.T, e *env, opts ...connections.Option) *authEnv {
	c := &clock{now: time.Now().UTC()}
	// Logged to the test's output, which a CI step scans for secrets.
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]connections.Option{connections.WithClock(c.Now), connections.WithLogger(logger)}, opts...)
	return &authEnv{env: e, clock: c,
		m:  connections.NewManager(e.store, opts...),
		a:  connections.NewAuthenticator(e.store, opts...),
		th: connections.NewTokenHandler(e.store, opts...),
	}
}

// auth authenticates a SCIM request carrying token.
func (ae *authEnv) auth(token string) (context.Context, error) {
	r := httptest.NewRequest(http.MethodGet, "/Users", nil).WithContext(ae.ctx)
	r.Header.Set("Authorization", "Bearer "+token)
	return ae.a.Authenticate(r)
}

// requireTenant checks that token authenticates for conn.
func (ae *authEnv) requireTenant(t *testing.T, token string, conn *connections.Connection) {
	t.Helper()
	ctx, err := ae.auth(token)
	require.NoError(t, err)
	require.Equal(t, conn.Tenant, scim.TenantFromContext(ctx))
	require.Equal(t, conn.ID, scim.ConnectionIDFromContext(ctx))
	got, ok := connections.FromContext(ctx)
	require.True(t, ok)
	require.Equal(t, conn.ID, got.ID)
	require.Equal(t, conn.DisplayName, got.DisplayName)
}

// requireRefused checks that token is refused with a 401.
func (ae *authEnv) requireRefused(t *testing.T, token, why string) {
	t.Helper()
	ctx, err := ae.auth(token)
	require.ErrorIs(t, err, scim.ErrUnauthenticated, why)
	require.Nil(t, ctx)
}

func (ae *authEnv) lastUsed(t *testing.T, id string) time.Time {
	t.Helper()
	cr, _ := ae.lookup(t, id)
	return cr.LastUsed
}

// issued returns a function that fails t on an error and otherwise
// returns what it was given.
func issued(t *testing.T) func(*connections.Issued, error) *connections.Issued {
	return func(i *connections.Issued, err error) *connections.Issued {
		t.Helper()
		require.NoError(t, err)
		require.NotNil(t, i)
		return i
	}
}

func testAuthenticator(t *testing.T, e *env) {
	ae := newAuthEnv(t, e)
	mustIssue := issued(t)
	connA, err := ae.m.Create(e.ctx, e.tenantA, "A's Entra ID", connections.ProviderEntraID)
	require.NoError(t, err)
	connB, err := ae.m.Create(e.ctx, e.tenantB, "B's Okta", connections.ProviderOkta)
	require.NoError(t, err)
	tokA := mustIssue(ae.m.IssueToken(e.ctx, e.tenantA, connA.ID, 0))
	tokB := mustIssue(ae.m.IssueToken(e.ctx, e.tenantB, connB.ID, 0))

	ae.requireTenant(t, tokA.Secret.Reveal(), connA)
	ae.requireTenant(t, tokB.Secret.Reveal(), connB)
	_, err = ae.m.IssueToken(e.ctx, e.tenantB, connA.ID, 0)
	require.ErrorIs(t, err, connections.ErrNotFound, "B cannot issue a token for A's connection")

	// Mistyped, truncated, foreign and missing credentials.
	secret := tokA.Secret.Reveal()
	typo := []byte(secret)
	typo[len(tokenTag)+10] ^= 1
	ae.requireRefused(t, string(typo), "a typo")
	ae.requireRefused(t, secret[:len(secret)-1], "truncated")
	ae.requireRefused(t, secret+"a", "extended")
	ae.requireRefused(t, strings.ToUpper(secret), "upper case")
	ae.requireRefused(t, "some-other-token", "not ours")
	r := httptest.NewRequest(http.MethodGet, "/Users", nil)
	_, err = ae.a.Authenticate(r)
	require.ErrorIs(t, err, scim.ErrUnauthenticated, "no Authorization header")

	// LastUsed is written on first use, then at most once a minute.
	first := ae.lastUsed(t, tokA.Credential.ID)
	require.False(t, first.IsZero(), "the first use is recorded")
	ae.clock.Advance(30 * time.Second)
	ae.requireTenant(t, secret, connA)
	require.True(t, first.Equal(ae.lastUsed(t, tokA.Credential.ID)), "not written again within a minute")
	ae.clock.Advance(31 * time.Second)
	ae.requireTenant(t, secret, connA)
	require.True(t, ae.lastUsed(t, tokA.Credential.ID).After(first), "written again after a minute")

	// Disabling refuses (with 403) until enabled again.
	_, err = ae.m.SetDisabled(e.ctx, e.tenantB, connA.ID, true)
	require.ErrorIs(t, err, connections.ErrNotFound, "B cannot disable A's connection")
	ae.requireTenant(t, secret, connA)
	_, err = ae.m.SetDisabled(e.ctx, e.tenantA, connA.ID, true)
	require.NoError(t, err)
	_, err = ae.auth(secret)
	require.ErrorIs(t, err, connections.ErrDisabled)
	var se *scim.Error
	require.True(t, errors.As(err, &se))
	require.Equal(t, http.StatusForbidden, se.Status)
	ae.requireTenant(t, tokB.Secret.Reveal(), connB)
	_, err = ae.m.SetDisabled(e.ctx, e.tenantA, connA.ID, false)
	require.NoError(t, err)
	ae.requireTenant(t, secret, connA)

	// Rotation without a grace period: both work until the old is revoked.
	rot := mustIssue(ae.m.Rotate(e.ctx, e.tenantA, tokA.Credential.ID, 0))
	require.Equal(t, connA.ID, rot.Credential.ConnectionID)
	require.Equal(t, connections.KindToken, rot.Credential.Kind)
	require.NotEqual(t, secret, rot.Secret.Reveal())
	ae.requireTenant(t, rot.Secret.Reveal(), connA)
	ae.clock.Advance(24 * time.Hour)
	ae.requireTenant(t, secret, connA)
	require.ErrorIs(t, ae.m.Revoke(e.ctx, e.tenantB, tokA.Credential.ID), connections.ErrNotFound, "B cannot revoke A's token")
	ae.requireTenant(t, secret, connA)
	require.NoError(t, ae.m.Revoke(e.ctx, e.tenantA, tokA.Credential.ID))
	ae.requireRefused(t, secret, "revoked")
	ae.requireTenant(t, rot.Secret.Reveal(), connA)

	// Rotation with a grace period: the old one stops when it ends.
	_, err = ae.m.Rotate(e.ctx, e.tenantB, rot.Credential.ID, time.Hour)
	require.ErrorIs(t, err, connections.ErrNotFound, "B cannot rotate A's token")
	rot2 := mustIssue(ae.m.Rotate(e.ctx, e.tenantA, rot.Credential.ID, time.Hour))
	ae.clock.Advance(59 * time.Minute)
	ae.requireTenant(t, rot.Secret.Reveal(), connA)
	ae.requireTenant(t, rot2.Secret.Reveal(), connA)
	ae.clock.Advance(2 * time.Minute)
	ae.requireRefused(t, rot.Secret.Reveal(), "grace period over")
	ae.requireTenant(t, rot2.Secret.Reveal(), connA)

	// Expiry.
	short := mustIssue(ae.m.IssueToken(e.ctx, e.tenantA, connA.ID, time.Hour))
	ae.requireTenant(t, short.Secret.Reveal(), connA)
	ae.clock.Advance(time.Hour)
	ae.requireRefused(t, short.Secret.Reveal(), "expired")
	renewed := mustIssue(ae.m.Rotate(e.ctx, e.tenantA, short.Credential.ID, 0))
	require.Equal(t, time.Hour, renewed.Credential.Expires.Sub(renewed.Credential.Created), "a rotated token keeps its lifetime")
	ae.requireTenant(t, renewed.Secret.Reveal(), connA)

	// Listing shows the credentials without their secrets.
	creds, err := ae.m.Credentials(e.ctx, e.tenantA, connA.ID)
	require.NoError(t, err)
	require.Len(t, creds, 5)
	_, err = ae.m.Credentials(e.ctx, e.tenantB, connA.ID)
	require.ErrorIs(t, err, connections.ErrNotFound)

	// A client secret is not a bearer token.
	cs := mustIssue(ae.m.CreateClientSecret(e.ctx, e.tenantA, connA.ID, 0))
	ae.requireRefused(t, cs.Secret.Reveal(), "a client secret sent as a bearer token")

	// Deleting the connection refuses all of it.
	require.ErrorIs(t, ae.m.Delete(e.ctx, e.tenantB, connA.ID), connections.ErrNotFound)
	require.NoError(t, ae.m.Delete(e.ctx, e.tenantA, connA.ID))
	ae.requireRefused(t, rot2.Secret.Reveal(), "connection deleted")
	ae.requireRefused(t, renewed.Secret.Reveal(), "connection deleted")
	ae.requireTenant(t, tokB.Secret.Reveal(), connB)
}

// tokenTag is what precedes a token's id.
const tokenTag = connections.SecretPrefix + "tok_"

// tokenResponse is a token endpoint's answer.
type tokenResponse struct {
	status int
	header http.Header
	body   map[string]any
}

func (tr tokenResponse) str(k string) string { s, _ := tr.body[k].(string); return s }

// postToken posts form to the token endpoint, with Basic credentials if
// basic is not nil.
func (ae *authEnv) postToken(t *testing.T, form url.Values, basic []string) tokenResponse {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode())).WithContext(ae.ctx)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		r.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return ae.serveToken(t, r)
}

func (ae *authEnv) serveToken(t *testing.T, r *http.Request) tokenResponse {
	t.Helper()
	w := httptest.NewRecorder()
	ae.th.ServeHTTP(w, r)
	res := tokenResponse{status: w.Code, header: w.Header()}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &res.body), "body %q", w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "RFC 6749 §5.1 and §5.2")
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
	assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"))
	return res
}

func (ae *authEnv) requireOAuthError(t *testing.T, res tokenResponse, status int, code string) {
	t.Helper()
	require.Equal(t, status, res.status, "body %v", res.body)
	require.Equal(t, code, res.str("error"))
	require.NotContains(t, res.body, "access_token")
}

func grant(id, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
}

func testTokenHandler(t *testing.T, e *env) {
	ae := newAuthEnv(t, e, connections.WithAccessTokenLifetime(2*time.Hour))
	mustIssue := issued(t)
	connA, err := ae.m.Create(e.ctx, e.tenantA, "A", connections.ProviderEntraID)
	require.NoError(t, err)
	connB, err := ae.m.Create(e.ctx, e.tenantB, "B", connections.ProviderEntraID)
	require.NoError(t, err)
	csA := mustIssue(ae.m.CreateClientSecret(e.ctx, e.tenantA, connA.ID, 0))
	csB := mustIssue(ae.m.CreateClientSecret(e.ctx, e.tenantB, connB.ID, 0))
	require.Equal(t, connA.ID, csA.ClientID())
	secretA := csA.Secret.Reveal()

	// Basic authentication (RFC 6749 §2.3.1) and form parameters.
	res := ae.postToken(t, url.Values{"grant_type": {"client_credentials"}}, []string{connA.ID, secretA})
	require.Equal(t, http.StatusOK, res.status, "%v", res.body)
	require.Equal(t, "Bearer", res.str("token_type"))
	require.EqualValues(t, 7200, res.body["expires_in"], "the configured lifetime")
	accessA := res.str("access_token")
	require.True(t, strings.HasPrefix(accessA, connections.SecretPrefix+"at_"))
	ae.requireTenant(t, accessA, connA)
	require.False(t, ae.lastUsed(t, csA.Credential.ID).IsZero(), "a client secret's use is recorded")

	res = ae.postToken(t, grant(connB.ID, csB.Secret.Reveal()), nil)
	require.Equal(t, http.StatusOK, res.status, "%v", res.body)
	accessB := res.str("access_token")
	ae.requireTenant(t, accessB, connB)
	res = ae.postToken(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"scim.read scim:write"}}, []string{connA.ID, secretA})
	require.Equal(t, http.StatusOK, res.status, "a well-formed scope is accepted")

	// The RFC's error cases.
	ae.requireOAuthError(t, ae.postToken(t, url.Values{"grant_type": {"client_credentials"}}, []string{connB.ID, secretA}),
		http.StatusUnauthorized, "invalid_client")
	wrong := ae.postToken(t, grant(connA.ID, csB.Secret.Reveal()), nil)
	ae.requireOAuthError(t, wrong, http.StatusUnauthorized, "invalid_client")
	require.Contains(t, wrong.header.Get("WWW-Authenticate"), "Basic")
	ae.requireOAuthError(t, ae.postToken(t, grant(connA.ID, ""), nil), http.StatusUnauthorized, "invalid_client")
	ae.requireOAuthError(t, ae.postToken(t, url.Values{"grant_type": {"client_credentials"}}, nil), http.StatusUnauthorized, "invalid_client")
	tok := mustIssue(ae.m.IssueToken(e.ctx, e.tenantA, connA.ID, 0))
	ae.requireOAuthError(t, ae.postToken(t, grant(connA.ID, tok.Secret.Reveal()), nil), http.StatusUnauthorized, "invalid_client")
	ae.requireOAuthError(t, ae.postToken(t, grant(connA.ID, accessA), nil), http.StatusUnauthorized, "invalid_client")
	ae.requireOAuthError(t, ae.postToken(t, url.Values{"client_id": {connA.ID}, "client_secret": {secretA}}, nil),
		http.StatusBadRequest, "invalid_request")
	ae.requireOAuthError(t, ae.postToken(t, url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}, []string{connA.ID, secretA}),
		http.StatusBadRequest, "unsupported_grant_type")
	ae.requireOAuthError(t, ae.postToken(t, grant(connA.ID, secretA), []string{connA.ID, secretA}),
		http.StatusBadRequest, "invalid_request")
	ae.requireOAuthError(t, ae.postToken(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"a  b"}}, []string{connA.ID, secretA}),
		http.StatusBadRequest, "invalid_scope")
	twice := grant(connA.ID, secretA)
	twice.Add("grant_type", "client_credentials")
	ae.requireOAuthError(t, ae.postToken(t, twice, nil), http.StatusBadRequest, "invalid_request")

	r := httptest.NewRequest(http.MethodGet, "/oauth/token", nil)
	res = ae.serveToken(t, r)
	ae.requireOAuthError(t, res, http.StatusMethodNotAllowed, "invalid_request")
	require.Equal(t, http.MethodPost, res.header.Get("Allow"))
	r = httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	r.Header.Set("Content-Type", "application/json")
	ae.requireOAuthError(t, ae.serveToken(t, r), http.StatusBadRequest, "invalid_request")
	r = httptest.NewRequest(http.MethodPost, "/oauth/token?"+grant(connA.ID, secretA).Encode(), strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ae.requireOAuthError(t, ae.serveToken(t, r), http.StatusBadRequest, "invalid_request")
	r = httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&"+strings.Repeat("x", 10000)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ae.requireOAuthError(t, ae.serveToken(t, r), http.StatusBadRequest, "invalid_request")

	// A disabled connection gets no access token, and its tokens stop.
	_, err = ae.m.SetDisabled(e.ctx, e.tenantB, connB.ID, true)
	require.NoError(t, err)
	ae.requireOAuthError(t, ae.postToken(t, grant(connB.ID, csB.Secret.Reveal()), nil), http.StatusBadRequest, "unauthorized_client")
	_, err = ae.auth(accessB)
	require.ErrorIs(t, err, connections.ErrDisabled)
	_, err = ae.m.SetDisabled(e.ctx, e.tenantB, connB.ID, false)
	require.NoError(t, err)
	ae.requireTenant(t, accessB, connB)

	// Access tokens expire.
	ae.clock.Advance(2*time.Hour - time.Second)
	ae.requireTenant(t, accessA, connA)
	ae.clock.Advance(time.Second)
	ae.requireRefused(t, accessA, "expired access token")

	// Revoking the client secret refuses it and the access tokens it got.
	res = ae.postToken(t, grant(connA.ID, secretA), nil)
	require.Equal(t, http.StatusOK, res.status)
	accessA = res.str("access_token")
	ae.requireTenant(t, accessA, connA)
	require.NoError(t, ae.m.Revoke(e.ctx, e.tenantA, csA.Credential.ID))
	ae.requireRefused(t, accessA, "its client secret was revoked")
	ae.requireOAuthError(t, ae.postToken(t, grant(connA.ID, secretA), nil), http.StatusUnauthorized, "invalid_client")

	// Rotating a client secret keeps the client id; the old secret's
	// access tokens end with its grace period.
	res = ae.postToken(t, grant(connB.ID, csB.Secret.Reveal()), nil)
	require.Equal(t, http.StatusOK, res.status)
	accessB = res.str("access_token")
	ae.requireTenant(t, accessB, connB)
	rot := mustIssue(ae.m.Rotate(e.ctx, e.tenantB, csB.Credential.ID, time.Minute))
	require.Equal(t, connB.ID, rot.ClientID())
	res = ae.postToken(t, grant(connB.ID, rot.Secret.Reveal()), nil)
	require.Equal(t, http.StatusOK, res.status)
	ae.clock.Advance(2 * time.Minute)
	ae.requireRefused(t, accessB, "the old secret's access token ended with its grace period")
	ae.requireTenant(t, res.str("access_token"), connB)

	// Failed attempts are slowed per client: after five, even the right
	// secret waits, and other clients do not.
	for range 5 {
		ae.requireOAuthError(t, ae.postToken(t, grant(connB.ID, csA.Secret.Reveal()), nil), http.StatusUnauthorized, "invalid_client")
	}
	res = ae.postToken(t, grant(connB.ID, rot.Secret.Reveal()), nil)
	ae.requireOAuthError(t, res, http.StatusTooManyRequests, "temporarily_unavailable")
	require.Equal(t, "1", res.header.Get("Retry-After"))
	csA2 := mustIssue(ae.m.CreateClientSecret(e.ctx, e.tenantA, connA.ID, 0))
	require.Equal(t, http.StatusOK, ae.postToken(t, grant(connA.ID, csA2.Secret.Reveal()), nil).status, "another client is not slowed")
	ae.clock.Advance(time.Second)
	ae.requireOAuthError(t, ae.postToken(t, grant(connB.ID, "nope"), nil), http.StatusUnauthorized, "invalid_client")
	res = ae.postToken(t, grant(connB.ID, rot.Secret.Reveal()), nil)
	ae.requireOAuthError(t, res, http.StatusTooManyRequests, "temporarily_unavailable")
	require.Equal(t, "2", res.header.Get("Retry-After"), "the wait doubles")
	ae.clock.Advance(2 * time.Second)
	require.Equal(t, http.StatusOK, ae.postToken(t, grant(connB.ID, rot.Secret.Reveal()), nil).status, "after the wait, the right secret works")
	ae.requireOAuthError(t, ae.postToken(t, grant(connB.ID, "nope"), nil), http.StatusUnauthorized, "invalid_client")
	require.Equal(t, http.StatusOK, ae.postToken(t, grant(connB.ID, rot.Secret.Reveal()), nil).status, "a success cleared the count")
}
