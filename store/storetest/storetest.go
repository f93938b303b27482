// Package storetest checks that a [scim.UserStore] and [scim.GroupStore]
// pair keeps the contract of [scim.Store], as testing/fstest does for file
// systems. A store's tests run it with one call:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
//			return mystore.New(openTestDB(t))
//		})
//	}
//
// The suite covers the corners of the contract rather than the happy path:
// not-found errors, userName uniqueness, version preconditions, copies, the
// lossless round trip of every attribute, filters and sorting on every
// attribute (each field of User, EnterpriseUser and Group filled by
// reflection, so that a new field is checked without a new test), group
// membership and the users' groups back-reference, paging, filters, sorting, the optional
// [scim.MemberPatcher] and [scim.UserLender] (each checked when the store
// has it), concurrent writers (run it with -race) and, with [WithTenants],
// tenant isolation.
//
// Filter and sort tests build their queries with [scim.ParseUserFilter] and
// [scim.ParseGroupFilter], so a store is checked against the filters the
// handler really passes. Some tests sleep a few milliseconds between writes
// and expect Meta.LastModified to tell them apart, so a store must keep
// timestamps to the millisecond at least.
package storetest

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/scimkit/scim"
)

// Option configures [Run].
type Option func(*config)

type config struct {
	tenantA, tenantB context.Context
}

// WithTenants gives the contexts of two tenants, which the store must keep
// apart. The tenant isolation test uses both; every other test runs with a.
// Without this option the tenant isolation test is skipped and the other
// tests run with the test's context.
func WithTenants(a, b context.Context) Option {
	return func(c *config) { c.tenantA, c.tenantB = a, b }
}

// Run runs the conformance tests as subtests of t. It calls newStores once
// per subtest, and newStores must return a user store and a group store
// that are empty and share their data (a group's members are the store's
// users).
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
			if c.tenantA != nil {
				e.ctx = c.tenantA
			}
			e.users, e.groups = newStores(t)
			tc.fn(t, e)
		})
	}
}

// env is what a test works with: fresh stores and the context to call
// them with.
type env struct {
	ctx    context.Context
	cfg    config
	users  scim.UserStore
	groups scim.GroupStore
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
}
