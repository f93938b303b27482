package scim

import (
	"context"
)

// Resource is the set of resource types a [Store] holds.
type Resource interface {
	User | Group
}

// UserStore persists Users. See [Store] for the contract.
type UserStore = Store[User]

// GroupStore persists Groups. See [Store] for the contract.
type GroupStore = Store[Group]

// Store persists resources of one type. The handler owns every SCIM
// semantic (validation, PATCH, projection, filter parsing); a store only
// persists and queries. Implementations must be safe for concurrent use, and
// receive the request's context in every call, so a multi-tenant
// application can partition data by a tenant carried in the context: a
// resource of one tenant must be invisible to every call made with another
// tenant's context.
//
// A store over an application's own tables usually keeps only some
// attributes: it declares them by implementing [AttributeKeeper], and then
// receives no other (and the handler shows no other). A store that does not
// declare keeps every attribute, custom extensions included, and returns
// each as it was given. In either case:
//
//   - Ids are the store's: it assigns them, and an id that is not in its
//     form (a UUID where it numbers rows, say) names nothing: reads and
//     writes of it return an error wrapping ErrNotFound, never a database
//     error.
//   - A method may return a [*Error] for what the store itself refuses,
//     such as 400 invalidValue for a manager or a member that is not one
//     of the tenant's users; the client gets it as it is. Any other error
//     that wraps none of the sentinel errors is a 500 whose text the
//     client never sees.
//   - Group members: a member's Value is the id of a user or, with Type
//     "Group", of a group (a nested group). A store that cannot tell them
//     apart, because it keeps members.value only, keeps users only, and
//     refuses a member that names none of the tenant's users as above.
//     Deleting a user removes it from every group. With a context marked
//     by [ContextWithMemberCheck] (the handler's default for group
//     writes), Create, Replace and [MemberPatcher.PatchMembers] refuse a
//     member they would add that names no user or group of the tenant,
//     with an error wrapping [ErrMemberNotFound], atomically with respect
//     to deletions, also those of another store instance on the same
//     data.
//   - User.Password is empty unless the application registered
//     [WithPasswordHandler] and the store keeps "password": it then holds
//     what that handler returned (a hash, typically), never what a client
//     sent.
//
// Run [github.com/scimkit/scim/store/storetest.Run] in a store's tests to
// check that it keeps this contract.
type Store[R Resource] interface {
	// Get returns the resource with the given id. It returns an error
	// wrapping ErrNotFound if there is none.
	//
	// For a Group, Members holds every member unless opts.SkipMembership is
	// set, in which case it may be nil. For a User, Groups lists the groups
	// that have the user as a direct member (Value, Display and Type
	// "direct"), unless opts.SkipMembership is set.
	Get(ctx context.Context, id string, opts ReadOptions) (*R, error)

	// Create stores a new resource and returns it as Get would return it. The store
	// assigns a new unique ID (ignoring any ID in r) and sets Meta.Created,
	// Meta.LastModified and Meta.Version. It returns an error wrapping
	// ErrConflict if a User's UserName equals another User's,
	// compared case-insensitively, and, for a store that implements
	// [GroupDisplayNameEnforcer], if a Group's DisplayName equals another
	// Group's while the context asks for unique names. It must not keep r
	// or anything r points to after it returns.
	Create(ctx context.Context, r *R) (*R, error)

	// Replace replaces every attribute of the stored resource whose ID is
	// r's ID and returns it as Get would return it, with Meta.Created kept, a new
	// Meta.LastModified and a new Meta.Version. If ifVersion is not empty
	// and differs from the stored Meta.Version, it returns an error
	// wrapping ErrPreconditionFailed and changes nothing. It returns an
	// error wrapping ErrNotFound if there is no such resource, and one
	// wrapping ErrConflict as Create does. A User's Groups is read-only and
	// is ignored. It must not keep r after it returns.
	Replace(ctx context.Context, r *R, ifVersion string) (*R, error)

	// Delete removes the resource with the given id. If ifVersion is not
	// empty and differs from the stored Meta.Version, it returns an error
	// wrapping ErrPreconditionFailed. It returns an error wrapping
	// ErrNotFound if there is no such resource. Deleting a User also removes
	// it from the members of every Group.
	Delete(ctx context.Context, id string, ifVersion string) error

	// List returns the page of resources that q selects, and the number of
	// resources that match q.Filter in all. Resources are sorted by
	// q.SortBy (or in a stable order of the store's choice when it is
	// empty), and the page starts at the 1-based q.StartIndex and holds at
	// most q.Count resources. A store that cannot translate a filter or a
	// sort itself can use [Match] and [ApplyQuery]. An empty result is a
	// page with no resources and no error.
	List(ctx context.Context, q *Query) (*Page[R], error)
}

// ReadOptions tells a store which costly parts of a resource a read needs.
type ReadOptions struct {
	// SkipMembership means that neither the response nor, in a List,
	// Query.Filter uses Group.Members or User.Groups: the store may leave
	// them nil and need not load them. The handler never sets it with a
	// filter that tests membership (Entra ID's `id eq "…" and members eq
	// "…"` with excludedAttributes=members), so a store that skips loading
	// members evaluates every filter it is given correctly.
	SkipMembership bool
}

