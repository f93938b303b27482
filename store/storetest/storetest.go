// Package storetest checks that a [scim.UserStore] and [scim.GroupStore]
// pair keeps the contract of [scim.Store], as testing/fstest does for file
// systems. A store's tests run it with one call:
//
//	func TestConformance(t *testing.T) {
//		db := openTestDB(t)
//		storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
//			return mystore.New(db)
//		}, storetest.WithTenants(storetest.FreshTenants))
//	}
//
// The suite covers the corners of the contract rather than the happy path:
// not-found errors, userName uniqueness, version preconditions, copies, the
// round trip of every attribute the store keeps, filters and sorting on
// each of them (every field of User, EnterpriseUser and Group filled by
// reflection, so that a new field is checked without a new test), group
// membership and the users' groups back-reference, paging, filters,
// sorting, the optional [scim.MemberPatcher],
// [scim.MemberPreservingReplacer] and [scim.UserLender] (each checked
// when the store has it), concurrent writers (run it with -race)
// and, with [WithTenants], tenant isolation. A store that records events
// ([scim.EventRecorder] and [scim.EventLog]) is checked on its feed, driven
// through the handler: the events of each kind of write, increasing cursors,
// pages, no event for a refused or no-op write, tenants' feeds apart, and,
// when it has them, [scim.EventNotifier] and consumer cursors
// ([CursorStore]).
//
// Members that name nothing: with [scim.ContextWithMemberCheck], a group
// store must refuse them (with an error wrapping [scim.ErrMemberNotFound],
// or a [*scim.Error] 400 invalidValue), and a user deleted while it is being
// added to a group must never be left behind as a member; with
// [WithSecondInstance], the suite races the two across two instances.
//
// # Stores that keep some attributes
//
// A store that implements [scim.AttributeKeeper] is checked on what it
// declares: the suite sends it only what the handler would (see
// [scim.AttributeSet.TrimUser]), expects those attributes back exactly as
// sent, filters and sorts only on them, and checks a user's groups only
// when the user store keeps "groups". A store that does not declare its
// attributes must keep them all, custom extensions included, except
// password: the handler never hands a store a password unless the
// application registered a password handler and the store declares
// "password". The suite tells a store's changes apart by one attribute
// it keeps among displayName, name.givenName, name.familyName, nickName,
// title and externalId, and fails at once when it keeps none of them. A
// user created without active may come back active, the usual default of
// an account.
//
// Group members that name a group (nested groups) are sent only to a
// group store that keeps members.type; one that keeps only members.value
// holds users only. The users of a round trip have a manager that is a
// user of the store, so that a store may keep the manager as a reference
// to its own users.
//
// Filter and sort tests build their queries with [scim.ParseUserFilter] and
// [scim.ParseGroupFilter], so a store is checked against the filters the
// handler really passes. Some tests sleep a few milliseconds between writes
// and expect Meta.LastModified to tell them apart, so a store must keep
// timestamps to the millisecond at least.
package storetest

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimkit/scim"
)

// Option configures [Run].
type Option func(*config)

type config struct {
	newTenants func(t *testing.T) (a, b context.Context)
	second     func(t *testing.T, users scim.UserStore, groups scim.GroupStore) (scim.UserStore, scim.GroupStore)
}

// WithSecondInstance runs the suite's races across two store instances
// over the same data, as two processes of an application share one
// database: for the tests that need it, the suite calls second with the
// stores that newStores returned, and second returns another user store
// and group store that see the same data through their own connections
// (a new *sql.DB on the same database, say). Without this option, those
// races run on the one instance; a store that keeps its data in memory has
// no second instance and needs no option.
func WithSecondInstance(second func(t *testing.T, users scim.UserStore, groups scim.GroupStore) (scim.UserStore, scim.GroupStore)) Option {
	return func(c *config) { c.second = second }
}

// WithTenants checks tenant isolation: for every subtest, after newStores,
// the suite calls newTenants for the contexts of two tenants that hold
// nothing yet in those stores, and the store must keep them apart. Every
// test runs with a; the tenant isolation test uses b too. Without this
// option the tenant isolation test is skipped and the other tests run with
// the test's context.
//
// Fresh tenants per subtest let a store keep one database for the whole
// suite: pass [FreshTenants] when the store partitions its data by
// [scim.TenantFromContext], as memstore and sqlstore do, or a function of
// your own that makes two new tenants the way the application does.
func WithTenants(newTenants func(t *testing.T) (a, b context.Context)) Option {
	return func(c *config) { c.newTenants = newTenants }
}

