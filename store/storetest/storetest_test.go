package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/storetest"
	"github.com/stretchr/testify/require"
)

// The suite is itself tested: each mutant below is memstore with one bug,
// and the suite must fail it in the subtest that covers the bug. A mutant
// runs in a child process (this test binary, with STORETEST_MUTANT set),
// because its failure must not fail this test.

type mutant struct {
	name string
	// test is the subtest of storetest.Run that must catch the bug.
	test string
}

var mutants = []mutant{
	{"plainNotFound", "GetNotFound"},
	{"replaceIgnoresVersion", "ReplaceIfVersion"},
	{"deleteIgnoresVersion", "DeleteIfVersion"},
	{"sharesResults", "StoresCopies"},
	{"dropsDeclared", "RoundTripUser"},
	{"declaresTooLittle", "RoundTripUser"},
	{"refusesMembersPlainly", "TenantIsolation"},
	{"noGroups", "Membership"},
	{"zeroBasedPaging", "Paging"},
	{"ignoresCount", "Paging"},
	{"oneTenant", "TenantIsolation"},
}

func TestMutants(t *testing.T) {
	if name := os.Getenv("STORETEST_MUTANT"); name != "" {
		// In the child: run the suite against the mutant.
		storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
			return newMutant(name)
		}, storetest.WithTenants(storetest.FreshTenants))
		return
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutants$/^"+m.test+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_MUTANT="+m.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite passed a store that has the bug %s:\n%s", m.name, out)
			require.Contains(t, string(out), "--- FAIL: TestMutants/"+m.test+" ", "output:\n%s", out)
		})
	}
}

func newMutant(bug string) (scim.UserStore, scim.GroupStore) {
	var opts []memstore.Option
	if bug == "oneTenant" {
		opts = append(opts, memstore.WithPartition(func(context.Context) string { return "" }))
	}
	us, gs := memstore.New(opts...)
	bu := &buggyUsers{UserStore: us, bug: bug, cache: map[string]*scim.User{}}
	switch bug {
	case "dropsDeclared", "declaresTooLittle":
		return &declaringUsers{bu}, gs
	case "refusesMembersPlainly":
		return bu, &pickyGroups{GroupStore: gs, users: us, plain: true}
	}
	return bu, gs
}

// pickyGroups refuses members that name no user of the caller's tenant,
// as a store with a foreign key does: with a *scim.Error, or (the bug)
// with a plain error.
type pickyGroups struct {
	*memstore.GroupStore
	users scim.UserStore
	plain bool
}

func (s *pickyGroups) check(ctx context.Context, ms []scim.MultiValue) error {
	for _, m := range ms {
		if _, err := s.users.Get(ctx, m.Value, scim.ReadOptions{SkipMembership: true}); errors.Is(err, scim.ErrNotFound) {
			if s.plain {
				return errors.New("foreign key violation")
			}
			return scim.NewError(400, scim.ScimTypeInvalidValue, "members must be users of this organisation")
		}
	}
	return nil
}

func (s *pickyGroups) Create(ctx context.Context, g *scim.Group) (*scim.Group, error) {
	if err := s.check(ctx, g.Members); err != nil {
		return nil, err
	}
	return s.GroupStore.Create(ctx, g)
}

// memberValueGroups keeps members as user ids only.
type memberValueGroups struct{ *pickyGroups }

func (memberValueGroups) KeptAttributes() []string { return []string{"externalId", "members.value"} }

// A store that declares what it keeps passes the suite, which sends it
// only that; so does one that refuses members that name no user of the
// tenant with a *scim.Error.
func TestDeclaredStorePasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		us, gs := memstore.New()
		return &declaringUsers{&buggyUsers{UserStore: us}}, memberValueGroups{&pickyGroups{GroupStore: gs, users: us}}
	}, storetest.WithTenants(storetest.FreshTenants))
}

// appPaths are what a store over an application's accounts table keeps.
var appPaths = []string{"externalId", "name.givenName", "name.familyName", `emails[type eq "work"].value`, "active",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}

// declaringUsers declares appPaths (a subset of what memstore keeps).
type declaringUsers struct{ *buggyUsers }

func (s *declaringUsers) KeptAttributes() []string {
	if s.bug == "declaresTooLittle" {
		// It declares less than it keeps, so the suite sends less; but
		// it returns more than it was sent.
		return appPaths[:1]
	}
	return appPaths
}

type buggyUsers struct {
	scim.UserStore
	bug   string
	mu    sync.Mutex
	cache map[string]*scim.User
}

func (s *buggyUsers) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	u, err := s.UserStore.Get(ctx, id, opts)
	switch {
	case err != nil && s.bug == "plainNotFound":
		return nil, errors.New("not found")
	case err != nil:
		return nil, err
	case s.bug == "dropsDeclared" && u.Name != nil:
		u.Name.GivenName = ""
	case s.bug == "declaresTooLittle":
		u.Title = "invented"
	case s.bug == "noGroups":
		u.Groups = nil
	case s.bug == "sharesResults":
		s.mu.Lock()
		defer s.mu.Unlock()
		if c := s.cache[id+u.Meta.Version]; c != nil {
			return c, nil
		}
		s.cache[id+u.Meta.Version] = u
	}
	return u, nil
}

func (s *buggyUsers) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	if s.bug == "replaceIgnoresVersion" {
		ifVersion = ""
	}
	return s.UserStore.Replace(ctx, u, ifVersion)
}

func (s *buggyUsers) Delete(ctx context.Context, id, ifVersion string) error {
	if s.bug == "deleteIgnoresVersion" {
		ifVersion = ""
	}
	return s.UserStore.Delete(ctx, id, ifVersion)
}

func (s *buggyUsers) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	c := *q
	switch s.bug {
	case "zeroBasedPaging":
		c.StartIndex++
	case "ignoresCount":
		c.Count = 1 << 20
	}
	return s.UserStore.List(ctx, &c)
}
