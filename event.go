package scim

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Provisioning events: what an identity provider's request changed, as
// typed events that an application reacts to (revoke the sessions of a
// deactivated user, free a seat, send a welcome email). The handler works
// out the events of every write from the state before and after it; a
// store that records them ([EventRecorder]) writes them in the write's own
// transaction and serves them as a feed ([EventLog]) that a consumer reads
// from a cursor. See "React to provisioning" in the README.

// EventType names what happened to a resource.
type EventType string

// The event types. A user's change of active from true to false is
// EventUserDeactivated and from false to true EventUserReactivated,
// whatever request made it (PATCH in any form, PUT, /Bulk); an unassigned
// active counts as true.
const (
	EventUserCreated     EventType = "user.created"
	EventUserUpdated     EventType = "user.updated"
	EventUserDeactivated EventType = "user.deactivated"
	EventUserReactivated EventType = "user.reactivated"
	EventUserDeleted     EventType = "user.deleted"

	EventGroupCreated        EventType = "group.created"
	EventGroupUpdated        EventType = "group.updated"
	EventGroupDeleted        EventType = "group.deleted"
	EventGroupMembersAdded   EventType = "group.members_added"
	EventGroupMembersRemoved EventType = "group.members_removed"
)

// Event is one effective change to one resource. A request that fails,
// a PATCH that changes nothing and a write that is rolled back (an
// If-Match mismatch, a failed /Bulk operation) have none; a write has one
// event per kind of change it made:
//
//   - Creating a user: user.created. Creating a group: group.created, then
//     group.members_added if it has members.
//   - Replacing or patching a user: user.deactivated or user.reactivated if
//     active changed, then user.updated if anything else changed, with
//     ChangedAttributes.
//   - Replacing or patching a group: group.updated if anything but its
//     members changed, then group.members_added and group.members_removed
//     with the member ids that changed (never the whole member list).
//   - Deleting a user or a group: group.members_removed for each group it
//     was a member of (so that a consumer that tracks membership from group
//     events alone stays correct), then user.deleted or group.deleted with
//     the last state.
//
// Its JSON form (encoding/json) is what a webhook receiver gets.
type Event struct {
	// ID is unique for every event: a consumer that may see an event twice
	// (delivery is at least once) skips one it has already handled.
	ID string `json:"id"`
	// Cursor orders the events of a tenant, in the order the changes
	// committed: each event's is greater than that of every event of the
	// tenant whose change committed before this one's was recorded, at the
	// end of its transaction, so every earlier change of the same resource
	// and every change this one could see comes first; two changes that
	// commit at the same time may come in either order. Cursors may have
	// gaps. It is 0 for an event that no store recorded (delivered only to
	// a [WithEventSink] function).
	Cursor int64 `json:"cursor"`
	// Time is when the handler built the event, in UTC, to the
	// microsecond (as precise as databases keep a time).
	Time time.Time `json:"time"`
	// Type is what happened.
	Type EventType `json:"type"`
	// Tenant is the partition the store keeps the resource in: the tenant
	// of the request's context ([TenantFromContext]) unless the store
	// partitions by something else.
	Tenant string `json:"tenant"`
	// ResourceType is "User" or "Group".
	ResourceType string `json:"resourceType"`
	// ResourceID is the resource's id.
	ResourceID string `json:"resourceId"`
	// ExternalID is the resource's externalId, if it has one.
	ExternalID string `json:"externalId,omitempty"`
	// Version is the resource's meta.version after the change; empty for a
	// deletion and for the membership removals a deletion causes.
	Version string `json:"version,omitempty"`
	// ChangedAttributes lists, for user.updated and group.updated, the
	// paths of the attributes that changed, sorted: "userName", "emails",
	// "name.familyName",
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".
	// A multi-valued attribute is named as a whole; "active" is never in
	// it (it has its own event types) and "members" neither.
	ChangedAttributes []string `json:"changedAttributes,omitempty"`
	// MemberIDs lists, for group.members_added and group.members_removed,
	// the ids of the members added or removed.
	MemberIDs []string `json:"memberIds,omitempty"`
	// Snapshot is the resource after the change (before it, for a
	// deletion) in the JSON form the API returns: a user whole, a group
	// without its members. The membership removals that a deletion causes
	// have none.
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
}