// FreshTenants returns the contexts of two tenants no other subtest uses,
// made with [scim.ContextWithTenant], for [WithTenants].
func FreshTenants(t *testing.T) (a, b context.Context) {
	n := tenantCounter.Add(1)
	prefix := fmt.Sprintf("storetest-%d-%d-", time.Now().UnixNano(), n)
	return scim.ContextWithTenant(t.Context(), prefix+"a"), scim.ContextWithTenant(t.Context(), prefix+"b")
}

var tenantCounter atomic.Int64

// Run runs the conformance tests as subtests of t. It calls newStores once
// per subtest, and newStores must return a user store and a group store
// that share their data (a group's members are the store's users) and in
// which the test's context holds nothing: empty stores, or stores over a
// shared database with [WithTenants] giving each subtest fresh tenants.
func Run(t *testing.T, newStores func(t *testing.T) (scim.UserStore, scim.GroupStore), opts ...Option) {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A panicking store fails one test instead of hiding the rest.
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v\n%s", r, debug.Stack())
				}
			}()
			e := &env{ctx: t.Context(), cfg: c}
			e.users, e.groups = newStores(t)
			if c.newTenants != nil {
				e.ctx, e.tenantB = c.newTenants(t)
			}
			e.declared(t)
			tc.fn(t, e)
		})
	}
}

// env is what a test works with: fresh stores, the context to call them
// with, and what the stores keep.
type env struct {
	ctx     context.Context
	tenantB context.Context
	cfg     config
	users   scim.UserStore
	groups  scim.GroupStore
	// userKeeps and groupKeeps are what the stores declare they keep; nil
	// when they keep everything.
	userKeeps, groupKeeps *scim.AttributeSet
	// label is the attribute that tells a user's versions apart.
	label string
	// manager is a user of the store that round trips name as manager.
	manager *scim.User
}

// declared reads what the stores declare they keep, with the extension
// schemas of the suite's resources.
func (e *env) declared(t *testing.T) {
	t.Helper()
	var err error
	if k, ok := e.users.(scim.AttributeKeeper); ok {
		e.userKeeps, err = scim.NewUserAttributeSet(k.KeptAttributes(), acmeUserSchema)
		require.NoError(t, err, "the user store's KeptAttributes")
	}
	if k, ok := e.groups.(scim.AttributeKeeper); ok {
		e.groupKeeps, err = scim.NewGroupAttributeSet(k.KeptAttributes(), acmeGroupSchema)
		require.NoError(t, err, "the group store's KeptAttributes")
	}
	for _, l := range labels {
		if e.userKeeps.Has(l) {
			e.label = l
			return
		}
	}
	t.Fatalf("storetest: the user store keeps none of %v, one of which the suite needs to tell a user's versions apart", labels)
}

type test struct {
	name string
	fn   func(t *testing.T, e *env)
}

// tests lists every conformance test, in the order they run.
var tests = []test{
	{"CreateAssignsIDAndMeta", testCreateAssignsIDAndMeta},
	{"GetNotFound", testGetNotFound},
	{"UserNameUnique", testUserNameUnique},
	{"CaseFolding", testCaseFolding},
	{"ReplaceIfVersion", testReplaceIfVersion},
	{"ReplaceMissing", testReplaceMissing},
	{"DeleteIfVersion", testDeleteIfVersion},
	{"EveryWriteNewVersion", testEveryWriteNewVersion},
	{"StoresCopies", testStoresCopies},
	{"RoundTripUser", testRoundTripUser},
	{"RoundTripGroup", testRoundTripGroup},
	{"AttributeGuard", testAttributeGuard},
	{"Membership", testMembership},
	{"DeleteUserLeavesGroups", testDeleteUserLeavesGroups},
	{"SkipMembership", testSkipMembership},
	{"MemberPatcher", testMemberPatcher},
	{"MemberCheck", testMemberCheck},
	{"MemberDeleteRace", testMemberDeleteRace},
	{"MemberPreservingReplacer", testMemberPreservingReplacer},
	{"GroupDisplayNames", testGroupDisplayNames},
	{"UserLender", testUserLender},
	{"Paging", testPaging},
	{"PagingAfterDeletes", testPagingAfterDeletes},
	{"FilterUsers", testFilterUsers},
	{"FilterGroups", testFilterGroups},
	{"FilterWithPaging", testFilterWithPaging},
	{"Sort", testSort},
	{"ConcurrentCreates", testConcurrentCreates},
	{"ConcurrentSameUserName", testConcurrentSameUserName},
	{"ConcurrentReplaceMembers", testConcurrentReplaceMembers},
	{"ConcurrentPatchMembers", testConcurrentPatchMembers},
	{"TenantIsolation", testTenantIsolation},
	{"EventFeed", testEventFeed},
	{"EventNotify", testEventNotify},
	{"EventCursors", testEventCursors},
}
