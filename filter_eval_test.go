package scim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func matchingIDs[R Resource](t *testing.T, f *Filter, rs []*R, id func(*R) string) []string {
	t.Helper()
	ids := []string{}
	for _, r := range rs {
		if Match(f, r) {
			ids = append(ids, id(r))
		}
	}
	return ids
}

func TestMatchUsers(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	const acme = filterAcmeURN + ":"
	users := filterTestUsers()
	tests := []struct {
		filter string
		want   []string
	}{
		// Strings: case-insensitive attributes, every operator.
		{`userName eq "alice"`, []string{"a1"}},
		{`USERNAME Eq "ALICE"`, []string{"a1"}},
		{`userName EQ "Alice"`, []string{"a1"}},
		{`userName ne "alice"`, []string{"b2", "c3", "d4"}},
		{`userName co "LI"`, []string{"a1"}},
		{`userName sw "b"`, []string{"b2"}},
		{`userName ew "OL"`, []string{"c3"}},
		{`userName gt "bob"`, []string{"c3", "d4"}},
		{`userName ge "BOB"`, []string{"b2", "c3", "d4"}},
		{`userName lt "bob"`, []string{"a1"}},
		{`userName le "Bob"`, []string{"a1", "b2"}},
		{`userName pr`, []string{"a1", "b2", "c3", "d4"}},
		{`userName co ""`, []string{"a1", "b2", "c3", "d4"}},
		{`userName eq ""`, []string{}},
		{`DisplayName eq "alice smith"`, []string{"a1"}},
		{`title pr`, []string{"a1"}},
		{`nickName eq "x"`, []string{}},
		{`nickName ne "x"`, []string{"a1", "b2", "c3", "d4"}},
		// Unicode case folding: the Kelvin sign folds to k.
		{`nickName sw "kel"`, []string{"d4"}},
		{`nickName co "ELV"`, []string{"d4"}},
		{`nickName eq "KELVIN"`, []string{"d4"}},
		{`nickName ew "VIN"`, []string{"d4"}},
		{`displayName eq "ÉTÉ"`, []string{"d4"}},
		// caseExact attributes.
		{`id eq "a1"`, []string{"a1"}},
		{`id eq "A1"`, []string{}},
		{`externalId eq "ext-A"`, []string{"a1"}},
		{`externalId eq "EXT-A"`, []string{"d4"}},
		{`externalId co "xt"`, []string{"a1"}},
		{`externalId ne "ext-A"`, []string{"b2", "c3", "d4"}},
		{`externalId gt "a"`, []string{"a1"}},
		// Booleans; "True" is accepted as Entra ID sends it.
		{`active eq true`, []string{"a1", "d4"}},
		{`active eq false`, []string{"b2"}},
		{`active ne true`, []string{"b2", "c3"}},
		{`active pr`, []string{"a1", "b2", "d4"}},
		{`active eq "True"`, []string{"a1", "d4"}},
		{`active eq False`, []string{"b2"}},
		// dateTimes compare as instants.
		{`meta.created gt "2019-01-01T00:00:00Z"`, []string{"a1"}},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, []string{"a1", "b2"}},
		{`meta.created eq "2020-01-01T01:00:00+01:00"`, []string{"a1"}},
		{`meta.created ne "2020-01-01T01:00:00+01:00"`, []string{"b2", "c3", "d4"}},
		{`meta.lastModified ge "2024-06-01T12:00:00.000Z"`, []string{"a1"}},
		{`meta.lastModified le "2016-01-01T00:00:00Z"`, []string{"b2"}},
		{`meta.created lt "2016-01-01T00:00:00Z"`, []string{"b2"}},
		{`meta.created pr`, []string{"a1", "b2"}},
		{`meta pr`, []string{"a1", "b2"}},
		{`meta.version eq "W/\"3\""`, []string{"a1"}},
		// Every user is a User, whether or not its store filled in Meta.ResourceType.
		{`meta.resourceType eq "User"`, []string{"a1", "b2", "c3", "d4"}},
		{`meta.resourceType eq "Group"`, []string{}},
		// null: eq null is "not present", ne null is "present".
		{`title eq null`, []string{"b2", "c3", "d4"}},
		{`title ne null`, []string{"a1"}},
		{`emails eq null`, []string{"c3", "d4"}},
		// Complex singular attribute.
		{`name.familyName eq "smith"`, []string{"a1"}},
		{`name.FamilyName eq Smith`, []string{"a1"}},
		{`name pr`, []string{"a1", "b2"}},
		{`name.givenName pr`, []string{"a1"}},
		{`name[givenName eq "alice" and familyName eq "smith"]`, []string{"a1"}},
		{`name[givenName ne "alice"]`, []string{"b2"}},
		// Core-schema URN prefix.
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "Jones"`, []string{"b2"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`, []string{"b2"}},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:ID eq "c3"`, []string{"c3"}},
		// Multi-valued: implicit value, any item matches, ne means none.
		{`emails co "example"`, []string{"a1", "b2"}},
		{`emails eq "alice@example.com"`, []string{"a1"}},
		{`emails.value co "EXAMPLE.ORG"`, []string{"b2"}},
		{`emails.type eq "home"`, []string{"a1"}},
		{`emails.type ne "home"`, []string{"b2", "c3", "d4"}},
		{`emails ne "bob@example.org"`, []string{"a1", "c3", "d4"}},
		{`emails pr`, []string{"a1", "b2"}},
		{`emails.display pr`, []string{}},
		{`emails.primary eq true`, []string{"a1"}},
		{`emails.value gt "b"`, []string{"b2"}},
		// Value filters: one item must satisfy the whole filter.
		{`emails[type eq "work" and value co "example.com"]`, []string{"a1"}},
		{`emails[type eq "home" and value co "example.com"]`, []string{}},
		{`emails[type eq "work" and value co "example" and primary eq true]`, []string{"a1"}},
		{`emails[type eq "work" and primary eq false]`, []string{"b2"}},
		{`emails[value co "alice" or value co "bob"]`, []string{"a1", "b2"}},
		{`emails[not (type eq "work")]`, []string{"a1"}},
		{`emails[type eq "work" and (value sw "a" or value sw "b")]`, []string{"a1", "b2"}},
		{`emails[primary pr]`, []string{"a1"}},
		{`not (emails[type eq "home"])`, []string{"b2", "c3", "d4"}},
		// Entra ID's attr[filter].sub op value.
		{`emails[type eq "work"].value eq "bob@example.org"`, []string{"b2"}},
		{`emails[type eq "work"].value eq "alice@home.org"`, []string{}},
		{`emails[type eq "work"].value pr`, []string{"a1", "b2"}},
		{`emails[type eq "work" and primary eq true].value co "alice"`, []string{"a1"}},
		{`addresses[type eq "work"].locality eq "berlin"`, []string{"a1"}},
		// Other multi-valued attributes.
		{`addresses[locality eq "BERLIN"]`, []string{"a1"}},
		{`addresses.country eq "de"`, []string{"a1"}},
		{`addresses.primary eq true`, []string{"a1"}},
		{`phoneNumbers.value sw "+1"`, []string{"a1"}},
		{`phoneNumbers[type eq "mobile"]`, []string{"a1"}},
		{`groups eq "g1"`, []string{"a1"}},
		{`groups.display eq "admins"`, []string{"a1"}},
		{`groups[type eq "direct"]`, []string{"a1"}},
		{`roles[primary eq "True"].value eq "admin"`, []string{"a1"}},
		{`ims pr`, []string{}},
		// Enterprise User extension.
		{ent + `employeeNumber eq "1001"`, []string{"a1"}},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "1002"`, []string{"d4"}},
		{ent + `employeeNumber pr`, []string{"a1", "d4"}},
		{ent + `department eq "r&d"`, []string{"a1"}},
		{ent + `manager.value eq "m1"`, []string{"a1"}},
		{ent + `manager eq "m1"`, []string{"a1"}},
		{ent + `manager pr`, []string{"a1"}},
		{ent + `manager.displayName sw "bo"`, []string{"a1"}},
		{ent + `manager[displayName eq "boss"]`, []string{"a1"}},
		{ent + `manager.$ref pr`, []string{}},
		{`id eq "a1" and ` + ent + `manager eq "m1"`, []string{"a1"}},
		// Custom extension, held in Extensions.
		{acme + `costCenter eq "cc-9"`, []string{"a1"}},
		{acme + `costCenter pr`, []string{"a1"}},
		{acme + `costCenter ne "cc-9"`, []string{"b2", "c3", "d4"}},
		{acme + `badgeId eq "BX-1"`, []string{"a1"}},
		{acme + `badgeId eq "bx-1"`, []string{}},
		{acme + `level gt 3`, []string{"a1"}},
		{acme + `level le 2`, []string{"b2"}},
		{acme + `level eq 5`, []string{"a1"}},
		{acme + `level eq 5.0`, []string{"a1"}},
		{acme + `level ne 5`, []string{"b2", "c3", "d4"}},
		{acme + `level pr`, []string{"a1", "b2"}},
		{acme + `remote eq true`, []string{"a1"}},
		{acme + `remote eq false`, []string{"b2"}},
		{acme + `score ge 2.5`, []string{"a1"}},
		{acme + `score lt 2`, []string{"b2"}},
		{acme + `hired lt "2019-03-01T10:00:00+01:00"`, []string{}},
		{acme + `hired le "2019-03-01T10:00:00+01:00"`, []string{"a1"}},
		{acme + `tags eq "Y"`, []string{"a1"}},
		{acme + `tags pr`, []string{"a1", "b2"}},
		{acme + `badges eq "GOLD"`, []string{"a1"}},
		{acme + `badges.kind eq "award"`, []string{"a1"}},
		{acme + `badges[kind eq "award" and value eq "gold"]`, []string{"a1"}},
		{acme + `badges[kind eq "award" and value eq "silver"]`, []string{}},
		// Logic and precedence.
		{`userName eq "alice" or userName eq "bob" and active eq true`, []string{"a1"}},
		{`(userName eq "alice" or userName eq "bob") and active eq false`, []string{"b2"}},
		{`userName eq "alice" or userName eq "bob" or userName eq "dave"`, []string{"a1", "b2", "d4"}},
		{`not (userName eq "alice")`, []string{"b2", "c3", "d4"}},
		{`not(userName eq "alice") and not (userName eq "bob")`, []string{"c3", "d4"}},
		{`not (emails pr) and userName sw "c"`, []string{"c3"}},
		{`not (not (active eq true))`, []string{"a1", "d4"}},
		{`((userName eq "alice"))`, []string{"a1"}},
		// SCIM Reference Code, unquoted values.
		{`name.FamilyName eq Jones and (emails.Value co example.com or emails.Value co example.org)`, []string{"b2"}},
		{`userName sw O`, []string{}},
		{`userName sw C`, []string{"c3"}},
		// Escapes are decoded.
		{`displayName eq "Q \"the\" \\ one"`, []string{"c3"}},
		{`displayName co "\u0022the\u0022"`, []string{"c3"}},
		{`displayName eq "\u00e9t\u00E9"`, []string{"d4"}},
		{`displayName co "\/"`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := filterUserType.parseFilter(tt.filter)
			require.NoError(t, err)
			got := matchingIDs(t, f, users, func(u *User) string { return u.ID })
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMatchGroups(t *testing.T) {
	groups := filterTestGroups()
	tests := []struct {
		filter string
		want   []string
	}{
		{`displayName eq "admins"`, []string{"g1"}},
		{`displayName sw "S"`, []string{"g2"}},
		{`members eq "a1"`, []string{"g1"}},
		{`members.value eq "b2"`, []string{"g1"}},
		{`members eq "zz"`, []string{}},
		{`members[value eq "a1" and type eq "User"]`, []string{"g1"}},
		{`members[value eq "b2" and display pr]`, []string{}},
		{`members.display eq "alice"`, []string{"g1"}},
		{`id eq "g1" and members eq "b2"`, []string{"g1"}},
		{`id eq "g1" and members eq "c3"`, []string{}},
		{`members pr`, []string{"g1"}},
		{`not (members pr)`, []string{"g2"}},
		{`members ne "a1"`, []string{"g2"}},
		{`externalId eq "x-1"`, []string{"g1"}},
		{`meta.created gt "2020-12-31T23:59:59Z"`, []string{"g1"}},
		{`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Sales"`, []string{"g2"}},
		{`members[value eq "b2"].type eq "user"`, []string{"g1"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseGroupFilter(tt.filter)
			require.NoError(t, err)
			got := matchingIDs(t, f, groups, func(g *Group) string { return g.ID })
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMatchWrongTypeAndNil(t *testing.T) {
	uf, err := ParseUserFilter(`id pr`)
	require.NoError(t, err)
	gf, err := ParseGroupFilter(`id pr`)
	require.NoError(t, err)
	u, g := filterTestUsers()[0], filterTestGroups()[0]

	assert.True(t, Match(uf, u))
	assert.False(t, Match(uf, g), "a User filter matches no Group")
	assert.True(t, Match(gf, g))
	assert.False(t, Match(gf, u), "a Group filter matches no User")
	assert.True(t, Match[User](nil, u), "a nil filter matches everything")
	assert.False(t, Match(uf, (*User)(nil)))
	assert.True(t, Match(&Filter{}, u), "a zero filter has no expression and matches everything")
	assert.False(t, Match(&Filter{Expr: uf.Expr}, u), "a hand-built filter cannot be evaluated")
}

func TestGroupFilterRejectsUserAttributes(t *testing.T) {
	for _, s := range []string{`userName eq "x"`, `emails pr`, `urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "x"`} {
		_, err := ParseGroupFilter(s)
		requireInvalidFilter(t, err, s)
	}
}

func TestMatchGroupExtension(t *testing.T) {
	ext := &Schema{ID: "urn:example:params:scim:schemas:extension:2.0:Group", Attributes: []*Attribute{{Name: "region"}}}
	f, err := ParseGroupFilter(`urn:example:params:scim:schemas:extension:2.0:Group:region eq "EMEA"`, ext)
	require.NoError(t, err)
	g := &Group{ID: "g", Extensions: Extensions{ext.ID: {"region": "emea"}}}
	assert.True(t, Match(f, g))
	assert.False(t, Match(f, &Group{ID: "h"}))
}

// TestEveryAttributeIsFilterable guards the accessor tables: every
// attribute and sub-attribute of the schemas can be compiled.
func TestEveryAttributeIsFilterable(t *testing.T) {
	for _, rt := range []*resourceType{filterUserType, newResourceType("Group", nil)} {
		check := func(path string, a *Attribute) {
			if a.returned() == ReturnedNever {
				return
			}
			f, err := rt.parseFilter(path + " pr")
			require.NoError(t, err, path)
			assert.NotPanics(t, func() {
				for _, u := range filterTestUsers() {
					Match(f, u)
				}
				for _, g := range filterTestGroups() {
					Match(f, g)
				}
			}, path)
		}
		var attrs []struct {
			prefix string
			a      *Attribute
		}
		for _, a := range append(append([]*Attribute{}, commonAttrs...), rt.schema.Attributes...) {
			attrs = append(attrs, struct {
				prefix string
				a      *Attribute
			}{"", a})
		}
		for _, e := range rt.extensions {
			for _, a := range e.schema.Attributes {
				attrs = append(attrs, struct {
					prefix string
					a      *Attribute
				}{e.schema.ID + ":", a})
			}
		}
		for _, x := range attrs {
			check(x.prefix+x.a.Name, x.a)
			for _, s := range x.a.SubAttributes {
				check(x.prefix+x.a.Name+"."+s.Name, s)
			}
		}
	}
}
