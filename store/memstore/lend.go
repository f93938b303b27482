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

// groupScratch holds the groups of lent users between reads, so that
// lending allocates nothing per user.
var groupScratch = sync.Pool{New: func() any { s := make([]scim.MultiValue, 0, 8); return &s }}

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
	if opts.SkipMembership {
		sink.LentUser(&r.u, nil)
		return nil
	}
	gs := groupScratch.Get().(*[]scim.MultiValue)
	*gs = appendUserGroups((*gs)[:0], r)
	sink.LentUser(&r.u, *gs)
	clear(*gs) // keep no strings of groups alive
	groupScratch.Put(gs)
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
	if q.SkipMembership {
		for _, r := range recs {
			sink.LentUser(&r.u, nil)
		}
		return nil
	}
	gs := groupScratch.Get().(*[]scim.MultiValue)
	for _, r := range recs {
		*gs = appendUserGroups((*gs)[:0], r)
		sink.LentUser(&r.u, *gs)
	}
	clear(*gs)
	groupScratch.Put(gs)
	return nil
}
