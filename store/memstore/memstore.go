// Package memstore is an in-memory [scim.UserStore] and [scim.GroupStore]:
// the store of the example server, of tests, and of applications whose
// directory fits in memory and need not survive a restart.
//
// It is safe for concurrent use (reads proceed in parallel; writes to one
// tenant's data are serialised), partitions data by tenant with
// [WithPartition], answers the lookups identity providers make (equality on
// id, userName, externalId, group displayName and group membership) from
// indexes rather than scans, and implements [scim.MemberPatcher], so adding
// a member to a group of 100,000 costs as little as adding one to a group of
// ten, and [scim.UserLender], so that the handler encodes stored users
// without copying them.
//
//	users, groups := memstore.New()
//	h := scim.NewHandler(users, groups, scim.WithBearerToken(token))
package memstore

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// Option configures the stores made by [New].
type Option func(*config)

type config struct {
	partition    func(ctx context.Context) string
	retention    int
	retentionSet bool
}

// WithPartition partitions the data by the key that partition derives from
// each call's context, such as a tenant id that the application's
// authentication middleware put there: a call sees only the resources of its
// own partition, and userName uniqueness holds within a partition. By
// default the key is [scim.TenantFromContext], the tenant that an
// [scim.Authenticator] (or the application's middleware) put in the
// context with [scim.ContextWithTenant]; requests without one share the
// partition "".
func WithPartition(partition func(ctx context.Context) string) Option {
	return func(c *config) { c.partition = partition }
}

// New returns a user store and a group store that share one in-memory
// backend, so that group membership and the users' groups attribute stay
// consistent.
func New(opts ...Option) (*UserStore, *GroupStore) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.partition == nil {
		c.partition = scim.TenantFromContext
	}
	if !c.retentionSet {
		c.retention = DefaultEventRetention
	}
	b := &backend{partitionOf: c.partition, retention: c.retention}
	b.parts.Store(&map[string]*partition{})
	return &UserStore{b: b}, &GroupStore{b: b}
}

// UserStore is the in-memory [scim.UserStore] made by [New]. It also
// implements [scim.UserLender], so that the handler encodes the stored users
// without copying them.
type UserStore struct{ b *backend }

// GroupStore is the in-memory [scim.GroupStore] made by [New]. It also
// implements [scim.MemberPatcher].
//
// Member values are compared case-insensitively, as filters compare them,
// so a group never holds two members whose values differ only in case.
// Deleting a user or group removes it from the members of every group, and
// each group so changed gets a new version, so that a client holding the
// old one cannot write the deleted member back.
type GroupStore struct{ b *backend }

var (
	_ scim.UserStore     = (*UserStore)(nil)
	_ scim.GroupStore    = (*GroupStore)(nil)
	_ scim.MemberPatcher = (*GroupStore)(nil)
	_ scim.UserLender    = (*UserStore)(nil)
)

type backend struct {
	partitionOf func(ctx context.Context) string
	// retention is the number of events kept per partition; 0 records
	// none (events.go).
	retention int
	// cursors are the consumers' cursors by partition and name.
	cursorMu sync.Mutex
	cursors  map[[2]string]int64
	// parts is replaced, never changed, when a partition is added, so that
	// finding a partition takes no lock on the read path.
	parts   atomic.Pointer[map[string]*partition]
	partsMu sync.Mutex // serialises adding partitions
	// scans counts List calls that evaluated the filter on every resource
	// rather than on candidates from an index; tests read it.
	scans atomic.Int64
}

// partition returns the partition of ctx, creating it if create is set; it
// returns nil if there is none, so that reads for unknown tenants allocate
// nothing.
func (b *backend) partition(ctx context.Context, create bool) *partition {
	key := b.partitionOf(ctx)
	if p := (*b.parts.Load())[key]; p != nil || !create {
		return p
	}
	b.partsMu.Lock()
	defer b.partsMu.Unlock()
	old := *b.parts.Load()
	if p := old[key]; p != nil {
		return p
	}
	p := newPartition()
	p.key = key
	parts := make(map[string]*partition, len(old)+1)
	for k, v := range old {
		parts[k] = v
	}
	parts[key] = p
	b.parts.Store(&parts)
	return p
}

// nextVersion returns a new weak entity tag; p must be write-locked. Each
// partition counts its own writes, so one tenant's versions reveal nothing
// of another tenant's activity; one sequence serves every resource of the
// partition, so a version is never reused within it, even for a deleted and
// re-created resource.
func (p *partition) nextVersion() string {
	p.version++
	return `W/"` + strconv.FormatUint(p.version, 10) + `"`
}

// partition holds one tenant's resources and their indexes. One lock guards
// users and groups together, because membership links them.
type partition struct {
	mu sync.RWMutex
	// version is the last version number given out in the partition.
	version uint64
	// key is the partition's key, the tenant of its events.
	key string
	// log is the partition's event feed (events.go).
	log eventLog

	users     map[string]*userRec
	userOrder order[*userRec]
	userNames map[string]*userRec // by foldKey(userName); unique
	userExt   multiIndex[*userRec]

	groups     map[string]*groupRec
	groupOrder order[*groupRec]
	groupNames multiIndex[*groupRec] // by foldKey(displayName)
	groupExt   multiIndex[*groupRec]
	// memberOf maps foldKey(member value) to the groups with that member,
	// for members that are not users of the partition (groups, and values
	// that name no resource): the reverse of memberList.idx, for
	// User.Groups, membership filters and removing a deleted resource from
	// its groups. A user's groups are on its record instead (see
	// addMemberOf).
	memberOf multiIndex[*groupRec]
}

