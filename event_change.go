package scim

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

// changeOp is the kind of write a Change describes.
type changeOp uint8

const (
	changeCreate changeOp = iota
	changeReplace
	changeDelete
	changeMembers
)

// Change describes one store write that the handler is about to make, for
// a store that records its events ([EventRecorder]). Get it with
// [ChangeFromContext] and call [Change.Events] once, inside the write.
// A Change is used by one goroutine at a time.
type Change struct {
	op     changeOp
	rt     *resourceType
	enc    *eventEncoder
	tenant string
	// old is the resource before the write (*User or *Group); nil for a
	// create.
	old any
	// add and remove are, for changeMembers, the members the request adds and
	// removes, used when the store does not say what it changed.
	add    []MultiValue
	remove []string

	called bool
	events []Event

	// snap is the snapshot the events hold of snapOf, the user they were
	// built from, at version snapVersion: what a response in the default
	// projection shows of it (see writeWritten).
	snap        []byte
	snapOf      *User
	snapVersion string
}

// userSnapshot renders u for an event, and remembers it for the response.
func (c *Change) userSnapshot(u *User) []byte {
	b := c.enc.user(u)
	c.snap, c.snapOf, c.snapVersion = b, u, u.Meta.Version
	return b
}

// bodyFor returns the snapshot the write's events hold of res, if res is
// the user they were built from and still at that version, or nil.
func (c *Change) bodyFor(res any) []byte {
	if c == nil || c.snapOf == nil {
		return nil
	}
	if u, ok := res.(*User); !ok || u != c.snapOf || u.Meta.Version != c.snapVersion {
		return nil
	}
	return c.snap
}

// eventEncoder renders snapshots in the API's JSON form.
type eventEncoder struct {
	base      string
	userRT    *resourceType
	groupRT   *resourceType
	groupProj *projection // a group without its members
}

// ResourceType returns "User" or "Group": the type of the resource the
// write changes.
func (c *Change) ResourceType() string { return c.rt.name }

// Before returns the resource as the handler read it for the write, a
// *User or a *Group, with its membership (a user's groups, a group's
// members) unless the write is a group PATCH that leaves the members
// alone; nil for a create, a member PATCH, or a nil Change. For a replace
// the handler passes its version as the write's ifVersion, so a store
// whose row matches that version may rely on Before as the stored state:
// sqlstore, for one, builds the events from it and writes them in the
// same statement as the change. The store must not modify it.
func (c *Change) Before() any {
	if c == nil {
		return nil
	}
	return c.old
}

// Events returns the events of the write, given what the store did, and
// remembers them: the store sets their Cursor in the returned slice before
// it commits, and the handler delivers them to a [WithEventSink] function
// after the write returns. It returns no events for a write that changed
// nothing. A nil Change has no events.
func (c *Change) Events(w Written) []Event {
	if c == nil {
		return nil
	}
	c.called = true
	c.events = c.build(w)
	return c.events
}

func (c *Change) build(w Written) []Event {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var out []Event
	add := func(e Event) {
		e.ID = NewID()
		e.Time = now
		e.Tenant = c.tenant
		out = append(out, e)
	}
	switch c.op {
	case changeDelete:
		var ext, typ, id string
		var snap []byte
		if u, ok := c.old.(*User); ok && u != nil {
			id, ext, typ = u.ID, u.ExternalID, "User"
			snap = c.enc.user(u)
		} else if g, ok := c.old.(*Group); ok && g != nil {
			id, ext, typ = g.ID, g.ExternalID, "Group"
			snap = c.enc.group(g)
		}
		for _, gid := range w.FormerGroups {
			add(Event{Type: EventGroupMembersRemoved, ResourceType: "Group", ResourceID: gid, MemberIDs: []string{id}})
		}
		t := EventUserDeleted
		if typ == "Group" {
			t = EventGroupDeleted
		}
		add(Event{Type: t, ResourceType: typ, ResourceID: id, ExternalID: ext, Snapshot: snap})
	case changeCreate:
		if u := w.User; u != nil {
			add(Event{Type: EventUserCreated, ResourceType: "User", ResourceID: u.ID, ExternalID: u.ExternalID, Version: u.Meta.Version, Snapshot: c.userSnapshot(u)})
		} else if g := w.Group; g != nil {
			add(Event{Type: EventGroupCreated, ResourceType: "Group", ResourceID: g.ID, ExternalID: g.ExternalID, Version: g.Meta.Version, Snapshot: c.enc.group(g)})
			if ids := memberIDs(g.Members); len(ids) > 0 {
				add(Event{Type: EventGroupMembersAdded, ResourceType: "Group", ResourceID: g.ID, ExternalID: g.ExternalID, Version: g.Meta.Version, MemberIDs: ids})
			}
		}
	case changeReplace:
		if u := w.User; u != nil {
			old, _ := c.old.(*User)
			snap := c.userSnapshot(u)
			base := Event{ResourceType: "User", ResourceID: u.ID, ExternalID: u.ExternalID, Version: u.Meta.Version, Snapshot: snap}
			if was, is := isActive(old), isActive(u); was && !is {
				e := base
				e.Type = EventUserDeactivated
				add(e)
			} else if !was && is {
				e := base
				e.Type = EventUserReactivated
				add(e)
			}
			if paths := userChangedPaths(old, u); len(paths) > 0 {
				e := base
				e.Type = EventUserUpdated
				e.ChangedAttributes = paths
				add(e)
			}
		} else if g := w.Group; g != nil {
			old, _ := c.old.(*Group)
			base := Event{ResourceType: "Group", ResourceID: g.ID, ExternalID: g.ExternalID, Version: g.Meta.Version}
			var before map[string]any
			var oldMembers []MultiValue
			if old != nil {
				before = groupToDoc(old)
				oldMembers = old.Members
			}
			if paths := changedPaths(before, groupToDoc(g)); len(paths) > 0 {
				e := base
				e.Type = EventGroupUpdated
				e.ChangedAttributes = paths
				e.Snapshot = c.enc.group(g)
				add(e)
			}
			added, removed := memberDiff(oldMembers, g.Members)
			c.addMemberEvents(add, base, added, removed)
		}
	case changeMembers:
		g := w.Group
		if g == nil {
			return nil
		}
		added, removed := w.MembersAdded, w.MembersRemoved
		base := Event{ResourceType: "Group", ResourceID: g.ID, ExternalID: g.ExternalID, Version: g.Meta.Version}
		c.addMemberEvents(add, base, added, removed)
	}
	return out
}

