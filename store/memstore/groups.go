package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scimkit/scim"
)

// groupRec is a stored group. Its members live outside g, in a list
// indexed by member value, so that a change to one member of a huge group
// costs O(1), and the member list is copied only when a read asks for it.
type groupRec struct {
	g       scim.Group // Members is always nil
	pos     int        // slot in partition.groupOrder
	gone    bool       // deleted; see userRec.gone
	members memberList
}

func (r *groupRec) setPos(p int) { r.pos = p }

// touch gives r a new version and lastModified.
func (r *groupRec) touch(p *partition) {
	r.g.Meta.LastModified = now(r.g.Meta.LastModified)
	r.g.Meta.Version = p.nextVersion()
}

// groupOut returns the copy of r that a read returns.
func groupOut(r *groupRec, opts scim.ReadOptions) *scim.Group {
	c := new(scim.Group)
	*c = r.g
	c.Extensions = scim.CloneExtensions(r.g.Extensions)
	if !opts.SkipMembership {
		c.Members = r.members.all()
	}
	return c
}

// Get returns the group with the given id, with its members unless
// opts.SkipMembership is set.
func (s *GroupStore) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.Group, error) {
	p := s.b.partition(ctx, false)
	if p == nil {
		return nil, errNotFound("group", id)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	r := p.groups[id]
	if r == nil {
		return nil, errNotFound("group", id)
	}
	return groupOut(r, opts), nil
}

// EnforcesUniqueGroupDisplayNames reports true: with
// [scim.ContextWithUniqueGroupDisplayNames], Create and Replace refuse a
// displayName another group of the partition has (folded as userName is)
// with an error wrapping scim.ErrConflict, checked under the partition's
// write lock. A Replace that keeps the group's name (say, of one of two
// groups that shared it before the rule was asked for) is not refused.
func (s *GroupStore) EnforcesUniqueGroupDisplayNames() bool { return true }

func errGroupName(name string) error {
	return fmt.Errorf("memstore: group displayName %q is taken: %w", name, scim.ErrConflict)
}

// Create stores a copy of g with a new random id and returns it as stored.
func (s *GroupStore) Create(ctx context.Context, g *scim.Group) (*scim.Group, error) {
	r := &groupRec{g: copyGroupIn(g)}
	r.members.set(g.Members)
	p := s.b.partition(ctx, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if scim.UniqueGroupDisplayNamesFromContext(ctx) && p.groupNames.count(foldKey(r.g.DisplayName)) > 0 {
		return nil, errGroupName(r.g.DisplayName)
	}
	if err := p.checkMembers(ctx, &r.members, nil); err != nil {
		return nil, err
	}
	r.g.ID = p.newID()
	t := now(time.Time{})
	r.g.Meta = scim.Meta{ResourceType: "Group", Created: t, LastModified: t, Version: p.nextVersion()}
	p.groups[r.g.ID] = r
	p.groupNames.add(foldKey(r.g.DisplayName), r)
	if r.g.ExternalID != "" {
		p.groupExt.add(r.g.ExternalID, r)
	}
	for k := range r.members.idx {
		p.addMemberOf(k, r)
	}
	p.groupOrder.push(r)
	out := groupOut(r, scim.ReadOptions{})
	p.record(s.b, s.b.change(ctx).Events(scim.Written{Group: out}))
	return out, nil
}

// Replace replaces the group whose id is g.ID by a copy of g, keeping its
// creation time, and returns it as stored.
func (s *GroupStore) Replace(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return s.replace(ctx, g, ifVersion, false)
}

// ReplaceKeepingMembers is Replace for every attribute of g but its
// members, which stay as stored, untouched: renaming a group of 100,000
// members costs what renaming an empty one does. It returns the group
// without its members. The handler uses it (the optional capability
// scim.MemberPreservingReplacer) for a PATCH that does not touch members.
func (s *GroupStore) ReplaceKeepingMembers(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return s.replace(ctx, g, ifVersion, true)
}

func (s *GroupStore) replace(ctx context.Context, g *scim.Group, ifVersion string, keepMembers bool) (*scim.Group, error) {
	n := &groupRec{g: copyGroupIn(g)}
	if !keepMembers {
		n.members.set(g.Members)
	}
	p := s.b.partition(ctx, false)
	if p == nil {
		return nil, errNotFound("group", g.ID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.groups[g.ID]
	if r == nil {
		return nil, errNotFound("group", g.ID)
	}
	if ifVersion != "" && ifVersion != r.g.Meta.Version {
		return nil, errVersion("group", g.ID)
	}
	oldKey, key := foldKey(r.g.DisplayName), foldKey(n.g.DisplayName)
	if oldKey != key && scim.UniqueGroupDisplayNamesFromContext(ctx) && p.groupNames.count(key) > 0 {
		return nil, errGroupName(n.g.DisplayName)
	}
	if !keepMembers {
		if err := p.checkMembers(ctx, &n.members, &r.members); err != nil {
			return nil, err
		}
	}
	if oldKey != key {
		p.groupNames.remove(oldKey, r)
		p.groupNames.add(key, r)
	}
	if r.g.ExternalID != n.g.ExternalID {
		if r.g.ExternalID != "" {
			p.groupExt.remove(r.g.ExternalID, r)
		}
		if n.g.ExternalID != "" {
			p.groupExt.add(n.g.ExternalID, r)
		}
	}
	if !keepMembers {
		// Only the difference touches the reverse index, so renaming a
		// big group costs map lookups, not index rewrites.
		for k := range r.members.idx {
			if !n.members.has(k) {
				p.removeMemberOf(k, r)
			}
		}
		for k := range n.members.idx {
			if !r.members.has(k) {
				p.addMemberOf(k, r)
			}
		}
		r.members = n.members
	}
	n.g.ID = r.g.ID
	n.g.Meta = scim.Meta{
		ResourceType: "Group",
		Created:      r.g.Meta.Created,
		LastModified: now(r.g.Meta.LastModified),
		Version:      p.nextVersion(),
	}
	r.g = n.g
	out := groupOut(r, scim.ReadOptions{SkipMembership: keepMembers})
	p.record(s.b, s.b.change(ctx).Events(scim.Written{Group: out}))
	return out, nil
}

// checkMembers returns an error wrapping scim.ErrMemberNotFound, when ctx
// asks for the check, if a member of l that old (the group's members
// before a Replace; nil for a new group) lacks names no user or group of p.
// p must be write-locked: deletions take the same lock, so a member that
// passes the check cannot be deleted before the group is stored.
func (p *partition) checkMembers(ctx context.Context, l, old *memberList) error {
	if !scim.MemberCheckFromContext(ctx) {
		return nil
	}
	for k, s := range l.idx {
		if (old == nil || !old.has(k)) && !p.names(k) {
			return scim.MemberNotFound(l.at(s).value)
		}
	}
	return nil
}

// names reports whether the member key names a user or group of p. Ids
// are lower-case UUIDs, their own keys.
func (p *partition) names(key string) bool {
	return p.users[key] != nil || p.groups[key] != nil
}

// Delete removes the group with the given id, and removes it from the
// members of every group it is a member of.
func (s *GroupStore) Delete(ctx context.Context, id string, ifVersion string) error {
	p := s.b.partition(ctx, false)
	if p == nil {
		return errNotFound("group", id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.groups[id]
	if r == nil {
		return errNotFound("group", id)
	}
	if ifVersion != "" && ifVersion != r.g.Meta.Version {
		return errVersion("group", id)
	}
	if ch := s.b.change(ctx); ch != nil {
		p.record(s.b, ch.Events(scim.Written{FormerGroups: p.formerGroups(id)}))
	}
	delete(p.groups, id)
	p.groupNames.remove(foldKey(r.g.DisplayName), r)
	if r.g.ExternalID != "" {
		p.groupExt.remove(r.g.ExternalID, r)
	}
	for k := range r.members.idx {
		p.removeMemberOf(k, r)
	}
	p.groupOrder.remove(r.pos)
	r.gone = true
	p.unlinkMember(s.b, id)
	return nil
}

// PatchMembers adds and removes members of a group in place, in O(1) per
// member whatever the group's size. It returns the group without its
// members.
func (s *GroupStore) PatchMembers(ctx context.Context, groupID string, add []scim.MultiValue, remove []string, ifVersion string) (*scim.Group, error) {
	p := s.b.partition(ctx, false)
	if p == nil {
		return nil, errNotFound("group", groupID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.groups[groupID]
	if r == nil {
		return nil, errNotFound("group", groupID)
	}
	if ifVersion != "" && ifVersion != r.g.Meta.Version {
		return nil, errVersion("group", groupID)
	}
	if scim.MemberCheckFromContext(ctx) {
		for _, m := range add {
			if k := foldKey(m.Value); !r.members.has(k) && !p.names(k) {
				return nil, scim.MemberNotFound(m.Value)
			}
		}
	}
	ch := s.b.change(ctx)
	var added, removed []string
	changed := false
	for _, m := range add {
		if k := foldKey(m.Value); r.members.add(k, m) {
			p.addMemberOf(k, r)
			changed = true
			if ch != nil {
				added = append(added, m.Value)
			}
		}
	}
	for _, v := range remove {
		if k := foldKey(v); r.members.remove(k) {
			p.removeMemberOf(k, r)
			changed = true
			if ch != nil {
				removed = append(removed, v)
			}
		}
	}
	if changed {
		r.touch(p)
	}
	out := groupOut(r, scim.ReadOptions{SkipMembership: true})
	p.record(s.b, ch.Events(scim.Written{Group: out, MembersAdded: added, MembersRemoved: removed}))
	return out, nil
}

// List returns the page of groups that q selects. Equality on id,
// displayName, externalId and membership (members eq "id",
// members[value eq "id"]) is answered from an index (also inside an "and"
// or "or"), as is q without a filter; other filters are evaluated with
// [scim.Match] on every group, in chunks that release the lock in between,
// stopping with ctx's error when ctx is done. Member lists are copied only for the
// returned groups, and only without q.SkipMembership.
func (s *GroupStore) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	p := s.b.partition(ctx, false)
	if p == nil {
		return &scim.Page[scim.Group]{Resources: []*scim.Group{}}, nil
	}
	pre, prescanned, err := p.scanGroups(ctx, s.b, q)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.listGroups(s.b, q, pre, prescanned), nil
}
