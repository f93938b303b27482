package connections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrNotFound is wrapped by the errors a [Store] and a [Manager] return for a
// connection or credential that does not exist, or that belongs to another
// tenant than the one named in the call: the two cases are not told apart,
// so that a tenant cannot learn of another tenant's connections.
var ErrNotFound = errors.New("connections: not found")

// ErrExists is wrapped by the error a [Store] returns when asked to create
// a connection or credential whose id is already taken.
var ErrExists = errors.New("connections: id already exists")

// ErrInvalid is wrapped by the errors a [Manager] returns for an argument it
// refuses, such as an empty tenant.
var ErrInvalid = errors.New("connections: invalid argument")

// Provider names the kind of identity provider at the other end of a
// connection. It is a hint for people (a console shows setup steps for it);
// the connection works the same whatever it says.
type Provider string

// The providers a connection can name. Any other value is stored as it is.
const (
	ProviderEntraID Provider = "entra-id"
	ProviderOkta    Provider = "okta"
	ProviderOther   Provider = "other"
)

// Connection is one identity-provider link of one tenant: the IdP that one
// customer's IT admin set up to provision the application. Every
// credential belongs to exactly one connection, and a request
// authenticated with it is served for the connection's tenant.
type Connection struct {
	// ID identifies the connection in every tenant; it is also the OAuth
	// client_id of the connection's client secrets.
	ID string
	// Tenant is the application's own identifier of the customer, passed
	// to [scim.ContextWithTenant] for every request the connection makes.
	// It is never empty.
	Tenant string
	// DisplayName is a name for people, such as "Acme Entra ID".
	DisplayName string
	// Provider is the kind of identity provider, a hint for people.
	Provider Provider
	// Created is when the connection was created.
	Created time.Time
	// Disabled refuses every request of the connection's credentials
	// (with 403) and the issuing of access tokens, until it is cleared.
	Disabled bool
}

// Kind is the kind of a credential.
type Kind string

// The kinds of credential.
const (
	// KindToken is a long-lived bearer token that an identity provider
	// sends with every SCIM request (Entra ID's "Secret Token", Okta's
	// "API token").
	KindToken Kind = "token"
	// KindClientSecret is an OAuth 2.0 client secret: with the
	// connection's id as client_id, it obtains access tokens from the
	// [TokenHandler]. It is not accepted on SCIM requests itself.
	KindClientSecret Kind = "client_secret"
	// KindAccessToken is a short-lived bearer token issued by the
	// [TokenHandler] to a client secret (its Parent).
	KindAccessToken Kind = "access_token"
)

// Credential is the stored form of a secret: everything but the secret
// itself, which exists only in the [Issued] value returned when it was
// made. A credential is usable at time t when it is not revoked, has not
// expired at t, and its connection is not disabled.
type Credential struct {
	// ID identifies the credential and is embedded in its secret, so the
	// secret's record is found with one lookup. It is not secret.
	ID string
	// ConnectionID is the connection the credential belongs to.
	ConnectionID string
	// Tenant is the connection's tenant; stores fill it in.
	Tenant string
	// Kind says how the credential is used.
	Kind Kind
	// Hash is the SHA-256 of the whole secret.
	Hash Hash
	// Parent is, for an access token, the id of the client secret that
	// obtained it; revoking or expiring the parent does the same to it.
	// It is empty for other kinds.
	Parent string
	// Created is when the credential was made.
	Created time.Time
	// Expires is when the credential stops working; zero means never.
	Expires time.Time
	// Revoked is when the credential was revoked; zero means it was not.
	// A revoked credential never works again.
	Revoked time.Time
	// LastUsed is about when the credential was last accepted, at most a
	// minute or so (see [WithLastUsedInterval]) behind; zero means never.
	LastUsed time.Time
}

// Usable reports whether c, on its own (ignoring its connection), is
// accepted at time now: not revoked and not expired.
func (c *Credential) Usable(now time.Time) bool {
	return c.Revoked.IsZero() && (c.Expires.IsZero() || now.Before(c.Expires))
}

// Hash is the SHA-256 of a secret. It formats, logs and marshals as
// "[redacted]", so that it does not end up in a log line or a response by
// accident; its bytes are read by slicing it (h[:]).
type Hash [32]byte

const redacted = "[redacted]"

// String returns "[redacted]".
func (Hash) String() string { return redacted }

