package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// walkUsers reads every page of q with the given page size and returns the
// ids in order, checking each page's size and TotalResults.
func (e *env) walkUsers(t *testing.T, q scim.Query, size, total int) []string {
	t.Helper()
	var ids []string
	for start := 1; start <= total; start += size {
		q.StartIndex, q.Count = start, size
		page := e.listUsers(t, &q)
		require.Equal(t, total, page.TotalResults, "TotalResults of the page at %d", start)
		require.Len(t, page.Resources, min(size, total-start+1), "size of the page at %d", start)
		ids = append(ids, userIDs(page.Resources)...)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "paging returned %s twice", id)
		seen[id] = true
	}
	return ids
}

func testPaging(t *testing.T, e *env) {
	var want []string
	for i := range 25 {
		want = append(want, e.createUser(t, e.user(fmt.Sprintf("user%02d", i))).ID)
	}
	ids := e.walkUsers(t, scim.Query{}, 7, 25)
	require.ElementsMatch(t, want, ids, "walking pages skipped a user")
	require.Equal(t, ids, e.walkUsers(t, scim.Query{}, 7, 25), "the order must be stable")
	require.Equal(t, ids, e.walkUsers(t, scim.Query{}, 1, 25), "pages of one")
	require.Equal(t, ids, userIDs(e.listUsers(t, all()).Resources), "one page")

	for _, c := range []struct {
		start, count, want int
	}{
		{1, 0, 0},     // count 0: only the total
		{5, 0, 0},     // the same, anywhere
		{25, 10, 1},   // the last one
		{26, 10, 0},   // just past the end
		{1000, 10, 0}, // far past the end
		{20, 1000, 6}, // more than there is
	} {
		page := e.listUsers(t, &scim.Query{StartIndex: c.start, Count: c.count})
		require.Equal(t, 25, page.TotalResults, "startIndex %d count %d", c.start, c.count)
		require.Len(t, page.Resources, c.want, "startIndex %d count %d", c.start, c.count)
		if c.want > 0 {
			require.Equal(t, ids[c.start-1:c.start-1+c.want], userIDs(page.Resources))
		}
	}

	// Groups page the same way, with or without their members.
	var gids []string
	for i := range 5 {
		gids = append(gids, e.createGroup(t, &scim.Group{DisplayName: fmt.Sprintf("group%d", i)}).ID)
	}
	var got []string
	for start := 1; start <= 5; start += 2 {
		page := e.listGroups(t, &scim.Query{StartIndex: start, Count: 2, ReadOptions: scim.ReadOptions{SkipMembership: start == 3}})
		require.Equal(t, 5, page.TotalResults)
		got = append(got, groupIDs(page.Resources)...)
	}
	require.Len(t, got, 5)
	require.ElementsMatch(t, gids, got)
	page := e.listGroups(t, &scim.Query{StartIndex: 6, Count: 2})
	require.Equal(t, 5, page.TotalResults)
	require.Empty(t, page.Resources)

	// An empty store lists nothing, without error.
	for _, u := range want {
		require.NoError(t, e.users.Delete(e.ctx, u, ""))
	}
	empty := e.listUsers(t, all())
	require.Zero(t, empty.TotalResults)
	require.Empty(t, empty.Resources)
}

func testPagingAfterDeletes(t *testing.T, e *env) {
	var live []string
	for i := range 40 {
		u := e.createUser(t, e.user(fmt.Sprintf("user%02d", i)))
		if i%3 == 0 {
			require.NoError(t, e.users.Delete(e.ctx, u.ID, ""))
		} else {
			live = append(live, u.ID)
		}
	}
	ids := e.walkUsers(t, scim.Query{}, 4, len(live))
	require.ElementsMatch(t, live, ids)
	require.Equal(t, ids, e.walkUsers(t, scim.Query{}, 5, len(live)))

	// Delete most of the rest, then add some.
	for _, id := range live[:20] {
		require.NoError(t, e.users.Delete(e.ctx, id, ""))
	}
	live = live[20:]
	for i := range 6 {
		live = append(live, e.createUser(t, e.user(fmt.Sprintf("new%02d", i))).ID)
	}
	ids = e.walkUsers(t, scim.Query{}, 3, len(live))
	require.ElementsMatch(t, live, ids)
	require.Equal(t, ids, e.walkUsers(t, scim.Query{}, 4, len(live)))
}

