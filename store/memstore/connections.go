package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scimkit/scim/connections"
)

// Connections is an in-memory [connections.Store]: for tests, and for an
// application whose users and groups live in memory too (its connections
// end with the process, like its data).
type Connections struct {
	mu    sync.RWMutex
	conns map[string]*connections.Connection
	creds map[string]*connections.Credential
	// byConn lists each connection's credential ids, so that deleting a
	// connection or listing its credentials does not scan them all.
	byConn map[string][]string
	// children lists the access tokens of each client secret.
	children map[string][]string
}

// NewConnections returns an empty in-memory connection store.
func NewConnections() *Connections {
	return &Connections{
		conns:    map[string]*connections.Connection{},
		creds:    map[string]*connections.Credential{},
		byConn:   map[string][]string{},
		children: map[string][]string{},
	}
}

var (
	_ connections.Store                = (*Connections)(nil)
	_ connections.AllConnectionsLister = (*Connections)(nil)
)

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, connections.ErrNotFound)
}

func copyConn(c *connections.Connection) *connections.Connection {
	cp := *c
	return &cp
}

func copyCred(c *connections.Credential) *connections.Credential {
	cp := *c
	return &cp
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// CreateConnection implements [connections.Store].
func (s *Connections) CreateConnection(_ context.Context, c *connections.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c.ID]; ok {
		return fmt.Errorf("connection %q: %w", c.ID, connections.ErrExists)
	}
	cp := copyConn(c)
	cp.Created = utc(cp.Created)
	s.conns[c.ID] = cp
	return nil
}

// conn returns the stored connection id of tenant, or nil. s.mu is held.
func (s *Connections) conn(tenant, id string) *connections.Connection {
	if c := s.conns[id]; c != nil && c.Tenant == tenant {
		return c
	}
	return nil
}

// Connection implements [connections.Store].
func (s *Connections) Connection(_ context.Context, tenant, id string) (*connections.Connection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.conn(tenant, id)
	if c == nil {
		return nil, notFound("connection", id)
	}
	return copyConn(c), nil
}

// Connections implements [connections.Store].
func (s *Connections) Connections(_ context.Context, tenant string) ([]*connections.Connection, error) {
	return s.list(func(c *connections.Connection) bool { return c.Tenant == tenant }), nil
}

// AllConnections implements [connections.AllConnectionsLister].
func (s *Connections) AllConnections(context.Context) ([]*connections.Connection, error) {
	return s.list(func(*connections.Connection) bool { return true }), nil
}

