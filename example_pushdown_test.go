package scim_test

import (
	"fmt"
	"strings"

	"github.com/scimkit/scim"
)

// A store over its own table answers the lookups identity providers make
// with one indexed query, and lets scim.ApplyQuery evaluate anything else
// on the rows it narrowed down.
func ExampleFilter_Equalities() {
	// The columns of an accounts table, by the SCIM path they hold.
	columns := map[string]string{
		"id":                           "id",
		"userName":                     "email",
		"externalId":                   "external_id",
		`emails[type eq "work"].value`: "contact_email",
	}
	for _, expr := range []string{
		`userName eq "Ada@Example.com"`,
		`emails[type eq "work"].value eq "ada@example.com"`,
		`externalId eq "8c2f" and active eq true`,
		`userName sw "ada"`,
	} {
		f, _ := scim.ParseUserFilter(expr)
		eqs, only := f.Equalities()
		var where []string
		for _, eq := range eqs {
			col, ok := columns[eq.Path]
			if !ok {
				only = false // left to ApplyQuery
				continue
			}
			if eq.CaseExact {
				where = append(where, col+" = ?")
			} else {
				where = append(where, "lower("+col+") = lower(?)")
			}
		}
		fmt.Printf("%s: WHERE %s; ApplyQuery needed: %t\n", expr, strings.Join(where, " AND "), !only)
	}
	// Output:
	// userName eq "Ada@Example.com": WHERE lower(email) = lower(?); ApplyQuery needed: false
	// emails[type eq "work"].value eq "ada@example.com": WHERE lower(contact_email) = lower(?); ApplyQuery needed: false
	// externalId eq "8c2f" and active eq true: WHERE external_id = ?; ApplyQuery needed: true
	// userName sw "ada": WHERE ; ApplyQuery needed: true
}

// Entra ID asks whether a user is a member of a group with a filter on
// members while excluding members from the response: a group store that
// loads members only when asked checks whether the filter needs them.
func ExampleFilter_References() {
	f, _ := scim.ParseGroupFilter(`id eq "7" and members eq "42"`)
	fmt.Println(f.References("members"), f.References("displayName"))
	// Output: true false
}

// A store's tests send it what the handler would: only the attributes the
// store keeps.
func ExampleAttributeSet_TrimUser() {
	kept, err := scim.NewUserAttributeSet([]string{"name.givenName", `emails[type eq "work"].value`, "active"})
	if err != nil {
		panic(err)
	}
	u := kept.TrimUser(&scim.User{
		UserName: "ada@example.com",
		Title:    "Countess",
		Name:     &scim.Name{GivenName: "Ada", FamilyName: "Lovelace"},
		Emails:   []scim.MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}, {Value: "ada@home.example", Type: "home"}},
	})
	fmt.Printf("%s %q %+v %+v\n", u.UserName, u.Title, *u.Name, u.Emails)
	fmt.Println(kept.Has("name.familyName"), kept.Has("emails.value"))
	// Output:
	// ada@example.com "" {Formatted: FamilyName: GivenName:Ada MiddleName: HonorificPrefix: HonorificSuffix:} [{Value:ada@example.com Display: Type:work Primary:false Ref:}]
	// false true
}
