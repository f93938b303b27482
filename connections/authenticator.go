package connections

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/scimkit/scim"
)

// Authenticator is a [scim.Authenticator] that accepts the tokens and
// access tokens of the connections in a [Store] and serves each request
// for its connection's tenant: it puts the tenant ([scim.ContextWithTenant],
// which memstore and sqlstore partition by), the connection id
// ([scim.ContextWithConnectionID]) and the connection ([FromContext]) into
// the request's context. So
//
//	scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))
//
// is a complete multi-tenant SCIM server, each customer's identity provider
// confined to its own tenant.
//
// Each request costs one [Store.LookupCredential], and no cache stands
// between it and the store, so a revocation, expiry, disabling or deletion
// is in force from the next request on, on every replica sharing the store.
// A malformed or mistyped credential is refused without a read. A refused
// credential is answered 401; a valid one of a disabled connection 403.
type Authenticator struct {
	store Store
	cfg   config
	touch touchLimiter
}

// NewAuthenticator returns an Authenticator on s. It reads [WithClock],
// [WithLastUsedInterval] and [WithLogger].
func NewAuthenticator(s Store, opts ...Option) *Authenticator {
	return &Authenticator{store: s, cfg: newConfig(opts)}
}

// The reasons a credential is refused. They never contain the credential,
// and they wrap scim.ErrUnauthenticated, which the handler answers with a
// 401 that does not say which it was.
var (
	errMalformed   = fmt.Errorf("connections: not a token of this server, or mistyped: %w", scim.ErrUnauthenticated)
	errUnknown     = fmt.Errorf("connections: no such credential: %w", scim.ErrUnauthenticated)
	errWrongSecret = fmt.Errorf("connections: wrong secret: %w", scim.ErrUnauthenticated)
	errNotUsable   = fmt.Errorf("connections: credential revoked or expired: %w", scim.ErrUnauthenticated)
	errWrongKind   = fmt.Errorf("connections: a client secret is exchanged for an access token at the token endpoint, not sent to the SCIM endpoint: %w", scim.ErrUnauthenticated)
	errNoBearer    = fmt.Errorf("connections: no bearer token: %w", scim.ErrUnauthenticated)
)

// ErrDisabled is the error an [Authenticator] returns for a valid
// credential of a disabled connection: a 403 whose detail says so, which
// tells the connection's admin (and nobody without the secret) what to
// fix.
var ErrDisabled = scim.NewError(http.StatusForbidden, "", "this connection is disabled")

// Authenticate implements [scim.Authenticator].
func (a *Authenticator) Authenticate(r *http.Request) (context.Context, error) {
	tok, ok := scim.BearerToken(r)
	if !ok {
		return nil, errNoBearer
	}
	c, err := a.Verify(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	ctx := scim.ContextWithTenant(r.Context(), c.Tenant)
	ctx = scim.ContextWithConnectionID(ctx, c.ID)
	return context.WithValue(ctx, connectionKey{}, c), nil
}

// Verify checks a bearer token (a token or an access token) and returns
// its connection. It returns an error wrapping [scim.ErrUnauthenticated]
// for a credential it refuses, [ErrDisabled] for one of a disabled
// connection, and the store's error if it cannot read. The connection is
// the store's, lent: do not change it. Authenticate calls Verify; an
// application calls it to accept the same tokens on endpoints of its own.
func (a *Authenticator) Verify(ctx context.Context, token string) (*Connection, error) {
	kind, id, ok := parseSecret(token)
	if !ok || kind == KindClientSecret {
		if ok {
			return nil, errWrongKind
		}
		return nil, errMalformed
	}
	cred, conn, err := a.store.LookupCredential(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errUnknown
	}
	if err != nil {
		return nil, err
	}
	h := hashSecret(token)
	if subtle.ConstantTimeCompare(h[:], cred.Hash[:]) != 1 || cred.Kind != kind {
		return nil, errWrongSecret
	}
	now := a.cfg.now()
	if !cred.Usable(now) {
		return nil, errNotUsable
	}
	if conn.Disabled {
		return nil, ErrDisabled
	}
	a.recordUse(ctx, cred, now)
	return conn, nil
}

// recordUse writes cred's LastUsed time if it is older than the interval
// and no request of this process wrote it within the interval: one write a
// minute per credential, however many requests use it.
func (a *Authenticator) recordUse(ctx context.Context, cred *Credential, now time.Time) {
	iv := a.cfg.lastUsedInterval
	if iv <= 0 || now.Sub(cred.LastUsed) < iv || !a.touch.claim(cred.ID, now, iv) {
		return
	}
	// The write finishes even if the client goes away meanwhile.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), touchTimeout)
	defer cancel()
	if err := a.store.TouchCredential(wctx, cred.ID, now.UTC().Truncate(time.Microsecond)); err != nil && a.cfg.logger != nil {
		a.cfg.logger.WarnContext(ctx, "connections: recording a credential's last use", "credential", cred.ID, "error", err)
	}
}

// touchTimeout bounds the LastUsed write a request makes.
const touchTimeout = 5 * time.Second

// touchLimiter remembers when this process last wrote each credential's
// LastUsed, so that concurrent requests do not all write it when it falls
// due.
type touchLimiter struct {
	mu      sync.Mutex
	last    map[string]time.Time
	pruneAt int
}

// claim reports whether the caller should write id's LastUsed now: whether
// no caller claimed it within iv before now.
func (t *touchLimiter) claim(id string, now time.Time, iv time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last, t.pruneAt = map[string]time.Time{}, 1024
	}
	if prev, ok := t.last[id]; ok && now.Sub(prev) < iv {
		return false
	}
	t.last[id] = now
	if len(t.last) > t.pruneAt {
		// Forget what no longer matters, so that the map stays as large
		// as the set of credentials used within one interval.
		for k, v := range t.last {
			if now.Sub(v) >= iv {
				delete(t.last, k)
			}
		}
		t.pruneAt = max(1024, 2*len(t.last))
	}
	return true
}

type connectionKey struct{}

// FromContext returns the connection that an [Authenticator] authenticated
// the request of ctx with, and false if there is none. An application's
// store or hooks read the tenant with [scim.TenantFromContext] and the
// connection id with [scim.ConnectionIDFromContext]; FromContext gives the
// whole connection (its display name and provider, for a log, say).
func FromContext(ctx context.Context) (Connection, bool) {
	c, ok := ctx.Value(connectionKey{}).(*Connection)
	if !ok || c == nil {
		return Connection{}, false
	}
	return *c, true
}
