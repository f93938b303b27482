package scim_test

import (
	"fmt"
	"regexp"

	"github.com/scimkit/scim"
)

// A store that cannot translate a filter tests each candidate with Match.
func ExampleMatch() {
	f, err := scim.ParseUserFilter(`emails[type eq "work" and value ew "@example.com"] and active eq true`)
	if err != nil {
		panic(err)
	}
	active := true
	ada := &scim.User{UserName: "ada", Active: &active,
		Emails: []scim.MultiValue{{Value: "ada@example.com", Type: "work"}}}
	bob := &scim.User{UserName: "bob", Active: &active,
		Emails: []scim.MultiValue{{Value: "bob@example.com", Type: "home"}}}
	fmt.Println(scim.Match(f, ada), scim.Match(f, bob))
	// Output: true false
}

// A store that keeps a small table in memory answers List with ApplyQuery,
// which filters, sorts and pages as the query says.
func ExampleApplyQuery() {
	all := []*scim.User{
		{ID: "1", UserName: "carol", Title: "Engineer"},
		{ID: "2", UserName: "ada", Title: "Engineer"},
		{ID: "3", UserName: "bob", Title: "Manager"},
		{ID: "4", UserName: "dave", Title: "Engineer"},
	}
	f, err := scim.ParseUserFilter(`title eq "engineer"`) // title is not caseExact
	if err != nil {
		panic(err)
	}
	page := scim.ApplyQuery(all, &scim.Query{Filter: f, SortBy: "userName", StartIndex: 1, Count: 2})
	fmt.Println(page.TotalResults)
	for _, u := range page.Resources {
		fmt.Println(u.UserName)
	}
	// Output:
	// 3
	// ada
	// carol
}

// A store assigns NewID's UUIDs to the resources it creates.
func ExampleNewID() {
	id := scim.NewID()
	fmt.Println(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id))
	// Output: true
}

// A store that keeps resources in memory copies their extensions on the
// way in, so that the caller's later changes do not reach the store.
func ExampleCloneExtensions() {
	const acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	in := &scim.User{UserName: "ada", Extensions: scim.Extensions{acme: {"badge": map[string]any{"floor": "3"}}}}
	stored := *in
	stored.Extensions = scim.CloneExtensions(in.Extensions)
	in.Extensions[acme]["badge"].(map[string]any)["floor"] = "9"
	fmt.Println(stored.Extensions[acme]["badge"])
	// Output: map[floor:3]
}
