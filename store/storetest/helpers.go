package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// acmeUserURN and acmeGroupURN are custom extension schemas, as an
// application registers with scim.WithUserExtension.
const (
	acmeUserURN  = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	acmeGroupURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:Group"
)

// acmeUserSchema and acmeGroupSchema define the extension attributes a
// store may declare (the suite's users carry more, which only a store
// that keeps everything gets).
var (
	acmeUserSchema = &scim.Schema{ID: acmeUserURN, Name: "AcmeUser", Attributes: []*scim.Attribute{
		{Name: "costCenter"}, {Name: "remote", Type: scim.TypeBoolean}, {Name: "level", Type: scim.TypeInteger},
		{Name: "ratio", Type: scim.TypeDecimal},
	}}
	acmeGroupSchema = &scim.Schema{ID: acmeGroupURN, Name: "AcmeGroup", Attributes: []*scim.Attribute{{Name: "code"}}}
)

// labels are the attributes the suite may change to tell a user's versions
// apart, in order of preference.
var labels = []string{"displayName", "name.givenName", "name.familyName", "nickName", "title", "externalId"}

// labelOf returns the value of the label attribute of u.
func (e *env) labelOf(u *scim.User) string {
	switch e.label {
	case "displayName":
		return u.DisplayName
	case "nickName":
		return u.NickName
	case "title":
		return u.Title
	case "externalId":
		return u.ExternalID
	}
	if u.Name == nil {
		return ""
	}
	if e.label == "name.givenName" {
		return u.Name.GivenName
	}
	return u.Name.FamilyName
}

// withLabel returns a copy of u whose label attribute is s.
func (e *env) withLabel(u *scim.User, s string) *scim.User {
	c := *u
	switch e.label {
	case "displayName":
		c.DisplayName = s
	case "nickName":
		c.NickName = s
	case "title":
		c.Title = s
	case "externalId":
		c.ExternalID = s
	default:
		n := scim.Name{}
		if c.Name != nil {
			n = *c.Name
		}
		if e.label == "name.givenName" {
			n.GivenName = s
		} else {
			n.FamilyName = s
		}
		c.Name = &n
	}
	return &c
}

// sendUser returns what the handler would hand the store for u: the
// attributes the store keeps, and no password unless it declares one.
func (e *env) sendUser(u *scim.User) *scim.User {
	c := e.userKeeps.TrimUser(u)
	if e.userKeeps == nil {
		c.Password = ""
	}
	return c
}

// sendGroup returns what the handler would hand the store for g.
func (e *env) sendGroup(g *scim.Group) *scim.Group { return e.groupKeeps.TrimGroup(g) }

// keepsNested reports whether the group store can tell groups from users
// among members, and so may hold nested groups.
func (e *env) keepsNested() bool { return e.groupKeeps.Has("members.type") }

// all is a query for every resource on one page.
func all() *scim.Query { return &scim.Query{StartIndex: 1, Count: 10000} }

// createUser creates u as the handler would: trimmed to what the store
// keeps.
func (e *env) createUser(t *testing.T, u *scim.User) *scim.User {
	t.Helper()
	got, err := e.users.Create(e.ctx, e.sendUser(u))
	require.NoError(t, err, "Create user %q", u.UserName)
	require.NotNil(t, got)
	return got
}

// createGroup creates g as the handler would.
func (e *env) createGroup(t *testing.T, g *scim.Group) *scim.Group {
	t.Helper()
	got, err := e.groups.Create(e.ctx, e.sendGroup(g))
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

// replaceUser replaces u as the handler would.
func (e *env) replaceUser(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	return e.users.Replace(ctx, e.sendUser(u), ifVersion)
}

// replaceGroup replaces g as the handler would.
func (e *env) replaceGroup(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return e.groups.Replace(ctx, e.sendGroup(g), ifVersion)
}

// user returns a minimal user, with the label "User "+userName.
func (e *env) user(userName string) *scim.User {
	return e.sendUser(e.withLabel(&scim.User{UserName: userName}, "User "+userName))
}

// member returns a membership of the user u, as the handler would hand it
// to the store.
func (e *env) member(u *scim.User) scim.MultiValue {
	m := scim.MultiValue{Value: u.ID, Display: e.labelOf(u), Type: "User"}
	return e.sendGroup(&scim.Group{Members: []scim.MultiValue{m}}).Members[0]
}

// members returns the memberships of us.
func (e *env) members(us ...*scim.User) []scim.MultiValue {
	ms := make([]scim.MultiValue, len(us))
	for i, u := range us {
		ms[i] = e.member(u)
	}
	return ms
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

// requireGroups checks u.Groups against want, in any order, on the parts
// of a group reference the user store keeps; nothing when it does not keep
// groups.
func (e *env) requireGroups(t *testing.T, u *scim.User, want ...groupRef) {
	t.Helper()
	if !e.userKeeps.Has("groups") {
		return
	}
	trim := func(refs []groupRef) []groupRef {
		out := make([]groupRef, len(refs))
		for i, r := range refs {
			if !e.userKeeps.Has("groups.display") {
				r.Display = ""
			}
			if !e.userKeeps.Has("groups.type") {
				r.Type = ""
			}
			out[i] = r
		}
		return out
	}
	got := make([]groupRef, len(u.Groups))
	for i, g := range u.Groups {
		got[i] = groupRef{g.Value, g.Display, g.Type}
	}
	require.ElementsMatch(t, trim(want), trim(got), "groups of user %s", u.UserName)
}

// ref is a direct membership of the group with the given id and name.
func ref(id, name string) groupRef { return groupRef{id, name, "direct"} }

// managerID returns the id of a user of the store, created on first use,
// to be the manager of the users of round trips.
func (e *env) managerID(t *testing.T) string {
	t.Helper()
	if e.manager == nil {
		e.manager = e.createUser(t, e.user("the.manager"))
	}
	return e.manager.ID
}

// fullUser returns a user with every attribute set, for round trips, whose
// manager is managerID.
func fullUser(userName, managerID string) *scim.User {
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
		Password:          "$2a$10$hash.of.a.password.as.a.password.handler.returns",
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
				Value:       managerID,
				Ref:         "../Users/" + managerID,
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
// Empty lists, maps and structs become nil, as a store may return either
// (the handler sends neither).
func stripUser(u *scim.User) scim.User {
	c := *u
	c.ID, c.Meta, c.Groups = "", scim.Meta{}, nil
	if c.Name != nil && *c.Name == (scim.Name{}) {
		c.Name = nil
	}
	if c.Enterprise != nil {
		ent := *c.Enterprise
		if ent.Manager != nil && *ent.Manager == (scim.Manager{}) {
			ent.Manager = nil
		}
		c.Enterprise = &ent
		if ent == (scim.EnterpriseUser{}) {
			c.Enterprise = nil
		}
	}
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

// requireSameUser checks that got holds what the store keeps of want. A
// user whose active is unassigned may come back active, the usual default
// of an account (RFC 7643 §4.1.1 leaves its meaning to the service
// provider).
func (e *env) requireSameUser(t *testing.T, want, got *scim.User, msgAndArgs ...any) {
	t.Helper()
	w, g := stripUser(e.sendUser(want)), stripUser(got)
	if w.Active == nil && g.Active != nil && *g.Active {
		g.Active = nil
	}
	require.Equal(t, w, g, msgAndArgs...)
}

// requireSameGroup checks that got holds what the store keeps of want.
func (e *env) requireSameGroup(t *testing.T, want, got *scim.Group, msgAndArgs ...any) {
	t.Helper()
	want = e.sendGroup(want)
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
