package scim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appUserPaths are the User attributes of an application whose accounts
// table has a login, a first and a last name, a work email, an active
// flag, the identity provider's id and a manager.
var appUserPaths = []string{
	"externalId", "name.givenName", "name.familyName", `emails[type eq "work"].value`,
	"active", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "groups",
}

func appUsers(t *testing.T) *AttributeSet {
	t.Helper()
	k, err := NewUserAttributeSet(appUserPaths)
	require.NoError(t, err)
	return k
}

func TestAttributeSetRejectsBadPaths(t *testing.T) {
	for _, p := range []string{
		"nosuch", "name.nosuch", "userName.value", `name[givenName eq "x"]`, `emails[nosuch eq "x"].value`,
		`emails[type eq "work"].nosuch`, `emails[type eq`, "urn:ietf:params:scim:schemas:extension:nosuch:2.0:User:x",
	} {
		_, err := NewUserAttributeSet([]string{p})
		requireSCIMError(t, err, ScimTypeInvalidPath)
	}
	_, err := NewGroupAttributeSet([]string{"userName"})
	requireSCIMError(t, err, ScimTypeInvalidPath)
}

func TestAttributeSetHas(t *testing.T) {
	k := appUsers(t)
	for p, want := range map[string]bool{
		"userName": true, "USERNAME": true, "id": true, "meta.lastModified": true, // always kept
		"externalId": true, "name": true, "name.givenName": true, "name.middleName": false,
		"emails": true, "emails.value": true, "emails.type": true, "emails.display": false, "emails.primary": false,
		"active": true, "title": false, "phoneNumbers": false, "password": false, "groups": true,
		"manager": true, "manager.value": true, "manager.displayName": false,
		EnterpriseUserSchema + ":manager.value": true, EnterpriseUserSchema + ":department": false,
		"nosuch": false,
	} {
		assert.Equal(t, want, k.Has(p), p)
	}
	var all *AttributeSet
	assert.True(t, all.Has("phoneNumbers"), "a nil set keeps everything")
	assert.Nil(t, all.Paths())
	assert.Equal(t, appUserPaths, k.Paths())

	g, err := NewGroupAttributeSet([]string{"members.value"})
	require.NoError(t, err)
	assert.True(t, g.Has("displayName"), "required attributes are always kept")
	assert.True(t, g.Has("members.value"))
	assert.False(t, g.Has("members.display"))
	assert.False(t, g.Has("externalId"))
}

func TestAttributeSetTrimsDocuments(t *testing.T) {
	k := appUsers(t)
	doc := jsonDoc(t, `{"id":"u1","userName":"ada","password":"secret","title":"Countess",
		"name":{"givenName":"Ada","familyName":"Lovelace","middleName":"King"},
		"emails":[{"value":"ada@work.example","type":"work","primary":true,"display":"Ada"},{"value":"ada@home.example","type":"home"}],
		"phoneNumbers":[{"value":"555"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Maths","manager":{"value":"m1","displayName":"Babbage"}}}`)
	require.NoError(t, k.trimDoc(doc, false))
	assert.Equal(t, jsonDoc(t, `{"id":"u1","userName":"ada","password":"secret",
		"name":{"givenName":"Ada","familyName":"Lovelace"},
		"emails":[{"value":"ada@work.example","type":"work"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"}}}`), doc,
		"id and password are left to the handler")

	// Nothing of an extension left: the extension goes.
	doc = jsonDoc(t, `{"userName":"ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Maths"},
		"emails":[{"value":"ada@home.example","type":"home"}]}`)
	require.NoError(t, k.trimDoc(doc, false))
	assert.Equal(t, jsonDoc(t, `{"userName":"ada"}`), doc)

	// Strict: the first attribute that is not kept is a 400.
	for body, detail := range map[string]string{
		`{"userName":"ada","title":"Countess"}`:                                                                  `"title"`,
		`{"userName":"ada","name":{"middleName":"King"}}`:                                                        `"name.middleName"`,
		`{"userName":"ada","emails":[{"value":"a@x","type":"home"}]}`:                                            `emails[type eq "work"].value`,
		`{"userName":"ada","emails":[{"value":"a@x","type":"work","primary":true}]}`:                             `"emails.primary"`,
		`{"userName":"ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Maths"}}`: `enterprise:2.0:User:department"`,
	} {
		err := k.trimDoc(jsonDoc(t, body), true)
		se := requireSCIMError(t, err, ScimTypeInvalidValue)
		assert.Contains(t, se.Detail, detail, body)
	}
	require.NoError(t, k.trimDoc(jsonDoc(t, `{"userName":"ada","active":false,"emails":[{"value":"a@x","type":"work"}]}`), true))

	var all *AttributeSet
	doc = jsonDoc(t, `{"userName":"ada","title":"Countess"}`)
	require.NoError(t, all.trimDoc(doc, true))
	assert.Equal(t, jsonDoc(t, `{"userName":"ada","title":"Countess"}`), doc)
}