func (c *Change) addMemberEvents(add func(Event), base Event, added, removed []string) {
	if len(added) > 0 {
		e := base
		e.Type = EventGroupMembersAdded
		e.MemberIDs = added
		add(e)
	}
	if len(removed) > 0 {
		e := base
		e.Type = EventGroupMembersRemoved
		e.MemberIDs = removed
		add(e)
	}
}

// isActive reports whether u is active; an unassigned active counts as
// true, as identity providers assume.
func isActive(u *User) bool {
	return u == nil || u.Active == nil || *u.Active
}

func memberIDs(ms []MultiValue) []string {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ms))
	for i := range ms {
		ids = append(ids, ms[i].Value)
	}
	return ids
}

// memberDiff returns the member values of after that are not in before and
// those of before that are not in after, compared as the handler compares
// member values (case-insensitively).
func memberDiff(before, after []MultiValue) (added, removed []string) {
	had := make(map[string]bool, len(before))
	for i := range before {
		had[FoldKey(before[i].Value)] = true
	}
	has := make(map[string]bool, len(after))
	for i := range after {
		k := FoldKey(after[i].Value)
		has[k] = true
		if !had[k] {
			added = append(added, after[i].Value)
		}
	}
	for i := range before {
		if !has[FoldKey(before[i].Value)] {
			removed = append(removed, before[i].Value)
		}
	}
	return added, removed
}

// changedPaths returns the sorted paths of the attributes that differ
// between two documents, leaving out id, active and members: a complex
// attribute by sub-attribute ("name.familyName"), an extension by
// attribute ("urn:…:User:manager"), anything else (multi-valued
// attributes included) as a whole.
func changedPaths(before, after map[string]any) []string {
	var paths []string
	seen := func(k string) bool {
		switch k {
		case "id", "active", "members":
			return true
		}
		return false
	}
	visit := func(k string) {
		if seen(k) {
			return
		}
		a, b := before[k], after[k]
		if reflect.DeepEqual(a, b) {
			return
		}
		ma, okA := a.(map[string]any)
		mb, okB := b.(map[string]any)
		if (okA || a == nil) && (okB || b == nil) && (okA || okB) {
			sep := "."
			if strings.HasPrefix(k, "urn:") {
				sep = ":"
			}
			for _, sub := range unionKeys(ma, mb) {
				if !reflect.DeepEqual(ma[sub], mb[sub]) {
					paths = append(paths, k+sep+sub)
				}
			}
			return
		}
		paths = append(paths, k)
	}
	for _, k := range unionKeys(before, after) {
		visit(k)
	}
	slices.Sort(paths)
	return paths
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (e *eventEncoder) user(u *User) []byte {
	enc := encoder{rt: e.userRT, p: e.userRT.keptProjection, base: e.base}
	return enc.appendUser(nil, u)
}

func (e *eventEncoder) group(g *Group) []byte {
	enc := encoder{rt: e.groupRT, p: e.groupProj, base: e.base}
	return enc.appendGroup(nil, g)
}
