package memstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// benchUser returns a user shaped like what Entra ID provisions.
func benchUser(i int) *scim.User {
	active := true
	return &scim.User{
		UserName:    fmt.Sprintf("user%06d@example.com", i),
		ExternalID:  fmt.Sprintf("ext%06d", i),
		DisplayName: fmt.Sprintf("User %d", i),
		Active:      &active,
		Name:        &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i)},
		Emails: []scim.MultiValue{
			{Value: fmt.Sprintf("user%06d@example.com", i), Type: "work", Primary: true},
			{Value: fmt.Sprintf("u%06d@home.test", i), Type: "home"},
		},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: fmt.Sprint(i), Department: "Engineering"},
	}
}

func populate(b *testing.B, n int) (*memstore.UserStore, *memstore.GroupStore, []*scim.User) {
	b.Helper()
	ctx := context.Background()
	us, gs := memstore.New()
	all := make([]*scim.User, n)
	for i := range n {
		u, err := us.Create(ctx, benchUser(i))
		if err != nil {
			b.Fatal(err)
		}
		all[i] = u
	}
	return us, gs, all
}

// BenchmarkUserNameLookup is Entra ID's matching query,
// userName eq "…", which an index answers in the same time at any size.
func BenchmarkUserNameLookup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			us, _, _ := populate(b, n)
			filters := make([]*scim.Filter, 64)
			for i := range filters {
				f, err := scim.ParseUserFilter(fmt.Sprintf(`userName eq "USER%06d@example.com"`, i*(n/len(filters))))
				if err != nil {
					b.Fatal(err)
				}
				filters[i] = f
			}
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				page, err := us.List(ctx, &scim.Query{Filter: filters[i%len(filters)], StartIndex: 1, Count: 100})
				if err != nil || page.TotalResults != 1 {
					b.Fatal(err, page)
				}
				i++
			}
		})
	}
}

// BenchmarkPatchMembers adds one member to a group and removes it again
// (so the group keeps its size), which costs the same for any group size.
func BenchmarkPatchMembers(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			ctx := context.Background()
			_, gs := memstore.New()
			members := make([]scim.MultiValue, n)
			for i := range members {
				members[i] = scim.MultiValue{Value: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Type: "User"}
			}
			g, err := gs.Create(ctx, &scim.Group{DisplayName: "Everyone", Members: members})
			if err != nil {
				b.Fatal(err)
			}
			values := make([]string, 1024)
			adds := make([][]scim.MultiValue, len(values))
			removes := make([][]string, len(values))
			for i := range values {
				values[i] = fmt.Sprintf("%08d-1111-4000-8000-000000000000", i)
				adds[i] = []scim.MultiValue{{Value: values[i], Type: "User"}}
				removes[i] = []string{values[i]}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				j := i % len(values)
				if _, err := gs.PatchMembers(ctx, g.ID, adds[j], nil, ""); err != nil {
					b.Fatal(err)
				}
				if _, err := gs.PatchMembers(ctx, g.ID, nil, removes[j], ""); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkMembershipCheck is Entra ID's membership query,
// id eq "…" and members eq "…", with excludedAttributes=members.
func BenchmarkMembershipCheck(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			ctx := context.Background()
			_, gs := memstore.New()
			members := make([]scim.MultiValue, n)
			for i := range members {
				members[i] = scim.MultiValue{Value: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Type: "User"}
			}
			g, err := gs.Create(ctx, &scim.Group{DisplayName: "Everyone", Members: members})
			if err != nil {
				b.Fatal(err)
			}
			f, err := scim.ParseGroupFilter(fmt.Sprintf(`id eq "%s" and members eq "%s"`, g.ID, members[n/2].Value))
			if err != nil {
				b.Fatal(err)
			}
			q := &scim.Query{Filter: f, StartIndex: 1, Count: 100, ReadOptions: scim.ReadOptions{SkipMembership: true}}
			b.ReportAllocs()
			for b.Loop() {
				page, err := gs.List(ctx, q)
				if err != nil || page.TotalResults != 1 {
					b.Fatal(err, page)
				}
			}
		})
	}
}

// BenchmarkScan compares a filter no index answers, over 100,000 users,
// with a plain Go loop doing the same match over the same structs.
func BenchmarkScan(b *testing.B) {
	const n = 100_000
	us, _, all := populate(b, n)
	f, err := scim.ParseUserFilter(`emails[type eq "work" and value co "012345@"]`)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("memstore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page, err := us.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 100, ReadOptions: scim.ReadOptions{SkipMembership: true}})
			if err != nil || page.TotalResults != 1 {
				b.Fatal(err, page)
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			found := 0
			for _, u := range all {
				for _, e := range u.Emails {
					if e.Type == "work" && strings.Contains(e.Value, "012345@") {
						found++
						break
					}
				}
			}
			if found != 1 {
				b.Fatal(found)
			}
		}
	})
}

// BenchmarkList pages through users without a filter, in creation order.
func BenchmarkList(b *testing.B) {
	us, _, _ := populate(b, 100_000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := 1 + (i*100)%100_000
		page, err := us.List(ctx, &scim.Query{StartIndex: start, Count: 100})
		if err != nil || len(page.Resources) != 100 {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGetUser reads one user with its groups.
func BenchmarkGetUser(b *testing.B) {
	us, _, all := populate(b, 10_000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := us.Get(ctx, all[i%len(all)].ID, scim.ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
