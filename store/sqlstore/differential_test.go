package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

var acme = &scim.Schema{ID: "urn:ietf:params:scim:schemas:extension:acme:2.0:User", Name: "Acme", Attributes: []*scim.Attribute{
	{Name: "badge", CaseExact: true}, {Name: "nick"}, {Name: "vip", Type: scim.TypeBoolean},
	{Name: "level", Type: scim.TypeInteger}, {Name: "tags", MultiValued: true},
	{Name: "desk", Type: scim.TypeComplex, SubAttributes: []*scim.Attribute{{Name: "building"}, {Name: "window", Type: scim.TypeBoolean}}},
}}

const acmeURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"

// corpus returns users whose attributes vary in case, script, presence and
// type, to tell SQL and the in-memory evaluator apart wherever they could
// disagree.
func corpus() []*scim.User {
	names := []string{"alice", "Bob", "ÉMILE", "émile2", "zoë", "Zed", "mary_jane", "100%", "o'brien", "back\\slash",
		"Ωmega", "straße", "KELVIN", "\u212aelvin2", "ſam", "Sam2", "a*b?c", "[x]", "Ünal", "dora"}
	titles := []string{"Boss", "boss", "BOSS", "", "Tour Guide", "guide", "Ärztin", "ärztin"}
	types := []string{"work", "Work", "home", "other", ""}
	var out []*scim.User
	for i, n := range names {
		u := &scim.User{UserName: n + "@Example.com", Title: titles[i%len(titles)]}
		if i%3 != 0 {
			u.ExternalID = fmt.Sprintf("EXT-%02d", i%7)
		}
		if i%4 != 1 {
			u.DisplayName = titles[(i+3)%len(titles)] + " " + n
		}
		switch i % 3 {
		case 0:
			u.Active = ptr(true)
		case 1:
			u.Active = ptr(false)
		}
		if i%5 != 4 {
			u.Name = &scim.Name{FamilyName: names[(i*7)%len(names)], GivenName: titles[i%len(titles)]}
		}
		for j := range i % 4 {
			u.Emails = append(u.Emails, scim.MultiValue{Value: fmt.Sprintf("%s.%d@%s.COM", n, j, []string{"example", "Acme", "b_c"}[j%3]),
				Type: types[(i+j)%len(types)], Primary: j == 1})
		}
		if i%6 == 2 {
			u.PhoneNumbers = []scim.MultiValue{{Value: "+1 555 0100", Type: "work"}}
			u.Roles = []scim.MultiValue{{Value: "Admin", Primary: true}, {Value: "user"}}
		}
		if i%4 == 3 {
			u.Addresses = []scim.Address{{Locality: "Hollywood", PostalCode: fmt.Sprint(91600 + i), Type: "work", Primary: i%8 == 3}}
		}
		if i%5 != 0 {
			u.Enterprise = &scim.EnterpriseUser{EmployeeNumber: fmt.Sprintf("E%03d", 100-i), Department: titles[(i+1)%len(titles)]}
			if i%2 == 0 {
				u.Enterprise.Manager = &scim.Manager{Value: fmt.Sprintf("mgr-%d", i%3), DisplayName: "Boss " + n}
			}
		}
		if i%3 != 2 {
			ext := map[string]any{"badge": fmt.Sprintf("B-%d", i%4), "nick": []string{"Babs", "babs", "Bee"}[i%3],
				"level": json.Number(fmt.Sprint(i % 5)), "vip": i%2 == 0, "tags": []any{"t" + fmt.Sprint(i%3)}}
			if i%4 == 0 {
				ext["badge"] = fmt.Sprintf("b-%d", i%4)
				ext["desk"] = map[string]any{"building": []string{"B1", "b1", "C"}[i%3], "window": i%8 == 0}
			}
			u.Extensions = scim.Extensions{acmeURN: ext}
		}
		out = append(out, u)
	}
	return out
}

