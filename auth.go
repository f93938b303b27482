package scim

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthenticated is returned, wrapped, by an [Authenticator] that finds
// no valid credential on a request. The handler answers it with 401 and
// "WWW-Authenticate: Bearer".
var ErrUnauthenticated = errors.New("scim: no valid credential")

// Authenticator decides whether a request may be served and, in a
// multi-tenant application, for which tenant. Install one with
// [WithAuthenticator]; package github.com/scimkit/scim/connections provides
// one backed by per-tenant credentials.
type Authenticator interface {
	// Authenticate checks r's credentials. On success it returns the
	// context to serve r with: r.Context() itself, or a context derived
	// from it that carries the tenant ([ContextWithTenant]) and the
	// connection ([ContextWithConnectionID]) the credential belongs to.
	//
	// On failure it returns an error: one wrapping [ErrUnauthenticated] is
	// answered 401 with "WWW-Authenticate: Bearer"; a [*Error] is answered
	// with its own status and detail (403, say, or 429 with a Retry-After
	// the authenticator cannot set itself); any other error is logged and
	// answered with a generic 500. The error's text is never sent unless it
	// is a *Error.
	Authenticate(r *http.Request) (context.Context, error)
}

// AuthenticatorFunc adapts a function to an [Authenticator].
type AuthenticatorFunc func(r *http.Request) (context.Context, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (context.Context, error) { return f(r) }

type tenantKey struct{}

type connectionKey struct{}

// ContextWithTenant returns a copy of ctx that carries tenant, the
// application's own identifier of the customer a request is served for.
// memstore and sqlstore partition their data by it unless they are given
// another partition function, so an [Authenticator] that sets it makes the
// handler multi-tenant with no other change.
func ContextWithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantFromContext returns the tenant that [ContextWithTenant] put in
// ctx, or "" if there is none. An application's own store calls it to
// partition its data.
func TenantFromContext(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// ContextWithConnectionID returns a copy of ctx that carries the id of the
// identity-provider connection a request authenticated with.
func ContextWithConnectionID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, connectionKey{}, id)
}

// ConnectionIDFromContext returns the connection id that
// [ContextWithConnectionID] put in ctx, or "" if there is none.
func ConnectionIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(connectionKey{}).(string)
	return id
}

// authConfigured reports whether c says how requests are authenticated.
func (c *config) authConfigured() bool {
	return len(c.tokens) > 0 || c.tokenValidator != nil || len(c.authenticators) > 0 || c.noAuthentication
}

// checkAuthConfig panics, so that a handler never starts open by accident,
// when an option was given an empty credential or when nothing says how
// requests are authenticated.
func (c *config) checkAuthConfig() {
	if c.emptyToken {
		panic("scim: WithBearerToken was given an empty or blank token (is the environment variable that holds it set?); " +
			"refusing to start, since an empty token must never open the handler")
	}
	if c.noAuthentication && (len(c.tokens) > 0 || c.tokenValidator != nil || len(c.authenticators) > 0) {
		panic("scim: WithoutAuthentication conflicts with WithBearerToken, WithTokenValidator and WithAuthenticator")
	}
	if !c.authConfigured() {
		panic("scim: NewHandler needs to know how requests are authenticated: use WithBearerToken, WithTokenValidator " +
			"or WithAuthenticator, or WithoutAuthentication when your own middleware authenticates every request")
	}
}

// authenticate checks r's credentials as the options say. It returns the
// context to serve r with, or an error to answer it with.
func (h *handler) authenticate(r *http.Request) (context.Context, error) {
	c := h.cfg
	if c.noAuthentication {
		return r.Context(), nil
	}
	token, hasBearer := BearerToken(r)
	if hasBearer && (len(c.tokens) > 0 || c.tokenValidator != nil) {
		valid := 0
		for _, t := range c.tokens {
			valid |= subtle.ConstantTimeCompare([]byte(token), t)
		}
		if valid == 1 || (c.tokenValidator != nil && c.tokenValidator(r.Context(), token)) {
			return r.Context(), nil
		}
	}
	for _, a := range c.authenticators {
		ctx, err := a.Authenticate(r)
		if err == nil {
			if ctx == nil {
				ctx = r.Context()
			}
			return ctx, nil
		}
		if !errors.Is(err, ErrUnauthenticated) {
			return nil, err
		}
	}
	return nil, ErrUnauthenticated
}

// BearerToken returns the token of the request's "Authorization: Bearer"
// header (the scheme matched case-insensitively, surrounding spaces
// removed), and false if there is none or it is empty. An [Authenticator]
// reads its credential with it.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(header(r, "Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
