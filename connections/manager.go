package connections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim"
)

// Manager creates, lists, disables and deletes connections and issues,
// rotates and revokes their credentials: what an application's settings
// page (or an operator's command line) does for a customer's IT admin.
// Every method is scoped to one tenant, the one the signed-in admin
// manages: a connection or credential of another tenant is reported as not
// found ([ErrNotFound]), never read or changed.
//
// A Manager is safe for concurrent use.
type Manager struct {
	store Store
	cfg   config
}

// NewManager returns a Manager on s. It reads [WithClock].
func NewManager(s Store, opts ...Option) *Manager {
	return &Manager{store: s, cfg: newConfig(opts)}
}

// Issued is a credential just made, with its secret: the only time the
// secret exists outside the identity provider it is given to.
type Issued struct {
	// Credential is the stored record.
	Credential *Credential
	// Secret is the token or client secret, to be shown once.
	Secret Secret
}

// ClientID returns the OAuth client_id to use with a client secret: the id
// of its connection.
func (i *Issued) ClientID() string { return i.Credential.ConnectionID }

// Limits on what a Manager accepts.
const (
	maxTenantLen = 256
	maxNameLen   = 256
)

func checkTenant(tenant string) error {
	if strings.TrimSpace(tenant) == "" {
		return fmt.Errorf("%w: empty tenant", ErrInvalid)
	}
	if len(tenant) > maxTenantLen || !utf8.ValidString(tenant) {
		return fmt.Errorf("%w: tenant is not valid UTF-8 of at most %d bytes", ErrInvalid, maxTenantLen)
	}
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: empty display name", ErrInvalid)
	}
	if len(name) > maxNameLen || !utf8.ValidString(name) {
		return fmt.Errorf("%w: display name is not valid UTF-8 of at most %d bytes", ErrInvalid, maxNameLen)
	}
	// A name is shown to people, in consoles and terminals: no control
	// characters, which could rewrite what a terminal shows.
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: display name contains a control character", ErrInvalid)
	}
	return nil
}

