package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
)

// acmeUserURN and acmeGroupURN are custom extension schemas, as an
// application registers with scim.WithUserExtension.
const (
	acmeUserURN  = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	acmeGroupURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:Group"
)

// all is a query for every resource on one page.
func all() *scim.Query { return &scim.Query{StartIndex: 1, Count: 10000} }

func (e *env) createUser(t *testing.T, u *scim.User) *scim.User {
	t.Helper()
	got, err := e.users.Create(e.ctx, u)
	require.NoError(t, err, "Create user %q", u.UserName)
	require.NotNil(t, got)
	return got
}

func (e *env) createGroup(t *testing.T, g *scim.Group) *scim.Group {
	t.Helper()
	got, err := e.groups.Create(e.ctx, g)
	require.NoError(t, err, "Create group %q", g.DisplayName)
	require.NotNil(t, got)
	return got
}

func (e *env) getUser(t *testing.T, id string) *scim.User {
	t.Helper()
	got, err := e.users.Get(e.ctx, id, scim.ReadOptions{})
	require.NoError(t, err, "Get user %q", id)
	require.NotNil(t, got)
	return got
}

func (e *env) getGroup(t *testing.T, id string) *scim.Group {
	t.Helper()
	got, err := e.groups.Get(e.ctx, id, scim.ReadOptions{})
	require.NoError(t, err, "Get group %q", id)
	require.NotNil(t, got)
	return got
}

func (e *env) listUsers(t *testing.T, q *scim.Query) *scim.Page[scim.User] {
	t.Helper()
	p, err := e.users.List(e.ctx, q)
	require.NoError(t, err, "List users")
	require.NotNil(t, p)
	return p
}

func (e *env) listGroups(t *testing.T, q *scim.Query) *scim.Page[scim.Group] {
	t.Helper()
	p, err := e.groups.List(e.ctx, q)
	require.NoError(t, err, "List groups")
	require.NotNil(t, p)
	return p
}

// user returns a minimal user.
func user(userName string) *scim.User {
	return &scim.User{UserName: userName, DisplayName: "User " + userName}
}

// member returns a membership of the user u.
func member(u *scim.User) scim.MultiValue {
	return scim.MultiValue{Value: u.ID, Display: u.DisplayName, Type: "User"}
}

func userIDs(us []*scim.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func groupIDs(gs []*scim.Group) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

func userNames(us []*scim.User) []string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.UserName
	}
	return names
}

func memberValues(g *scim.Group) []string {
	vs := make([]string, len(g.Members))
	for i, m := range g.Members {
		vs[i] = m.Value
	}
	return vs
}

// groupRef is the part of a User.Groups value that a store must set.
type groupRef struct{ Value, Display, Type string }

func groupRefs(u *scim.User) []groupRef {
	refs := make([]groupRef, len(u.Groups))
	for i, g := range u.Groups {
		refs[i] = groupRef{g.Value, g.Display, g.Type}
	}
	return refs
}

