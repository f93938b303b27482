package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scimkit/scim"
)

func errNotFound(kind, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", kind, id, scim.ErrNotFound)
}

func errVersion(kind, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", kind, id, scim.ErrPreconditionFailed)
}

// Get returns the user with the given id, with its Groups unless
// opts.SkipMembership is set.
func (s *UserStore) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	p := s.b.partition(ctx, false)
	if p == nil {
		return nil, errNotFound("user", id)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	r := p.users[id]
	if r == nil {
		return nil, errNotFound("user", id)
	}
	return p.userOut(r, opts), nil
}

// userOut returns the copy of r that a read returns.
func (p *partition) userOut(r *userRec, opts scim.ReadOptions) *scim.User {
	var groups [8]scim.MultiValue
	gs := groups[:0]
	if !opts.SkipMembership {
		gs = appendUserGroups(gs, r)
	}
	return new(userBox).fill(&r.u, gs)
}

// usersOut returns the copies of rs that a read returns, allocated
// together.
func (p *partition) usersOut(rs []*userRec, opts scim.ReadOptions) []*scim.User {
	out := make([]*scim.User, len(rs))
	boxes := make([]userBox, len(rs))
	var groups [8]scim.MultiValue
	for i, r := range rs {
		gs := groups[:0]
		if !opts.SkipMembership {
			gs = appendUserGroups(gs, r)
		}
		out[i] = boxes[i].fill(&r.u, gs)
	}
	return out
}

// Create stores a copy of u with a new random id and returns it as stored.
func (s *UserStore) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	r := new(userRec)
	r.set(u) // before locking, to hold the lock briefly
	c := &r.u
	p := s.b.partition(ctx, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	key := foldKey(c.UserName)
	if p.userNames[key] != nil {
		return nil, fmt.Errorf("memstore: userName %q is taken: %w", c.UserName, scim.ErrConflict)
	}
	c.ID = p.newID()
	t := now(time.Time{})
	c.Meta = scim.Meta{ResourceType: "User", Created: t, LastModified: t, Version: p.nextVersion()}
	p.users[c.ID] = r
	p.userNames[key] = r
	if c.ExternalID != "" {
		p.userExt.add(c.ExternalID, r)
	}
	p.userOrder.push(r)
	out := p.userOut(r, scim.ReadOptions{})
	p.record(s.b, s.b.change(ctx).Events(scim.Written{User: out}))
	return out, nil
}

// Replace replaces the user whose id is u.ID by a copy of u, keeping its
// creation time, and returns it as stored.
func (s *UserStore) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	n := new(userRec)
	n.set(u) // before locking, to hold the lock briefly
	c := &n.u
	p := s.b.partition(ctx, false)
	if p == nil {
		return nil, errNotFound("user", u.ID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.users[u.ID]
	if r == nil {
		return nil, errNotFound("user", u.ID)
	}
	if ifVersion != "" && ifVersion != r.u.Meta.Version {
		return nil, errVersion("user", u.ID)
	}
	key, oldKey := foldKey(c.UserName), foldKey(r.u.UserName)
	if o := p.userNames[key]; o != nil && o != r {
		return nil, fmt.Errorf("memstore: userName %q is taken: %w", c.UserName, scim.ErrConflict)
	}
	if key != oldKey {
		delete(p.userNames, oldKey)
		p.userNames[key] = r
	}
	if c.ExternalID != r.u.ExternalID {
		if r.u.ExternalID != "" {
			p.userExt.remove(r.u.ExternalID, r)
		}
		if c.ExternalID != "" {
			p.userExt.add(c.ExternalID, r)
		}
	}
	r.adopt(n)
	r.u.Meta = scim.Meta{
		ResourceType: "User",
		Created:      r.u.Meta.Created,
		LastModified: now(r.u.Meta.LastModified),
		Version:      p.nextVersion(),
	}
	out := p.userOut(r, scim.ReadOptions{})
	p.record(s.b, s.b.change(ctx).Events(scim.Written{User: out}))
	return out, nil
}

// Delete removes the user with the given id and removes it from the members
// of every group.
func (s *UserStore) Delete(ctx context.Context, id string, ifVersion string) error {
	p := s.b.partition(ctx, false)
	if p == nil {
		return errNotFound("user", id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.users[id]
	if r == nil {
		return errNotFound("user", id)
	}
	if ifVersion != "" && ifVersion != r.u.Meta.Version {
		return errVersion("user", id)
	}
	if ch := s.b.change(ctx); ch != nil {
		p.record(s.b, ch.Events(scim.Written{FormerGroups: p.formerGroups(id)}))
	}
	p.unlinkMember(s.b, id)
	delete(p.users, id)
	delete(p.userNames, foldKey(r.u.UserName))
	if r.u.ExternalID != "" {
		p.userExt.remove(r.u.ExternalID, r)
	}
	p.userOrder.remove(r.pos)
	r.gone = true
	return nil
}

// List returns the page of users that q selects. Equality on id, userName
// and externalId is answered from an index (also inside an "and" or "or"),
// as is q without a filter; other filters are evaluated with [scim.Match]
// on every user, in chunks that release the lock in between, stopping with
// ctx's error when ctx is done.
func (s *UserStore) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	p := s.b.partition(ctx, false)
	if p == nil {
		return &scim.Page[scim.User]{Resources: []*scim.User{}}, nil
	}
	pre, prescanned, err := p.scanUsers(ctx, s.b, q)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.listUsers(s.b, q, pre, prescanned), nil
}