func newPartition() *partition {
	return &partition{
		users:      make(map[string]*userRec),
		userNames:  make(map[string]*userRec),
		userExt:    newMultiIndex[*userRec](),
		groups:     make(map[string]*groupRec),
		groupNames: newMultiIndex[*groupRec](),
		groupExt:   newMultiIndex[*groupRec](),
		memberOf:   newMultiIndex[*groupRec](),
	}
}

type userRec struct {
	// u is the stored user. Groups is always nil. Its pointers point into
	// in where they can, so that a typical user is one allocation: fewer
	// objects for the garbage collector to mark and fewer cache lines for a
	// read to touch. A record is never copied by value.
	u   scim.User
	pos int // slot in partition.userOrder
	// gone is set when the user is deleted, for scans that hold a record
	// across a release of the lock.
	gone bool
	// groups are the groups that have the user as a member, in no order:
	// the reverse index of membership for users, a pointer per membership
	// rather than an index entry.
	groups []*groupRec
	in     userInline
}

// userInline holds what a typical user's pointers point to.
type userInline struct {
	name   scim.Name
	ent    scim.EnterpriseUser
	mgr    scim.Manager
	active bool
	emails [2]scim.MultiValue
}

func (r *userRec) setPos(p int) { r.pos = p }

// newID returns a random (version 4) UUID that no user or group of p has
// and no group has as a member.
func (p *partition) newID() string {
	for {
		id := scim.NewID()
		// An id that a group already has as a member would make a new user
		// a member on creation, and its reverse index would be split.
		if p.users[id] == nil && p.groups[id] == nil && p.memberOf.count(id) == 0 {
			return id
		}
	}
}

// now returns the time of a write, strictly after prev so that every write
// has a new lastModified even on a coarse clock.
func now(prev time.Time) time.Time {
	t := time.Now().UTC()
	if !t.After(prev) {
		t = prev.Add(time.Microsecond)
	}
	return t
}

// addMemberOf records that g has the member whose value has the given key.
func (p *partition) addMemberOf(key string, g *groupRec) {
	if u := p.users[key]; u != nil {
		u.groups = append(u.groups, g)
		return
	}
	p.memberOf.add(key, g)
}

// removeMemberOf records that g no longer has the member with the key.
func (p *partition) removeMemberOf(key string, g *groupRec) {
	if u := p.users[key]; u != nil {
		if i := indexOf(u.groups, g); i >= 0 {
			last := len(u.groups) - 1
			u.groups[i] = u.groups[last]
			u.groups[last] = nil
			u.groups = u.groups[:last]
			if last == 0 {
				u.groups = nil
			}
		}
		return
	}
	p.memberOf.remove(key, g)
}

// appendGroupRecs appends the groups that have the member with the key to
// dst, in no particular order.
func (p *partition) appendGroupRecs(dst []*groupRec, key string) []*groupRec {
	if u := p.users[key]; u != nil {
		return append(dst, u.groups...)
	}
	first, ok := p.memberOf.one[key]
	if !ok {
		return dst
	}
	dst = append(dst, first)
	return append(dst, p.memberOf.more[key]...)
}

// groupsOf returns the User.Groups of the resource with the given id.
func (p *partition) groupsOf(id string) []scim.MultiValue {
	return p.appendGroupsOf(nil, id)
}

// appendGroupsOf appends the User.Groups of the resource with the given id
// to dst, in the groups' creation order.
func (p *partition) appendGroupsOf(dst []scim.MultiValue, id string) []scim.MultiValue {
	var buf [8]*groupRec
	return appendGroupValues(dst, p.appendGroupRecs(buf[:0], foldKey(id)))
}

// appendUserGroups appends the User.Groups of the stored user r to dst,
// from its record, without looking it up.
func appendUserGroups(dst []scim.MultiValue, r *userRec) []scim.MultiValue {
	var buf [8]*groupRec
	return appendGroupValues(dst, append(buf[:0], r.groups...))
}

// appendGroupValues sorts gs in creation order and appends them to dst as
// User.Groups values.
func appendGroupValues(dst []scim.MultiValue, gs []*groupRec) []scim.MultiValue {
	if len(gs) > 1 {
		slices.SortFunc(gs, func(a, b *groupRec) int { return a.pos - b.pos })
	}
	for _, g := range gs {
		dst = append(dst, scim.MultiValue{Value: g.g.ID, Display: g.g.DisplayName, Type: "direct"})
	}
	return dst
}

// unlinkMember removes the resource with the given id from the members of
// every group, as deleting it requires; each group changed gets a new
// version. For a user, it must run before the user leaves p.users.
func (p *partition) unlinkMember(b *backend, id string) {
	key := foldKey(id)
	gs := p.appendGroupRecs(nil, key)
	for _, g := range gs {
		g.members.remove(key)
		g.touch(p)
	}
	if u := p.users[key]; u != nil {
		u.groups = nil
	} else {
		p.memberOf.removeAll(key)
	}
}