// Query is a parsed and validated list request (RFC 7644 §3.4.2).
type Query struct {
	// Filter selects resources; nil selects all.
	Filter *Filter
	// SortBy is the canonical path of a singular attribute to sort by, such
	// as "userName", "name.familyName", "meta.lastModified" or
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
	// empty for the store's own stable order. Resources that lack the
	// attribute come last in either direction.
	SortBy string
	// SortDescending reverses the order.
	SortDescending bool
	// StartIndex is the 1-based index of the first resource of the page;
	// it is at least 1.
	StartIndex int
	// Count is the largest number of resources to return; it is at least 0.
	// With 0, only Page.TotalResults is wanted.
	Count int
	ReadOptions
	// nothing reports that the filter matches no resource (it tests only
	// attributes the store does not keep), so the handler does not ask.
	nothing bool
}

// Page is one page of a List result.
type Page[R Resource] struct {
	// Resources are the resources of the page, in order.
	Resources []*R
	// TotalResults is the number of resources that match the filter, over
	// all pages.
	TotalResults int
}

// MemberPatcher is an optional capability of a [GroupStore]: it adds and
// removes members of a group without reading or rewriting the whole member
// list. The handler uses it, when a store has it, for PATCH requests that
// only add or remove members, which is how identity providers maintain
// large groups. A store that wraps another passes this capability on when
// it embeds the other's concrete type (see "Optional store capabilities"
// in the package documentation).
type MemberPatcher interface {
	// PatchMembers adds the members in add (skipping those whose Value is
	// already a member) and removes the members whose Value is in remove
	// (ignoring those that are not members), atomically. If nothing
	// changes, the group's version stays as it is; otherwise Meta.Version
	// and Meta.LastModified change. If ifVersion is not empty and differs
	// from the stored version, it returns an error wrapping
	// ErrPreconditionFailed. It returns an error wrapping ErrNotFound if the
	// group does not exist. It returns the group as stored, whose Members
	// may be nil.
	PatchMembers(ctx context.Context, groupID string, add []MultiValue, remove []string, ifVersion string) (*Group, error)
}

// MemberPreservingReplacer is an optional capability of a [GroupStore]: it
// replaces a group's attributes other than its members, leaving the member
// list as stored, without reading or rewriting it. The handler uses it,
// when a store has it, for PATCH requests on groups that do not touch
// members (renaming a group, setting its externalId), so that renaming a
// group of 100,000 members writes one row. A store that wraps another
// passes this capability on when it embeds the other's concrete type.
type MemberPreservingReplacer interface {
	// ReplaceKeepingMembers is [Store.Replace] for every attribute of g
	// except Members, which it ignores: the stored members stay as they
	// are. The same edge cases apply: an error wrapping ErrNotFound if the
	// group does not exist, ErrPreconditionFailed if ifVersion is not
	// empty and differs from the stored version, ErrConflict for a
	// uniqueness violation. Meta.Version and Meta.LastModified change. It
	// returns the group as stored, whose Members may be nil.
	ReplaceKeepingMembers(ctx context.Context, g *Group, ifVersion string) (*Group, error)
}

// UserLender is an optional capability of a [UserStore]: it lends its
// users to the handler's encoder instead of returning copies. Reading a
// page of 100 users through [Store.List] copies every one of them, which
// costs more than encoding them; a store that keeps users in memory (or
// decodes rows into a buffer it reuses) can instead hand each one to a
// [UserSink] that encodes it at once. The handler uses it, when the store
// has it, for GET /Users/{id} and for lists and searches of /Users; every
// other read goes through Store.
//
// What a lender passes to the sink is only borrowed: the sink reads it
// during the call and neither changes it nor keeps it or anything it
// points to, so a store may pass its own stored values, and may hold a
// lock while the sink runs. The sink never calls the store.
//
// A lender's answers must equal those of Get and List: the conformance
// suite in store/storetest checks it for every store that has the
// capability. A store that wraps another passes this capability on when it
// embeds the other's concrete type, and must then override it along with
// any read it changes (see "Optional store capabilities" in the package
// documentation).
type UserLender interface {
	// LendUser calls sink.LentUser once, with the user with the given id
	// and, unless opts.SkipMembership is set, its groups as Get would
	// return them in User.Groups (the lent user's own Groups field is
	// ignored). If there is no such user, it returns an error wrapping
	// ErrNotFound without calling the sink.
	LendUser(ctx context.Context, id string, opts ReadOptions, sink UserSink) error

	// LendUsers answers q as List does: it calls sink.LentPage once with
	// the number of users that match q.Filter in all and the number on
	// the page, then sink.LentUser with each user of the page in order
	// and, unless q.SkipMembership is set, its groups. If it returns an
	// error, the handler discards whatever the sink received.
	LendUsers(ctx context.Context, q *Query, sink UserSink) error
}

// UserSink receives the users a [UserLender] lends. The handler
// implements it; a store only calls it.
type UserSink interface {
	// LentPage announces a page of a list: total users match the filter,
	// and n of them follow.
	LentPage(total, n int)
	// LentUser receives one user and its groups, borrowed for the call.
	LentUser(u *User, groups []MultiValue)
}
