package scim

import (
	"strconv"
	"strings"
	"testing"
)

const benchUsers = 100_000

// benchPopulation returns n users with a work and a home email each; one
// in ten work emails is at example.com.
func benchPopulation(n int) []*User {
	users := make([]*User, n)
	for i := range users {
		id := strconv.Itoa(i)
		domain := "corp.test"
		if i%10 == 0 {
			domain = "Example.com"
		}
		users[i] = &User{
			ID: id, UserName: "user" + id,
			Emails: []MultiValue{
				{Type: "work", Value: "user" + id + "@" + domain, Primary: true},
				{Type: "home", Value: "user" + id + "@example.org"},
			},
		}
	}
	return users
}

// BenchmarkFilterScan evaluates a value filter with Match over 100,000
// users; compare with BenchmarkPlainLoop.
func BenchmarkFilterScan(b *testing.B) {
	users := benchPopulation(benchUsers)
	f, err := ParseUserFilter(`emails[type eq "work" and value co "example"]`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = 0
		for _, u := range users {
			if Match(f, u) {
				n++
			}
		}
	}
	if n != benchUsers/10 {
		b.Fatalf("matched %d users, want %d", n, benchUsers/10)
	}
}

// BenchmarkPlainLoop is the hand-written equivalent of BenchmarkFilterScan.
func BenchmarkPlainLoop(b *testing.B) {
	users := benchPopulation(benchUsers)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = 0
		for _, u := range users {
			for i := range u.Emails {
				e := &u.Emails[i]
				if strings.EqualFold(e.Type, "work") && containsFold(e.Value, "example") {
					n++
					break
				}
			}
		}
	}
	if n != benchUsers/10 {
		b.Fatalf("matched %d users, want %d", n, benchUsers/10)
	}
}

// BenchmarkFilterScanEq is the common identity-provider query,
// userName eq "…", over 100,000 users.
func BenchmarkFilterScanEq(b *testing.B) {
	users := benchPopulation(benchUsers)
	f, err := ParseUserFilter(`userName eq "USER99999"`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = 0
		for _, u := range users {
			if Match(f, u) {
				n++
			}
		}
	}
	if n != 1 {
		b.Fatalf("matched %d users, want 1", n)
	}
}

// BenchmarkParseFilter measures parsing, validation and compilation.
func BenchmarkParseFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filterUserType.parseFilter(`emails[type eq "work"].value eq "user@contoso.com" or (userName sw "a" and meta.created gt "2020-01-01T00:00:00Z")`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyQuerySorted filters, sorts and pages 100,000 users.
func BenchmarkApplyQuerySorted(b *testing.B) {
	users := benchPopulation(benchUsers)
	f, err := ParseUserFilter(`emails co "example"`)
	if err != nil {
		b.Fatal(err)
	}
	q := &Query{Filter: f, SortBy: "userName", SortDescending: true, StartIndex: 1, Count: 100}
	b.ReportAllocs()
	for b.Loop() {
		if p := ApplyQuery(users, q); len(p.Resources) != 100 {
			b.Fatal(len(p.Resources))
		}
	}
}