func (s *Connections) list(keep func(*connections.Connection) bool) []*connections.Connection {
	s.mu.RLock()
	out := []*connections.Connection{}
	for _, c := range s.conns {
		if keep(c) {
			out = append(out, copyConn(c))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *connections.Connection) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// UpdateConnection implements [connections.Store].
func (s *Connections) UpdateConnection(_ context.Context, c *connections.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := s.conn(c.Tenant, c.ID)
	if stored == nil {
		return notFound("connection", c.ID)
	}
	// Replaced, not changed in place: Lookup's callers hold copies, but
	// a pointer handed out earlier must never change under its reader.
	cp := *stored
	cp.DisplayName, cp.Provider, cp.Disabled = c.DisplayName, c.Provider, c.Disabled
	s.conns[c.ID] = &cp
	return nil
}

// DeleteConnection implements [connections.Store].
func (s *Connections) DeleteConnection(_ context.Context, tenant, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn(tenant, id) == nil {
		return notFound("connection", id)
	}
	for _, cid := range s.byConn[id] {
		delete(s.creds, cid)
		delete(s.children, cid)
	}
	delete(s.byConn, id)
	delete(s.conns, id)
	return nil
}

// CreateCredential implements [connections.Store].
func (s *Connections) CreateCredential(_ context.Context, tenant string, cr *connections.Credential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn(tenant, cr.ConnectionID) == nil {
		return notFound("connection", cr.ConnectionID)
	}
	if _, ok := s.creds[cr.ID]; ok {
		return fmt.Errorf("credential %q: %w", cr.ID, connections.ErrExists)
	}
	cr.Tenant = tenant
	cp := copyCred(cr)
	cp.Created, cp.Expires, cp.Revoked, cp.LastUsed = utc(cp.Created), utc(cp.Expires), utc(cp.Revoked), utc(cp.LastUsed)
	s.creds[cr.ID] = cp
	s.byConn[cr.ConnectionID] = append(s.byConn[cr.ConnectionID], cr.ID)
	if cr.Parent != "" {
		s.children[cr.Parent] = append(s.children[cr.Parent], cr.ID)
	}
	return nil
}

// Credentials implements [connections.Store].
func (s *Connections) Credentials(_ context.Context, tenant, connectionID string) ([]*connections.Credential, error) {
	s.mu.RLock()
	if s.conn(tenant, connectionID) == nil {
		s.mu.RUnlock()
		return nil, notFound("connection", connectionID)
	}
	out := []*connections.Credential{}
	for _, id := range s.byConn[connectionID] {
		if c := s.creds[id]; c != nil && c.Kind != connections.KindAccessToken {
			out = append(out, copyCred(c))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *connections.Credential) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// cred returns the stored credential id of tenant, or nil. s.mu is held.
func (s *Connections) cred(tenant, id string) *connections.Credential {
	if c := s.creds[id]; c != nil && c.Tenant == tenant {
		return c
	}
	return nil
}

// changeFamily replaces the credential id of tenant and its children with
// copies that change made. s.mu is not held.
func (s *Connections) changeFamily(tenant, id string, change func(*connections.Credential)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cred(tenant, id) == nil {
		return notFound("credential", id)
	}
	for _, cid := range append([]string{id}, s.children[id]...) {
		if c := s.creds[cid]; c != nil {
			cp := *c
			change(&cp)
			s.creds[cid] = &cp
		}
	}
	return nil
}

// RevokeCredential implements [connections.Store].
func (s *Connections) RevokeCredential(_ context.Context, tenant, id string, at time.Time) error {
	return s.changeFamily(tenant, id, func(c *connections.Credential) {
		if c.Revoked.IsZero() {
			c.Revoked = at.UTC()
		}
	})
}

// ExpireCredential implements [connections.Store].
func (s *Connections) ExpireCredential(_ context.Context, tenant, id string, at time.Time) error {
	return s.changeFamily(tenant, id, func(c *connections.Credential) {
		if c.Expires.IsZero() || at.Before(c.Expires) {
			c.Expires = at.UTC()
		}
	})
}

// LookupCredential implements [connections.Store].
func (s *Connections) LookupCredential(_ context.Context, id string) (*connections.Credential, *connections.Connection, error) {
	s.mu.RLock()
	cr := s.creds[id]
	var c *connections.Connection
	var parent *connections.Credential
	if cr != nil {
		c = s.conns[cr.ConnectionID]
		if cr.Parent != "" {
			parent = s.creds[cr.Parent]
		}
	}
	s.mu.RUnlock()
	if cr == nil || c == nil {
		return nil, nil, notFound("credential", id)
	}
	if parent != nil && outlives(cr, parent) {
		cp := *cr
		inherit(&cp, parent)
		cr = &cp
	}
	// Stored values are never changed in place (a write stores a new
	// value), so they can be lent, as the contract allows, without a copy
	// on every request.
	return cr, c, nil
}

// outlives reports whether child would be usable longer than parent.
func outlives(child, parent *connections.Credential) bool {
	return (!parent.Revoked.IsZero() && child.Revoked.IsZero()) ||
		(!parent.Expires.IsZero() && (child.Expires.IsZero() || parent.Expires.Before(child.Expires)))
}

// inherit makes child revoked if parent is, and expire no later than it.
func inherit(child, parent *connections.Credential) {
	if child.Revoked.IsZero() {
		child.Revoked = parent.Revoked
	}
	if !parent.Expires.IsZero() && (child.Expires.IsZero() || parent.Expires.Before(child.Expires)) {
		child.Expires = parent.Expires
	}
}

// TouchCredential implements [connections.Store].
func (s *Connections) TouchCredential(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.creds[id]; c != nil && c.LastUsed.Before(at) {
		cp := *c
		cp.LastUsed = at.UTC()
		s.creds[id] = &cp
	}
	return nil
}

// DeleteExpired implements [connections.Store].
func (s *Connections) DeleteExpired(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, c := range s.creds {
		if c.Kind != connections.KindAccessToken || c.Expires.IsZero() || !c.Expires.Before(before) {
			continue
		}
		delete(s.creds, id)
		s.byConn[c.ConnectionID] = slices.DeleteFunc(s.byConn[c.ConnectionID], func(x string) bool { return x == id })
		s.children[c.Parent] = slices.DeleteFunc(s.children[c.Parent], func(x string) bool { return x == id })
		if len(s.children[c.Parent]) == 0 {
			delete(s.children, c.Parent)
		}
		n++
	}
	return n, nil
}