func TestAttributeSetOrsItsRules(t *testing.T) {
	k, err := NewUserAttributeSet([]string{`emails[type eq "work"].value`, `emails[type eq "home"]`, "name.givenName", "name.familyName"})
	require.NoError(t, err)
	doc := jsonDoc(t, `{"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace","formatted":"Ada Lovelace"},
		"emails":[{"value":"w","type":"work","display":"W"},{"value":"h","type":"HOME","display":"H"},{"value":"o","type":"other"}]}`)
	require.NoError(t, k.trimDoc(doc, false))
	assert.Equal(t, jsonDoc(t, `{"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace"},
		"emails":[{"value":"w","type":"work"},{"value":"h","type":"HOME","display":"H"}]}`), doc,
		"type is not caseExact, so HOME is a home email, kept whole")
}

func TestAttributeSetTrimsStructs(t *testing.T) {
	k := appUsers(t)
	active := true
	u := &User{ID: "u1", UserName: "ada", Title: "Countess", Password: "secret", Active: &active,
		Name:       &Name{GivenName: "Ada", MiddleName: "King"},
		Emails:     []MultiValue{{Value: "w", Type: "work", Primary: true}, {Value: "h", Type: "home"}},
		Groups:     []MultiValue{{Value: "g1", Display: "Admins", Type: "direct"}},
		Enterprise: &EnterpriseUser{Department: "Maths", Manager: &Manager{Value: "m1", DisplayName: "Babbage"}},
		Meta:       Meta{Version: `W/"1"`},
	}
	got := k.TrimUser(u)
	assert.Equal(t, &User{ID: "u1", UserName: "ada", Active: &active, Name: &Name{GivenName: "Ada"},
		Emails:     []MultiValue{{Value: "w", Type: "work"}},
		Groups:     []MultiValue{{Value: "g1", Display: "Admins", Type: "direct"}},
		Enterprise: &EnterpriseUser{Manager: &Manager{Value: "m1"}},
		Meta:       Meta{Version: `W/"1"`}}, got)
	assert.Equal(t, "Countess", u.Title, "TrimUser leaves its argument alone")
	*got.Active = false
	assert.True(t, *u.Active, "TrimUser copies")

	var all *AttributeSet
	assert.Equal(t, u, all.TrimUser(u), "a nil set copies everything")

	g, err := NewGroupAttributeSet([]string{"members.value"})
	require.NoError(t, err)
	assert.Equal(t, &Group{ID: "g1", DisplayName: "Admins", Members: []MultiValue{{Value: "u1"}, {Value: "u2"}}},
		g.TrimGroup(&Group{ID: "g1", DisplayName: "Admins", ExternalID: "x",
			Members: []MultiValue{{Value: "u1", Display: "Ada", Type: "User"}, {Value: "u2", Ref: "https://x/Users/u2"}}}))
}