var userFilters = []string{
	`userName eq "alice@example.com"`, `userName eq "ÉMILE@EXAMPLE.COM"`, `userName eq "émile@example.com"`,
	`userName eq "kelvin@example.com"`, `userName eq "sam@example.com"`, `userName eq "STRASSE@example.com"`,
	`userName co "E"`, `userName co "%"`, `userName co "_"`, `userName co "\\"`, `userName co "*"`, `userName co "?"`,
	`userName co "["`, `userName sw "Z"`, `userName sw "ω"`, `userName ew "EXAMPLE.COM"`, `userName co ""`,
	`userName gt "m"`, `userName ge "Mary"`, `userName lt "b"`, `userName le "ZOË@example.com"`, `userName ne "bob@example.com"`,
	`userName pr`, `not (userName pr)`, `userName eq null`, `title eq "boss"`, `title ne "boss"`, `title pr`, `title co "ärzt"`,
	`title gt "Boss"`, `externalId eq "EXT-01"`, `externalId eq "ext-01"`, `externalId co "XT"`, `externalId sw "ext"`,
	`externalId pr`, `externalId ne "EXT-02"`, `id pr`, `displayName co "guide"`, `displayName pr`,
	`active eq true`, `active eq false`, `active ne true`, `active pr`, `not (active eq false)`,
	`name.familyName eq "zoë"`, `name.givenName sw "B"`, `name.familyName pr`, `name pr`,
	`emails pr`, `emails eq "bob.0@example.com"`, `emails.value co "acme"`, `emails.type eq "work"`, `emails.type ne "work"`,
	`emails[type eq "work" and value co "example"]`, `emails[type eq "work"].value co "example"`, `emails[primary eq true]`,
	`emails[primary pr]`, `emails.primary eq false`, `emails[not (type eq "work")]`, `emails[type pr]`, `emails[value ew ".com"]`,
	`emails.value gt "m"`, `phoneNumbers pr`, `roles[value eq "admin" and primary eq true]`, `roles.value eq "USER"`,
	`addresses pr`, `addresses[postalCode sw "9160"]`, `addresses.locality eq "hollywood"`, `addresses[primary eq true]`,
	`groups pr`, `groups.display eq "admins"`, `groups[display co "ALL"]`, `groups.type eq "direct"`, `not (groups pr)`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "e095"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "E090"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "BOSS"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "MGR-1"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName co "boss"`,
	acmeURN + `:badge eq "B-1"`, acmeURN + `:badge eq "b-0"`, acmeURN + `:badge ne "B-1"`, acmeURN + `:nick eq "BABS"`,
	acmeURN + `:nick pr`, acmeURN + `:vip eq true`, acmeURN + `:vip eq false`, acmeURN + `:vip pr`, acmeURN + `:level gt 2`,
	acmeURN + `:tags eq "t1"`, acmeURN + `:desk.building eq "b1"`, acmeURN + `:desk.window eq false`, acmeURN + `:desk pr`,
	`meta.created pr`, `meta.lastModified gt "2000-01-01T00:00:00Z"`, `meta.lastModified lt "2000-01-01T00:00:00Z"`,
	`userName sw "a" or title eq "guide"`, `(userName sw "a" or title eq "guide") and active eq true`,
	`not (emails pr) or not (title pr)`, `userName co "e" and not (emails[type eq "work"])`,
	`x509Certificates pr or userName eq "bob@example.com"`, `title pr and not (x509Certificates pr)`,
	`not (userName co "e" and emails.primary eq true)`,
}

var sorts = []string{"", "groups.display", "userName", "title", "name.familyName", "externalId", "active", "meta.created",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:employeeNumber",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "emails", acmeURN + ":badge", acmeURN + ":level"}

// TestDifferential checks, for many filters, sorts and pages, that List
// returns exactly what scim.ApplyQuery returns over the same users: the
// same resources in the same order and the same totalResults, whether the
// store answered in SQL or fell back to the evaluator.
func TestDifferential(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, groups := newStores(db, d)
		var ids []string
		for _, u := range corpus() {
			ids = append(ids, must[*scim.User](t)(users.Create(ctx, u)).ID)
		}
		mk := func(name string, members ...int) {
			g := &scim.Group{DisplayName: name}
			for _, i := range members {
				g.Members = append(g.Members, scim.MultiValue{Value: ids[i]})
			}
			must[*scim.Group](t)(groups.Create(ctx, g))
		}
		mk("Admins", 0, 3, 5)
		mk("All Staff", 1, 2, 3, 4, 5, 6, 7, 8)
		mk("Empty")

		all := make([]*scim.User, len(ids))
		for i, id := range ids {
			all[i] = must[*scim.User](t)(users.Get(ctx, id, scim.ReadOptions{}))
		}
		mid := all[len(all)/2].Meta.LastModified.Format(time.RFC3339Nano)
		filters := append(userFilters, `meta.lastModified gt "`+mid+`"`, `meta.lastModified ge "`+mid+`"`,
			`meta.created eq "`+mid+`"`, `meta.created le "`+mid+`"`, `meta.lastModified ne "`+mid+`"`,
			`id eq "`+ids[3]+`"`, `groups eq "`+ids[0]+`"`)

		// Every filter with every page shape unsorted, and with every sort
		// on one page in the middle.
		type shape struct {
			sortBy      string
			desc        bool
			start, size int
		}
		var shapes []shape
		for _, pg := range [][2]int{{1, 100}, {1, 3}, {4, 5}, {19, 5}, {30, 10}, {1, 0}} {
			shapes = append(shapes, shape{"", false, pg[0], pg[1]})
		}
		for _, sortBy := range sorts[1:] {
			shapes = append(shapes, shape{sortBy, false, 3, 6}, shape{sortBy, true, 3, 6})
		}
		checked := 0
		for _, f := range filters {
			filter, err := scim.ParseUserFilter(f, acme)
			require.NoError(t, err, f)
			for _, sh := range shapes {
				q := &scim.Query{Filter: filter, SortBy: sh.sortBy, SortDescending: sh.desc, StartIndex: sh.start, Count: sh.size}
				want := scim.ApplyQuery(all, q)
				got, err := users.List(ctx, q)
				require.NoError(t, err, "%s %+v", f, sh)
				require.Equal(t, want.TotalResults, got.TotalResults, "%s %+v", f, sh)
				require.Equal(t, userIDs(want.Resources), userIDs(got.Resources), "%s %+v", f, sh)
				checked++
			}
		}
		// The pages hold whole users, groups included.
		page := must[*scim.Page[scim.User]](t)(users.List(ctx, &scim.Query{StartIndex: 1, Count: 100}))
		require.Equal(t, all, page.Resources)
		t.Logf("%d queries agree", checked)
	})
}

func TestDifferentialGroups(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, groups := newStores(db, d)
		var uids []string
		for i := range 6 {
			uids = append(uids, must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: fmt.Sprint("u", i)})).ID)
		}
		specs := []struct {
			name, ext string
			members   []scim.MultiValue
		}{
			{"Admins", "A1", []scim.MultiValue{{Value: uids[0], Display: "Zero"}, {Value: uids[1], Type: "User"}}},
			{"admins-eu", "", []scim.MultiValue{{Value: uids[1]}, {Value: "EXTERNAL-ID", Display: "ext"}}},
			{"Ωmega", "a1", nil},
			{"Staff", "B2", []scim.MultiValue{{Value: uids[2]}, {Value: uids[3]}, {Value: uids[4], Display: "Four"}}},
		}
		var all []*scim.Group
		for _, s := range specs {
			g := must[*scim.Group](t)(groups.Create(ctx, &scim.Group{DisplayName: s.name, ExternalID: s.ext, Members: s.members}))
			all = append(all, must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{})))
		}
		filters := []string{`displayName eq "ADMINS"`, `displayName sw "admins"`, `displayName eq "ωMEGA"`,
			`displayName gt "B"`, `externalId eq "a1"`, `externalId pr`, `members pr`, `not (members pr)`,
			`members eq "` + uids[1] + `"`, `members[value eq "` + uids[4] + `"]`, `members.value eq "external-id"`,
			`members.value ne "` + uids[1] + `"`, `members.display eq "four"`, `members[type eq "User"]`,
			`members.value eq "` + uids[2] + `" or displayName co "eu"`, `id eq "` + all[2].ID + `"`,
			`meta.created ge "` + all[1].Meta.Created.Format(time.RFC3339Nano) + `"`}
		for _, f := range filters {
			filter, err := scim.ParseGroupFilter(f)
			require.NoError(t, err, f)
			for _, sortBy := range []string{"", "displayName", "externalId", "meta.lastModified", "members"} {
				for _, pg := range [][2]int{{1, 10}, {2, 1}, {1, 0}} {
					q := &scim.Query{Filter: filter, SortBy: sortBy, StartIndex: pg[0], Count: pg[1]}
					want := scim.ApplyQuery(all, q)
					got, err := groups.List(ctx, q)
					require.NoError(t, err, f)
					require.Equal(t, want.TotalResults, got.TotalResults, "%s sortBy=%s page=%v", f, sortBy, pg)
					require.Equal(t, groupIDs(want.Resources), groupIDs(got.Resources), "%s sortBy=%s page=%v", f, sortBy, pg)
				}
			}
		}
	})
}

func userIDs(us []*scim.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func groupIDs(gs []*scim.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}