// ErrCursorExpired is returned (wrapped) by [EventLog.Events] for a
// cursor older than the events the store retains: events after it were
// discarded, so the application must resynchronise by listing every user
// and group, then read on from [EventLog.LastCursor] taken before the
// listing.
var ErrCursorExpired = errors.New("scim: event cursor expired: resynchronise by listing")

// EventRecorder is an optional capability of a [UserStore] and a
// [GroupStore]: the store writes the events of each of its writes in the
// write's own transaction, so that an event exists if and only if its
// change committed. Stores made by store/memstore and store/sqlstore have
// it.
//
// When a store records events, each write's context carries a [Change]
// ([ChangeFromContext]); the store calls [Change.Events] once inside the
// write, after the change and before committing, sets each returned
// event's Cursor (and Tenant, if it partitions by something other than
// [TenantFromContext]), and writes them along with the change.
// [Change.Before] is the resource as the handler read it, at the version a
// replace is conditioned on: a store that can write the change and its
// events in one statement may build the events from it before writing. A
// store without the capability still has the events delivered to a
// [WithEventSink] function after each write returns, with a weaker
// guarantee: a crash between the commit and the delivery loses them.
type EventRecorder interface {
	// RecordsEvents reports whether the store records events; a store
	// configured not to, or a wrapper that does not pass the capability
	// on, reports false.
	RecordsEvents() bool
}

// EventLog is an optional capability of a store that records events: it
// serves each tenant's events as a feed read from a cursor.
type EventLog interface {
	// Events returns, in cursor order, up to limit events of the tenant of
	// ctx whose Cursor is greater than after (0 reads from the tenant's
	// first event). An event is returned only once its change committed,
	// and no event with a smaller cursor can commit later, so a reader that
	// goes on from the last cursor it got never skips one. An empty result
	// means there is nothing newer yet. If events after the cursor were
	// discarded (retention), it returns an error wrapping
	// [ErrCursorExpired]: a new reader that wants only what happens from
	// now on starts from [EventLog.LastCursor] instead of 0.
	Events(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastCursor returns the cursor of the tenant's newest event, 0 if it
	// has none: where a reader that has just listed everything starts.
	LastCursor(ctx context.Context) (int64, error)
}

// EventNotifier is an optional capability of an [EventLog]: it wakes a
// reader when events arrive, so that a consumer need not poll often.
type EventNotifier interface {
	// EventsNotify returns a channel that is closed when an event of the
	// tenant of ctx commits after the call (possibly also at other times: a
	// reader reads to be sure).
	EventsNotify(ctx context.Context) <-chan struct{}
}

// Written tells [Change.Events] what a store's write did, as only the
// store knows it.
type Written struct {
	// User is the user as the write stored it; nil for a deletion.
	User *User
	// Group is the group as the write stored it (its Members may be nil
	// after [MemberPatcher.PatchMembers]); nil for a deletion.
	Group *Group
	// MembersAdded and MembersRemoved are, for PatchMembers, the member
	// values that the write actually added and removed (not those it
	// skipped because they already were or were not members).
	MembersAdded, MembersRemoved []string
	// FormerGroups are, for a deletion, the ids of the groups that had the
	// deleted resource as a member.
	FormerGroups []string
}

type changeKey struct{}

// ChangeFromContext returns the change that a store write's context
// describes, or nil when the handler wants no events of it (no recording
// store, no sink, or a call that is not the handler's).
func ChangeFromContext(ctx context.Context) *Change {
	c, _ := ctx.Value(changeKey{}).(*Change)
	return c
}

func contextWithChange(ctx context.Context, c *Change) context.Context {
	return context.WithValue(ctx, changeKey{}, c)
}