// filterCase is a filter and the resources it must select.
type filterCase struct {
	filter string
	want   []string // userNames or displayNames
}

// checkFilters lists with each filter, with and without SkipMembership
// (which the handler sets only when the filter does not need membership),
// and checks the resources selected: want when the store keeps every
// attribute; for a store that keeps some, those of stored (the resources
// as Get returns them) that the filter selects with scim.Match, for the
// filters on attributes the store keeps, as the handler passes no other
// to a store. (The round trip tests check that Get returns what was sent.)
func checkFilters[R scim.Resource](t *testing.T, e *env, cases []filterCase, kept *scim.AttributeSet,
	parse func(*testing.T, string) *scim.Filter, list func(*testing.T, *scim.Query) *scim.Page[R],
	name func(*R) string, stored []*R, membership string, check func(*R)) {
	t.Helper()
	for _, c := range cases {
		f := parse(t, c.filter)
		want := c.want
		if kept != nil {
			if !filterKept(f, kept) {
				continue
			}
			want = nil
			for _, r := range stored {
				if scim.Match(f, r) {
					want = append(want, name(r))
				}
			}
		}
		for _, skip := range []bool{false, true} {
			if skip && f.References(membership) {
				continue
			}
			q := all()
			q.Filter = f
			q.SkipMembership = skip
			page := list(t, q)
			names := make([]string, len(page.Resources))
			for i, r := range page.Resources {
				names[i] = name(r)
				if !skip && check != nil {
					check(r)
				}
			}
			require.ElementsMatch(t, want, names, "filter %s", c.filter)
			require.Equal(t, len(want), page.TotalResults, "TotalResults of filter %s", c.filter)
		}
	}
}

// filterKept reports whether every attribute f names is kept.
func filterKept(f *scim.Filter, kept *scim.AttributeSet) bool {
	for _, p := range filterPaths {
		if f.References(p) && !kept.Has(p) {
			return false
		}
	}
	return true
}

// filterPaths are the attributes the suite's filters name.
var filterPaths = []string{
	"userName", "externalId", "active", "name.familyName", "name.givenName", "emails.value", "emails.type",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "groups", "displayName",
	"members.value", "members.type",
}