// Create makes a connection of tenant named displayName for an identity
// provider of kind p (a hint; "" is stored as [ProviderOther]). It has no
// credential yet: issue one with [Manager.IssueToken] or
// [Manager.CreateClientSecret]. It returns an error wrapping [ErrInvalid]
// for an empty tenant or display name, one of more than 256 bytes, or a
// display name with a control character.
func (m *Manager) Create(ctx context.Context, tenant, displayName string, p Provider) (*Connection, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if err := checkName(displayName); err != nil {
		return nil, err
	}
	if p == "" {
		p = ProviderOther
	}
	c := &Connection{ID: scim.NewID(), Tenant: tenant, DisplayName: displayName, Provider: p, Created: m.cfg.timestamp()}
	if err := m.store.CreateConnection(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns the connection id of tenant, or an error wrapping
// [ErrNotFound].
func (m *Manager) Get(ctx context.Context, tenant, id string) (*Connection, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	return m.store.Connection(ctx, tenant, id)
}

// List returns the connections of tenant, oldest first.
func (m *Manager) List(ctx context.Context, tenant string) ([]*Connection, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	return m.store.Connections(ctx, tenant)
}

// Rename sets the display name and provider hint of the connection id of
// tenant ("" keeps the provider as it is).
func (m *Manager) Rename(ctx context.Context, tenant, id, displayName string, p Provider) (*Connection, error) {
	if err := checkName(displayName); err != nil {
		return nil, err
	}
	return m.update(ctx, tenant, id, func(c *Connection) {
		c.DisplayName = displayName
		if p != "" {
			c.Provider = p
		}
	})
}

// SetDisabled disables (or enables again) the connection id of tenant. A
// disabled connection's credentials are refused from the next request on,
// on every replica sharing the store, and it cannot obtain access tokens;
// its credentials are kept, and work again once it is enabled.
func (m *Manager) SetDisabled(ctx context.Context, tenant, id string, disabled bool) (*Connection, error) {
	return m.update(ctx, tenant, id, func(c *Connection) { c.Disabled = disabled })
}

func (m *Manager) update(ctx context.Context, tenant, id string, change func(*Connection)) (*Connection, error) {
	c, err := m.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	change(c)
	if err := m.store.UpdateConnection(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Delete deletes the connection id of tenant and all its credentials,
// which are refused from the next request on. The tenant's users and
// groups are not touched.
func (m *Manager) Delete(ctx context.Context, tenant, id string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	return m.store.DeleteConnection(ctx, tenant, id)
}

// IssueToken makes a bearer token for the connection connectionID of
// tenant: the "Secret Token" of Microsoft Entra ID's provisioning settings,
// or the API token of Okta's. A ttl of zero makes a token that works until
// it is revoked (what Entra ID expects: an expired token quarantines the
// provisioning job); a positive ttl makes it expire after that long.
func (m *Manager) IssueToken(ctx context.Context, tenant, connectionID string, ttl time.Duration) (*Issued, error) {
	return m.issue(ctx, tenant, connectionID, KindToken, ttl)
}

// CreateClientSecret makes an OAuth 2.0 client secret for the connection
// connectionID of tenant; the connection's id is its client_id ([Issued.ClientID]).
// The identity provider exchanges the pair for access tokens at the
// [TokenHandler]. ttl is as for [Manager.IssueToken].
func (m *Manager) CreateClientSecret(ctx context.Context, tenant, connectionID string, ttl time.Duration) (*Issued, error) {
	return m.issue(ctx, tenant, connectionID, KindClientSecret, ttl)
}

func (m *Manager) issue(ctx context.Context, tenant, connectionID string, k Kind, ttl time.Duration) (*Issued, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if ttl < 0 {
		return nil, fmt.Errorf("%w: negative lifetime", ErrInvalid)
	}
	secret, id := newSecret(k)
	now := m.cfg.timestamp()
	cr := &Credential{ID: id, ConnectionID: connectionID, Kind: k, Hash: hashSecret(secret), Created: now}
	if ttl > 0 {
		cr.Expires = now.Add(ttl)
	}
	if err := m.store.CreateCredential(ctx, tenant, cr); err != nil {
		return nil, err
	}
	return &Issued{Credential: cr, Secret: Secret{secret}}, nil
}

// Credentials returns the tokens and client secrets of the connection
// connectionID of tenant, oldest first, revoked and expired ones included
// (see [Credential.Usable]). Their secrets are not among them: only the
// [Issued] value returned when one was made holds it.
func (m *Manager) Credentials(ctx context.Context, tenant, connectionID string) ([]*Credential, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	return m.store.Credentials(ctx, tenant, connectionID)
}

// Rotate replaces the token or client secret credentialID of tenant with a
// new one of the same kind, connection and lifetime, which works at once.
// The old one keeps working, so that the identity provider can be given
// the new one without a failed request: until it is revoked if grace is
// zero, or for grace longer (never longer than it would have anyway).
// Access tokens obtained with an old client secret expire with it. Rotating
// a revoked or expired credential is allowed (it is how a lost secret is
// replaced); rotating an access token is an [ErrInvalid] error.
func (m *Manager) Rotate(ctx context.Context, tenant, credentialID string, grace time.Duration) (*Issued, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if grace < 0 {
		return nil, fmt.Errorf("%w: negative grace period", ErrInvalid)
	}
	old, conn, err := m.store.LookupCredential(ctx, credentialID)
	if err != nil {
		return nil, err
	}
	if conn.Tenant != tenant {
		return nil, fmt.Errorf("credential %s: %w", credentialID, ErrNotFound)
	}
	if old.Kind == KindAccessToken {
		return nil, fmt.Errorf("%w: access tokens are not rotated; rotate the client secret", ErrInvalid)
	}
	var ttl time.Duration
	if !old.Expires.IsZero() {
		ttl = max(old.Expires.Sub(old.Created), time.Microsecond)
	}
	issued, err := m.issue(ctx, tenant, conn.ID, old.Kind, ttl)
	if err != nil {
		return nil, err
	}
	if grace > 0 {
		if err := m.store.ExpireCredential(ctx, tenant, old.ID, issued.Credential.Created.Add(grace)); err != nil {
			return nil, errors.Join(err, fmt.Errorf("the new credential %s was made; revoke the old one %s", issued.Credential.ID, old.ID))
		}
	}
	return issued, nil
}

// Revoke revokes the credential credentialID of tenant, and, for a client
// secret, every access token it obtained. It is refused from the next
// request on, on every replica sharing the store. Revoking a revoked
// credential succeeds.
func (m *Manager) Revoke(ctx context.Context, tenant, credentialID string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	return m.store.RevokeCredential(ctx, tenant, credentialID, m.cfg.timestamp())
}