func TestAttributeSetSchema(t *testing.T) {
	k := appUsers(t)
	s := k.schema(userSchema, false)
	var names []string
	for _, a := range s.Attributes {
		names = append(names, a.Name)
	}
	assert.Equal(t, []string{"userName", "name", "active", "emails", "groups"}, names)
	name := s.Attr("name")
	require.Len(t, name.SubAttributes, 2)
	assert.Equal(t, "familyName", name.SubAttributes[0].Name)
	assert.Equal(t, "givenName", name.SubAttributes[1].Name)
	emails := s.Attr("emails")
	require.Len(t, emails.SubAttributes, 2)
	assert.Equal(t, "value", emails.SubAttributes[0].Name)
	assert.Equal(t, "type", emails.SubAttributes[1].Name)
	assert.Equal(t, []string{"work"}, emails.SubAttributes[1].CanonicalValues, "the filter pins type to work")
	assert.Equal(t, []string{"work", "home", "other"}, userSchema.Attr("emails").Sub("type").CanonicalValues,
		"the shared schema is left alone")
	assert.Len(t, userSchema.Attr("name").SubAttributes, 6)

	ent := k.schema(enterpriseUserSchema, false)
	require.Len(t, ent.Attributes, 1)
	assert.Equal(t, "manager", ent.Attributes[0].Name)
	require.Len(t, ent.Attributes[0].SubAttributes, 1)
	assert.Equal(t, "value", ent.Attributes[0].SubAttributes[0].Name)

	only, err := NewUserAttributeSet([]string{"title"})
	require.NoError(t, err)
	assert.Nil(t, only.schema(enterpriseUserSchema, false), "an extension with nothing kept is not served")
	assert.NotNil(t, only.schema(userSchema, false))

	pw, err := NewUserAttributeSet([]string{"password"})
	require.NoError(t, err)
	assert.Nil(t, pw.schema(userSchema, false).Attr("password"), "no password without a password handler")
	assert.NotNil(t, pw.schema(userSchema, true).Attr("password"))
	var all *AttributeSet
	assert.Len(t, all.schema(userSchema, true).Attributes, len(userSchema.Attributes))
	assert.Len(t, all.schema(userSchema, false).Attributes, len(userSchema.Attributes)-1)
}

func TestAttributeSetRewritesFilters(t *testing.T) {
	k := appUsers(t)
	rt := newResourceType("User", nil)
	for _, c := range []struct{ in, want string }{
		{`userName eq "a"`, `userName eq "a"`},
		{`title eq "a"`, "never"},
		{`title ne "a"`, "always"},
		{`title pr`, "never"},
		{`title eq null`, "always"},
		{`not (title eq "a")`, "always"},
		{`userName eq "a" and title eq "b"`, "never"},
		{`userName eq "a" or title eq "b"`, `userName eq "a"`},
		{`userName eq "a" and title ne "b"`, `userName eq "a"`},
		{`userName eq "a" or title ne "b"`, "always"},
		{`name.middleName eq "K" or name.givenName eq "Ada"`, `name.givenName eq "Ada"`},
		{`emails.display eq "x"`, "never"},
		{`emails[type eq "work"].value eq "a@x"`, `emails[type eq "work" and value eq "a@x"]`},
		{`emails[display eq "x" and value eq "a@x"]`, "never"},
		{`emails[display eq "x" or value eq "a@x"]`, `emails[value eq "a@x"]`},
		{`emails[display ne "x"]`, `emails pr`},
		{`phoneNumbers[type eq "mobile"]`, "never"},
		{`manager eq "m1"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`, "never"},
		{`meta.lastModified gt "2020-01-01T00:00:00Z" and (title co "x" or active eq true)`, `meta.lastModified gt "2020-01-01T00:00:00Z" and active eq true`},
		{`not (userName eq "a" and nickName pr)`, "always"},
		{`groups eq "g1"`, `groups.value eq "g1"`},
	} {
		f, err := rt.parseFilter(c.in)
		require.NoError(t, err, c.in)
		e, tr := k.rewrite(f.Expr)
		switch c.want {
		case "always":
			assert.Equal(t, always, tr, c.in)
		case "never":
			assert.Equal(t, never, tr, c.in)
		default:
			require.Equal(t, depends, tr, c.in)
			assert.Equal(t, c.want, (&Filter{Expr: e}).String(), c.in)
		}
	}
	var all *AttributeSet
	f, err := rt.parseFilter(`title eq "x"`)
	require.NoError(t, err)
	e, tr := all.rewrite(f.Expr)
	assert.Equal(t, depends, tr)
	assert.Same(t, f.Expr, e)
}
