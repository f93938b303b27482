package scim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// An unset environment variable must never open the handler: every way of
// configuring no usable credential fails at construction.
func TestNewHandlerRefusesToStartOpen(t *testing.T) {
	users, groups := memstore.New()
	for name, opts := range map[string][]scim.Option{
		"no authentication option":          nil,
		"empty token":                       {scim.WithBearerToken("")},
		"blank token":                       {scim.WithBearerToken(" \t\n")},
		"no token at all":                   {scim.WithBearerToken()},
		"empty token beside a good one":     {scim.WithBearerToken("good", "")},
		"nil validator only":                {scim.WithTokenValidator(nil)},
		"nil authenticator only":            {scim.WithAuthenticator(nil)},
		"without authentication and token":  {scim.WithoutAuthentication(), scim.WithBearerToken("t")},
		"without authentication and others": {scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) { return r.Context(), nil })), scim.WithoutAuthentication()},
		"unrelated options only":            {scim.WithMaxResults(10), scim.WithPatchNoContent()},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Panics(t, func() { scim.NewHandler(users, groups, opts...) })
		})
	}
}

func TestWithoutAuthenticationServesWithoutCredentials(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Users", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
}

// tenantAuth accepts "Bearer tenant-<name>" and serves the request for
// tenant <name>; "Bearer broken" fails with an internal error and
// "Bearer forbidden" with a SCIM error of its own.
var tenantAuth = scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
	tok, ok := scim.BearerToken(r)
	switch {
	case !ok:
		return nil, scim.ErrUnauthenticated
	case tok == "broken":
		return nil, errors.New("database password is hunter2")
	case tok == "forbidden":
		return nil, scim.NewError(http.StatusForbidden, "", "this connection is disabled")
	case strings.HasPrefix(tok, "tenant-"):
		ctx := scim.ContextWithTenant(r.Context(), strings.TrimPrefix(tok, "tenant-"))
		return scim.ContextWithConnectionID(ctx, "conn-"+tok), nil
	}
	return nil, scim.ErrUnauthenticated
})

func serveAuth(h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAuthenticatorPartitionsByTenant(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(tenantAuth))

	rec := serveAuth(h, http.MethodPost, "/Users", "tenant-a", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	// The same userName is free in another tenant, and the first tenant's
	// user is invisible there.
	rec = serveAuth(h, http.MethodPost, "/Users", "tenant-b", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		rec = serveAuth(h, http.MethodGet, "/Users", tenant, "")
		assert.Contains(t, rec.Body.String(), `"totalResults":1`, tenant)
	}
	rec = serveAuth(h, http.MethodGet, "/Users", "tenant-c", "")
	assert.Contains(t, rec.Body.String(), `"totalResults":0`)
}

func TestAuthenticatorFailures(t *testing.T) {
	var logs bytes.Buffer
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(tenantAuth),
		scim.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	for _, tok := range []string{"", "nobody"} {
		rec := serveAuth(h, http.MethodGet, "/Users", tok, "")
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
		assert.Contains(t, rec.Body.String(), `"status":"401"`)
	}

	rec := serveAuth(h, http.MethodGet, "/Users", "forbidden", "")
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "this connection is disabled")
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))

	rec = serveAuth(h, http.MethodGet, "/Users", "broken", "")
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "hunter2", "internal error text must not reach the client")
	assert.Contains(t, logs.String(), "hunter2", "but it is logged")
}

func TestAuthenticationOptionsCombine(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups,
		scim.WithBearerToken("fixed"),
		scim.WithTokenValidator(func(_ context.Context, tok string) bool { return tok == "validated" }),
		scim.WithAuthenticator(tenantAuth))
	for tok, want := range map[string]int{
		"fixed":     http.StatusOK,
		"validated": http.StatusOK,
		"tenant-x":  http.StatusOK,
		"fixed2":    http.StatusUnauthorized,
		"":          http.StatusUnauthorized,
	} {
		assert.Equal(t, want, serveAuth(h, http.MethodGet, "/Users", tok, "").Code, "token %q", tok)
	}
}

func TestTenantFromContext(t *testing.T) {
	ctx := context.Background()
	assert.Equal(t, "", scim.TenantFromContext(ctx))
	assert.Equal(t, "", scim.ConnectionIDFromContext(ctx))
	ctx = scim.ContextWithConnectionID(scim.ContextWithTenant(ctx, "acme"), "c1")
	assert.Equal(t, "acme", scim.TenantFromContext(ctx))
	assert.Equal(t, "c1", scim.ConnectionIDFromContext(ctx))
}

func TestBearerToken(t *testing.T) {
	for hdr, want := range map[string]string{
		"Bearer abc":    "abc",
		"bearer  abc  ": "abc",
		"BEARER abc":    "abc",
		"Basic abc":     "",
		"Bearer ":       "",
		"Bearer":        "",
		"":              "",
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if hdr != "" {
			req.Header.Set("Authorization", hdr)
		}
		got, ok := scim.BearerToken(req)
		assert.Equal(t, want, got, hdr)
		assert.Equal(t, want != "", ok, hdr)
	}
}

func TestWriteError(t *testing.T) {
	for _, c := range []struct {
		err        error
		status     int
		body       string
		authHeader bool
	}{
		{fmt.Errorf("token expired: %w", scim.ErrUnauthenticated), 401, `"status":"401"`, true},
		{scim.NewError(http.StatusTooManyRequests, "", "slow down"), 429, `"detail":"slow down"`, false},
		{fmt.Errorf("lookup: %w", scim.ErrNotFound), 404, `"status":"404"`, false},
		{errors.New("pq: password authentication failed"), 500, `"detail":"internal server error"`, false},
	} {
		rec := httptest.NewRecorder()
		scim.WriteError(rec, c.err)
		assert.Equal(t, c.status, rec.Code, c.err.Error())
		assert.Equal(t, "application/scim+json", rec.Header().Get("Content-Type"))
		assert.Contains(t, rec.Body.String(), c.body)
		assert.Contains(t, rec.Body.String(), scim.ErrorSchema)
		assert.NotContains(t, rec.Body.String(), "pq:")
		assert.NotContains(t, rec.Body.String(), "expired")
		assert.Equal(t, c.authHeader, rec.Header().Get("WWW-Authenticate") != "", c.err.Error())
	}
}