func testFilterUsers(t *testing.T, e *env) {
	yes, no := true, false
	in := []*scim.User{{
		UserName: "alice@example.com", ExternalID: "ext-alice", Active: &yes,
		Name:       &scim.Name{FamilyName: "Smith", GivenName: "Alice"},
		Emails:     []scim.MultiValue{{Value: "alice@acme.test", Type: "work"}, {Value: "alice@corp.test", Type: "home"}},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: "1001"},
	}, {
		UserName: "Bob@Example.com", ExternalID: "ext-bob", Active: &no,
		Name:       &scim.Name{FamilyName: "Jones"},
		Emails:     []scim.MultiValue{{Value: "bob@corp.test", Type: "work", Primary: true}},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: "1002", Department: "Sales"},
	}, {UserName: "carol"}}
	alice := e.createUser(t, in[0])
	bob := e.createUser(t, in[1])
	time.Sleep(20 * time.Millisecond)
	mid := bob.Meta.LastModified.Add(10 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	time.Sleep(20 * time.Millisecond)
	carol := e.createUser(t, in[2])
	admins := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{e.member(alice)}})

	var stored []*scim.User
	for _, u := range []*scim.User{alice, bob, carol} {
		stored = append(stored, e.getUser(t, u.ID))
	}

	cases := []filterCase{
		{`userName eq "alice@example.com"`, []string{"alice@example.com"}},
		{`userName eq "ALICE@example.COM"`, []string{"alice@example.com"}},
		{`userName eq "bob@example.com"`, []string{"Bob@Example.com"}},
		{`userName eq "nobody"`, nil},
		{`externalId eq "ext-bob"`, []string{"Bob@Example.com"}},
		{`externalId eq "EXT-BOB"`, nil}, // externalId is case-exact
		{`id eq "` + carol.ID + `"`, []string{"carol"}},
		{`id eq "no-such-id"`, nil},
		{`id eq "` + alice.ID + `" and active eq true`, []string{"alice@example.com"}},
		{`id eq "` + alice.ID + `" and active eq false`, nil},
		{`userName eq "alice@example.com" or userName eq "carol"`, []string{"alice@example.com", "carol"}},
		{`userName eq "carol" or active eq false`, []string{"Bob@Example.com", "carol"}},
		{`userName co "EXAMPLE"`, []string{"alice@example.com", "Bob@Example.com"}},
		{`userName sw "b"`, []string{"Bob@Example.com"}},
		{`emails[type eq "work" and value co "corp"]`, []string{"Bob@Example.com"}},
		{`emails[type eq "work"].value eq "BOB@corp.test"`, []string{"Bob@Example.com"}},
		{`emails co "corp"`, []string{"alice@example.com", "Bob@Example.com"}},
		{`active eq false`, []string{"Bob@Example.com"}},
		{`active eq true`, []string{"alice@example.com"}},
		{`meta.lastModified gt "` + mid + `"`, []string{"carol"}},
		{`meta.lastModified lt "` + mid + `"`, []string{"alice@example.com", "Bob@Example.com"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1002"`, []string{"Bob@Example.com"}},
		{`name.familyName eq "smith"`, []string{"alice@example.com"}},
		{`not (userName eq "carol")`, []string{"alice@example.com", "Bob@Example.com"}},
		{`userName pr and not (externalId pr)`, []string{"carol"}},
		{`groups eq "` + admins.ID + `"`, []string{"alice@example.com"}},
	}
	checkFilters(t, e, cases, e.userKeeps, userFilter, e.listUsers, func(u *scim.User) string { return u.UserName }, stored, "groups", nil)
}

func testFilterGroups(t *testing.T, e *env) {
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	in := []*scim.Group{
		{DisplayName: "Admins", ExternalID: "ext-admins", Members: []scim.MultiValue{e.member(alice), e.member(bob)}},
		{DisplayName: "Staff", Members: []scim.MultiValue{e.member(alice)}},
		{DisplayName: "Empty"},
	}
	var stored []*scim.Group
	for _, g := range in {
		stored = append(stored, e.getGroup(t, e.createGroup(t, g).ID))
	}
	staff, empty := stored[1], stored[2]

	cases := []filterCase{
		{`displayName eq "admins"`, []string{"Admins"}},
		{`displayName eq "Nobody"`, nil},
		{`externalId eq "ext-admins"`, []string{"Admins"}},
		{`externalId eq "EXT-ADMINS"`, nil},
		{`id eq "` + staff.ID + `"`, []string{"Staff"}},
		{`members eq "` + bob.ID + `"`, []string{"Admins"}},
		{`members eq "` + alice.ID + `"`, []string{"Admins", "Staff"}},
		{`members eq "no-such-member"`, nil},
		{`members.value eq "` + bob.ID + `"`, []string{"Admins"}},
		{`members[value eq "` + alice.ID + `"]`, []string{"Admins", "Staff"}},
		{`members[value eq "` + bob.ID + `" and type eq "User"]`, []string{"Admins"}},
		{`id eq "` + staff.ID + `" and members eq "` + alice.ID + `"`, []string{"Staff"}},
		{`id eq "` + staff.ID + `" and members eq "` + bob.ID + `"`, nil},
		{`id eq "` + empty.ID + `" and members eq "` + alice.ID + `"`, nil},
		{`displayName eq "ADMINS" and members eq "` + bob.ID + `"`, []string{"Admins"}},
		{`members[value eq "` + bob.ID + `"] or displayName eq "Empty"`, []string{"Admins", "Empty"}},
		{`not (members eq "` + bob.ID + `")`, []string{"Staff", "Empty"}},
		{`displayName co "A"`, []string{"Admins", "Staff"}},
		{`members pr`, []string{"Admins", "Staff"}},
		{`not (members pr)`, []string{"Empty"}},
		{`members[type eq "User"]`, []string{"Admins", "Staff"}},
	}
	checkFilters(t, e, cases, e.groupKeeps, groupFilter, e.listGroups, func(g *scim.Group) string { return g.DisplayName }, stored, "members",
		func(g *scim.Group) {
			require.Equal(t, memberValues(e.getGroup(t, g.ID)), memberValues(g), "members of %s listed", g.DisplayName)
		})
}

func testFilterWithPaging(t *testing.T, e *env) {
	var want []string
	for i := range 25 {
		u := e.createUser(t, e.user(fmt.Sprintf("member%02d", i)))
		want = append(want, u.ID)
		e.createUser(t, e.user(fmt.Sprintf("other%02d", i)))
	}
	q := scim.Query{Filter: userFilter(t, `userName sw "MEMBER"`)}
	ids := e.walkUsers(t, q, 10, 25)
	require.ElementsMatch(t, want, ids)
	require.Equal(t, ids, e.walkUsers(t, q, 10, 25), "the order must be stable")

	q.StartIndex, q.Count = 1, 0
	page := e.listUsers(t, &q)
	require.Equal(t, 25, page.TotalResults)
	require.Empty(t, page.Resources)
	q.StartIndex, q.Count = 26, 10
	page = e.listUsers(t, &q)
	require.Equal(t, 25, page.TotalResults)
	require.Empty(t, page.Resources)

	// An indexed lookup pages too.
	q = scim.Query{Filter: userFilter(t, `userName eq "member07"`), StartIndex: 2, Count: 10}
	page = e.listUsers(t, &q)
	require.Equal(t, 1, page.TotalResults)
	require.Empty(t, page.Resources)
	q.StartIndex, q.Count = 1, 0
	page = e.listUsers(t, &q)
	require.Equal(t, 1, page.TotalResults)
	require.Empty(t, page.Resources)
}

func testSort(t *testing.T, e *env) {
	for _, u := range []*scim.User{
		{UserName: "carol", Name: &scim.Name{FamilyName: "Clark"}},
		{UserName: "erin", Name: &scim.Name{GivenName: "Erin"}}, // no family name
		{UserName: "alice", Name: &scim.Name{FamilyName: "Adams"}},
		{UserName: "dave"}, // no name at all
		{UserName: "bob", Name: &scim.Name{FamilyName: "Brown"}},
	} {
		e.createUser(t, u)
	}
	sorted := func(by string, desc bool, filter string, start, count int) []string {
		t.Helper()
		q := &scim.Query{SortBy: by, SortDescending: desc, StartIndex: start, Count: count}
		if filter != "" {
			q.Filter = userFilter(t, filter)
		}
		page := e.listUsers(t, q)
		return userNames(page.Resources)
	}
	require.Equal(t, []string{"alice", "bob", "carol", "dave", "erin"}, sorted("userName", false, "", 1, 100))
	require.Equal(t, []string{"erin", "dave", "carol", "bob", "alice"}, sorted("userName", true, "", 1, 100))
	require.Equal(t, []string{"bob", "carol"}, sorted("userName", false, "", 2, 2))
	require.Equal(t, []string{"erin", "dave", "bob", "alice"}, sorted("userName", true, `userName ne "carol"`, 1, 100))

	if e.userKeeps.Has("name.familyName") {
		asc := sorted("name.familyName", false, "", 1, 100)
		require.Equal(t, []string{"alice", "bob", "carol"}, asc[:3])
		require.ElementsMatch(t, []string{"dave", "erin"}, asc[3:], "users without the attribute come last")
		desc := sorted("name.familyName", true, "", 1, 100)
		require.Equal(t, []string{"carol", "bob", "alice"}, desc[:3])
		require.ElementsMatch(t, []string{"dave", "erin"}, desc[3:], "users without the attribute come last, also descending")
	}

	q := &scim.Query{SortBy: "userName", StartIndex: 4, Count: 10}
	page := e.listUsers(t, q)
	require.Equal(t, 5, page.TotalResults)
	require.Equal(t, []string{"dave", "erin"}, userNames(page.Resources))

	for _, name := range []string{"beta", "Alpha", "Gamma"} {
		e.createGroup(t, &scim.Group{DisplayName: name})
	}
	gpage := e.listGroups(t, &scim.Query{SortBy: "displayName", StartIndex: 1, Count: 10})
	names := make([]string, len(gpage.Resources))
	for i, g := range gpage.Resources {
		names[i] = g.DisplayName
	}
	require.Equal(t, []string{"Alpha", "beta", "Gamma"}, names, "displayName sorts case-insensitively")
	slices.Reverse(names)
	gpage = e.listGroups(t, &scim.Query{SortBy: "displayName", SortDescending: true, StartIndex: 1, Count: 10})
	for i, g := range gpage.Resources {
		require.Equal(t, names[i], g.DisplayName)
	}
}
