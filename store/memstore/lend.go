package memstore

import (
	"context"
	"sync"

	"github.com/scimkit/scim"
)

// Lending (scim.UserLender): the handler encodes the stored users while
// the partition is read-locked instead of having them copied, so a page of
// 100 users costs no allocation per user.
//
// The sink's methods run under the partition's read lock: by the
// UserLender contract they neither keep nor change what they get, nor call
// the store (a read lock taken twice can deadlock with a waiting writer).

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

// LendUser implements [scim.UserLender]: it calls sink.LentUser with the
// stored user with the given id and, unless opts.SkipMembership is set, its
// groups, under the read lock. It returns an error wrapping
// scim.ErrNotFound if there is none, without calling the sink.
func (s *UserStore) LendUser(ctx context.Context, id string, opts scim.ReadOptions, sink scim.UserSink) error {
	p := s.b.partition(ctx, false)
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

// LendUsers implements [scim.UserLender]: it answers q as List does,
// calling sink.LentPage with the number of users that match q and the
// number on the page, then sink.LentUser with every user of the page and,
// unless q.SkipMembership is set, its groups, under the read lock.
func (s *UserStore) LendUsers(ctx context.Context, q *scim.Query, sink scim.UserSink) error {
	p := s.b.partition(ctx, false)
	if p == nil {
		sink.LentPage(0, 0)
		return nil
	}
	pre, prescanned, err := p.scanUsers(ctx, s.b, q)
	if err != nil {
		return err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	total, recs := p.selectUsers(s.b, q, pre, prescanned)
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