// GoString returns "[redacted]".
func (Hash) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (Hash) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue returns "[redacted]".
func (Hash) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]", so encoders of JSON, XML and other
// text formats do not write the hash.
func (Hash) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Store keeps connections and credentials. Implementations are in
// github.com/scimkit/scim/store/memstore and
// github.com/scimkit/scim/store/sqlstore; package connectionstest checks
// others. A Store is safe for concurrent use, and every method sees every
// write that returned before it was called, in this and every other process
// sharing the store's database: revocation depends on it, so a store must
// not serve LookupCredential from a cache.
//
// Stores keep times to the microsecond at least, and return them in UTC.
// Every method but LookupCredential returns copies: changing a returned
// value does not change the store. Methods that name a tenant treat a connection or credential of
// another tenant exactly as one that does not exist.
type Store interface {
	// CreateConnection stores c, whose fields the caller has all set
	// (ID and Tenant non-empty). It returns an error wrapping ErrExists
	// if a connection with c.ID exists, in any tenant.
	CreateConnection(ctx context.Context, c *Connection) error

	// Connection returns the connection id of tenant, or an error
	// wrapping ErrNotFound.
	Connection(ctx context.Context, tenant, id string) (*Connection, error)

	// Connections returns the connections of tenant, oldest first (by
	// Created, then ID); none is an empty slice and no error.
	Connections(ctx context.Context, tenant string) ([]*Connection, error)

	// UpdateConnection sets the DisplayName, Provider and Disabled of
	// the connection c.ID of c.Tenant to c's; the other fields stay as
	// they are. It returns an error wrapping ErrNotFound if there is no
	// such connection. A credential of a disabled connection is refused
	// by the next LookupCredential's caller.
	UpdateConnection(ctx context.Context, c *Connection) error

	// DeleteConnection deletes the connection id of tenant and every
	// credential of it, or returns an error wrapping ErrNotFound.
	DeleteConnection(ctx context.Context, tenant, id string) error

	// CreateCredential stores cr for the connection cr.ConnectionID of
	// tenant, setting cr.Tenant to tenant. The caller has set ID, Kind,
	// Hash and Created, and Parent for an access token; Revoked and
	// LastUsed are zero. It returns an error wrapping ErrNotFound if the
	// connection does not exist in tenant, and one wrapping ErrExists if
	// a credential with cr.ID exists.
	CreateCredential(ctx context.Context, tenant string, cr *Credential) error

	// Credentials returns the tokens and client secrets of the connection
	// connectionID of tenant, revoked and expired ones included, oldest
	// first (by Created, then ID). Access tokens are not listed. It
	// returns an error wrapping ErrNotFound if the connection does not
	// exist in tenant; a connection without credentials gives an empty
	// slice.
	Credentials(ctx context.Context, tenant, connectionID string) ([]*Credential, error)

	// RevokeCredential marks the credential id of tenant, and every
	// credential whose Parent is id, revoked at time at. Revoking a
	// revoked credential succeeds and keeps the earlier time. It returns
	// an error wrapping ErrNotFound if the credential does not exist in
	// tenant.
	RevokeCredential(ctx context.Context, tenant, id string, at time.Time) error

	// ExpireCredential makes the credential id of tenant, and every
	// credential whose Parent is id, expire at time at, unless it
	// already expires earlier. It returns an error wrapping ErrNotFound
	// if the credential does not exist in tenant.
	ExpireCredential(ctx context.Context, tenant, id string, at time.Time) error

	// LookupCredential returns the credential id, of any kind and any
	// tenant, and its connection, or an error wrapping ErrNotFound. It
	// runs on every authenticated request: one indexed read, never a
	// write, and never a stale answer. For an access token, Revoked and
	// Expires account for its Parent too (revoked if the parent is, and
	// expiring no later than it), so that a token issued as its client
	// secret was being revoked, which the cascade of RevokeCredential
	// may miss, is refused all the same. What it returns is lent to the
	// caller, who must not change it, so that an in-memory store need
	// not copy on every request; a later write must not change it either
	// (store a new value instead).
	LookupCredential(ctx context.Context, id string) (*Credential, *Connection, error)

	// TouchCredential sets the LastUsed of the credential id to at, unless
	// it is already at or after at. A credential that no longer exists is
	// not an error.
	TouchCredential(ctx context.Context, id string, at time.Time) error

	// DeleteExpired deletes the access tokens that expired before
	// before, and reports how many it deleted. Tokens and client secrets
	// are kept until their connection is deleted, so that a console can
	// show them.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}

// AllConnectionsLister is implemented by stores that can list the
// connections of every tenant, for an operator's tools (the example
// server's "connections list" does). Code that serves one tenant's admins
// must not use it.
type AllConnectionsLister interface {
	// AllConnections returns every connection of every tenant, ordered by
	// Tenant, then Created, then ID.
	AllConnections(ctx context.Context) ([]*Connection, error)
}
