package memstore

import (
	"context"
	"sync"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/borrow"
)

// hook makes a store's lender findable by the scim handler (see
// internal/borrow); the alias keeps the embedded field unexported, so it
// adds nothing to the store's API.
type hook = borrow.Hook

// userLender lends stored users to the scim handler, which encodes them
// while the partition is read-locked instead of having them copied: a page
// of 100 users then costs no allocation per user. Its methods are exported
// only so that the handler's interface can name them; the type is not.
//
// The sink's methods run under the partition's read lock: they must not
// keep or change what they get, nor call the store (a read lock taken twice
// can deadlock with a waiting writer). The sink is an interface rather than
// callbacks so that the handler can pass a pooled value without allocating
// closures; the scim package names the same interface type.
type userLender struct{ b *backend }

type userSink = interface {
	LentPage(total, n int)
	LentUser(u *scim.User, groups []scim.MultiValue)
}

// lendScratch is what a read needs besides the lock: the groups of the
// user being lent, and where touch leaves its result. It is pooled, so
// that lending allocates nothing per user and touch writes to memory that
// no other goroutine uses.
type lendScratch struct {
	groups  []scim.MultiValue
	touched uint32
}

var scratchPool = sync.Pool{New: func() any { return &lendScratch{groups: make([]scim.MultiValue, 0, 8)} }}

func getScratch() *lendScratch { return scratchPool.Get().(*lendScratch) }

func (s *lendScratch) release() {
	clear(s.groups) // keep no strings of groups alive
	s.groups = s.groups[:0]
	scratchPool.Put(s)
}

// LendUser calls sink.LentUser with the stored user with the given id and,
// unless opts.SkipMembership is set, its groups. It returns an error
// wrapping scim.ErrNotFound if there is none, without calling the sink.
func (l userLender) LendUser(ctx context.Context, id string, opts scim.ReadOptions, sink userSink) error {
	p := l.b.partition(ctx, false)
	if p == nil {
		return errNotFound("user", id)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	r := p.users[id]
	if r == nil {
		return errNotFound("user", id)
	}
	sc := getScratch()
	defer sc.release()
	sc.touch(r)
	if opts.SkipMembership {
		sink.LentUser(&r.u, nil)
		return nil
	}
	sc.groups = appendUserGroups(sc.groups, r)
	sink.LentUser(&r.u, sc.groups)
	return nil
}

// LendUsers answers q as List does: it calls sink.LentPage with the number
// of users that match q and the number on the page, then sink.LentUser with
// every user of the page and, unless q.SkipMembership is set, its groups.
func (l userLender) LendUsers(ctx context.Context, q *scim.Query, sink userSink) error {
	p := l.b.partition(ctx, false)
	if p == nil {
		sink.LentPage(0, 0)
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	total, recs := p.selectUsers(l.b, q)
	sink.LentPage(total, len(recs))
	sc := getScratch()
	defer sc.release()
	if len(recs) > 0 {
		sc.touch(recs[0])
	}
	for i, r := range recs {
		// Fetch the next user while this one is encoded.
		if i+1 < len(recs) {
			sc.touch(recs[i+1])
		}
		if q.SkipMembership {
			sink.LentUser(&r.u, nil)
			continue
		}
		sc.groups = appendUserGroups(sc.groups[:0], r)
		sink.LentUser(&r.u, sc.groups)
	}
	return nil
}

// touch reads the first byte of each of r's strings and of its groups'
// names: loads that do not depend on one another, so that the CPU fetches
// their cache lines in parallel instead of one at a time as the encoder
// reaches them. A user is a dozen allocations, rarely in cache in a large
// directory.
func (s *lendScratch) touch(r *userRec) {
	u := &r.u
	x := first(u.ID) ^ first(u.ExternalID) ^ first(u.UserName) ^ first(u.DisplayName) ^ first(u.Meta.Version)
	if n := u.Name; n != nil {
		x ^= first(n.Formatted) ^ first(n.FamilyName) ^ first(n.GivenName)
	}
	for i := range u.Emails {
		x ^= first(u.Emails[i].Value)
	}
	if e := u.Enterprise; e != nil {
		x ^= first(e.EmployeeNumber) ^ first(e.Department)
		if m := e.Manager; m != nil {
			x ^= first(m.Value)
		}
	}
	for _, g := range r.groups {
		x ^= first(g.g.ID) ^ first(g.g.DisplayName)
	}
	s.touched = x // a store the compiler must keep, so it keeps the loads
}

func first(s string) uint32 {
	if s == "" {
		return 0
	}
	return uint32(s[0])
}