// fullUser returns a user with every attribute set, for round trips.
func fullUser(userName string) *scim.User {
	active := false
	return &scim.User{
		ID:         "client-supplied-id",
		ExternalID: "ext-" + userName,
		UserName:   userName,
		Name: &scim.Name{
			Formatted:       "Ms. Barbara J Jensen, III",
			FamilyName:      "Jensen",
			GivenName:       "Barbara",
			MiddleName:      "Jane",
			HonorificPrefix: "Ms.",
			HonorificSuffix: "III",
		},
		DisplayName:       "Babs Jensen",
		NickName:          "Babs",
		ProfileURL:        "https://login.example.com/bjensen",
		Title:             "Tour Guide",
		UserType:          "Employee",
		PreferredLanguage: "en-US",
		Locale:            "en-US",
		Timezone:          "America/Los_Angeles",
		Active:            &active,
		Password:          "t1meMa$heen",
		Emails: []scim.MultiValue{
			{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home", Display: "Home mail"},
		},
		PhoneNumbers: []scim.MultiValue{
			{Value: "+1 555 555 5555", Type: "work"},
			{Value: "tel:+1-201-555-0123", Type: "mobile", Primary: true},
		},
		IMs:    []scim.MultiValue{{Value: "someaimhandle", Type: "aim"}},
		Photos: []scim.MultiValue{{Value: "https://photos.example.com/profilephoto/72930000000Ccne/F", Type: "photo"}},
		Addresses: []scim.Address{
			{
				Formatted:     "100 Universal City Plaza\nHollywood, CA 91608 USA",
				StreetAddress: "100 Universal City Plaza",
				Locality:      "Hollywood",
				Region:        "CA",
				PostalCode:    "91608",
				Country:       "USA",
				Type:          "work",
				Primary:       true,
			},
			{StreetAddress: "456 Hollywood Blvd", Locality: "Hollywood", Type: "home"},
		},
		Entitlements:     []scim.MultiValue{{Value: "full-access"}, {Value: "billing", Display: "Billing"}},
		Roles:            []scim.MultiValue{{Value: "admin", Display: "Administrator", Type: "app", Primary: true}},
		X509Certificates: []scim.MultiValue{{Value: "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}},
		Groups:           []scim.MultiValue{{Value: "not-a-group", Display: "Ignored", Type: "direct"}},
		Enterprise: &scim.EnterpriseUser{
			EmployeeNumber: "701984",
			CostCenter:     "4130",
			Organization:   "Universal Studios",
			Division:       "Theme Park",
			Department:     "Tour Operations",
			Manager: &scim.Manager{
				Value:       "26118915-6090-4610-87e4-49d8ca9f808d",
				Ref:         "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
				DisplayName: "John Smith",
			},
		},
		Extensions: scim.Extensions{
			acmeUserURN: {
				"costCenter": "CC-7",
				"remote":     true,
				"level":      json.Number("3"),
				"ratio":      json.Number("0.75"),
				"badge": map[string]any{
					"id":     "B-1",
					"active": false,
					"floors": []any{json.Number("1"), json.Number("2")},
				},
				"tags": []any{"a", "b", map[string]any{"nested": "yes"}},
			},
		},
	}
}

// stripUser returns a copy of u without what a store sets or derives (ID,
// Meta, Groups), to compare what a client sent with what came back.
// Empty lists and maps become nil, as a store may return either.
func stripUser(u *scim.User) scim.User {
	c := *u
	c.ID, c.Meta, c.Groups = "", scim.Meta{}, nil
	for _, l := range []*[]scim.MultiValue{&c.Emails, &c.PhoneNumbers, &c.IMs, &c.Photos, &c.Entitlements, &c.Roles, &c.X509Certificates} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Addresses) == 0 {
		c.Addresses = nil
	}
	if len(c.Extensions) == 0 {
		c.Extensions = nil
	}
	return c
}

func requireSameUser(t *testing.T, want, got *scim.User, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, stripUser(want), stripUser(got), msgAndArgs...)
}

func requireSameGroup(t *testing.T, want, got *scim.Group, msgAndArgs ...any) {
	t.Helper()
	require.ElementsMatch(t, want.Members, got.Members, msgAndArgs...)
	w, g := *want, *got
	w.ID, w.Meta, w.Members = "", scim.Meta{}, nil
	g.ID, g.Meta, g.Members = "", scim.Meta{}, nil
	if len(w.Extensions) == 0 {
		w.Extensions = nil
	}
	if len(g.Extensions) == 0 {
		g.Extensions = nil
	}
	require.Equal(t, w, g, msgAndArgs...)
}

func userFilter(t *testing.T, expr string) *scim.Filter {
	t.Helper()
	f, err := scim.ParseUserFilter(expr)
	require.NoError(t, err, "ParseUserFilter(%q)", expr)
	return f
}

func groupFilter(t *testing.T, expr string) *scim.Filter {
	t.Helper()
	f, err := scim.ParseGroupFilter(expr)
	require.NoError(t, err, "ParseGroupFilter(%q)", expr)
	return f
}

// errorf formats an error for a goroutine to report to the test.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
