package scim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilterReferences(t *testing.T) {
	for _, c := range []struct {
		filter, path string
		want         bool
	}{
		{`members eq "42"`, "members", true},
		{`members eq "42"`, "members.value", true},
		{`members eq "42"`, "Members.Value", true},
		{`members eq "42"`, "members.display", false},
		{`members[value eq "42"]`, "members", true},
		{`members[value eq "42"]`, "members.value", true},
		{`members[type eq "User"]`, "members.value", false},
		{`id eq "g" and members eq "u"`, "members", true},
		{`id eq "g" and members eq "u"`, "id", true},
		{`displayName eq "x"`, "members", false},
		{`not (members pr)`, "members", true},
		{`displayName eq "x" or members.display co "y"`, "members", true},
		{`externalId eq "x"`, "displayName", false},
		{`displayName eq "x"`, "nosuch", false},
	} {
		f, err := ParseGroupFilter(c.filter)
		require.NoError(t, err)
		assert.Equal(t, c.want, f.References(c.path), "%s references %s", c.filter, c.path)
	}
	for _, c := range []struct {
		filter, path string
		want         bool
	}{
		{`name.familyName sw "S"`, "name", true},
		{`name.familyName sw "S"`, "name.familyName", true},
		{`name.familyName sw "S"`, "name.givenName", false},
		{`manager eq "m"`, EnterpriseUserSchema + ":manager", true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`, "manager", true},
		{`emails[type eq "work"].value eq "a"`, "emails.type", true},
		{`groups eq "g"`, "groups", true},
		{`userName eq "g"`, "groups", false},
	} {
		f, err := ParseUserFilter(c.filter)
		require.NoError(t, err)
		assert.Equal(t, c.want, f.References(c.path), "%s references %s", c.filter, c.path)
	}
	var none *Filter
	assert.False(t, none.References("members"))
}

func TestFilterEqualities(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		filter string
		want   []Equality
		only   bool
	}{
		{`userName eq "Ada@Example.com"`, []Equality{{"userName", "Ada@Example.com", false}}, true},
		{`externalId eq "e-1"`, []Equality{{"externalId", "e-1", true}}, true},
		{`id eq "42"`, []Equality{{"id", "42", true}}, true},
		{`emails[type eq "work"].value eq "ada@example.com"`, []Equality{{`emails[type eq "work"].value`, "ada@example.com", false}}, true},
		{`emails[Type eq "WORK" and value eq "a"]`, []Equality{{`emails[type eq "work"].value`, "a", false}}, true},
		{`emails[value eq "a" and type eq "work" and display eq "D"]`, []Equality{{`emails[display eq "d" and type eq "work"].value`, "a", false}}, true},
		{`emails[value eq "a"]`, []Equality{{"emails.value", "a", false}}, true},
		{`emails.value eq "a"`, []Equality{{"emails.value", "a", false}}, true},
		{`manager eq "m"`, []Equality{{EnterpriseUserSchema + ":manager.value", "m", false}}, true},
		{`active eq "False"`, []Equality{{"active", false, false}}, true},
		{`meta.lastModified eq "2024-05-01T12:00:00Z"`, []Equality{{"meta.lastModified", at, false}}, true},
		{`userName eq "a" and active eq true`, []Equality{{"userName", "a", false}, {"active", true, false}}, true},
		{`userName eq "a" and title co "b"`, []Equality{{"userName", "a", false}}, false},
		{`title co "b" and (externalId eq "x" and userName eq "a")`, []Equality{{"externalId", "x", true}, {"userName", "a", false}}, false},
		{`userName eq "a" or userName eq "b"`, nil, false},
		{`not (userName eq "a")`, nil, false},
		{`userName ne "a"`, nil, false},
		{`emails[type eq "work"]`, nil, false},
		{`emails[type eq "work" or value eq "a"]`, nil, false},
		{`emails[type ne "work" and value eq "a"]`, nil, false},
		{`userName eq null`, nil, false},
	} {
		f, err := ParseUserFilter(c.filter)
		require.NoError(t, err)
		eqs, only := f.Equalities()
		assert.Equal(t, c.want, eqs, c.filter)
		assert.Equal(t, c.only, only, c.filter)
	}

	f, err := ParseGroupFilter(`id eq "g" and members eq "u"`)
	require.NoError(t, err)
	eqs, only := f.Equalities()
	assert.Equal(t, []Equality{{"id", "g", true}, {"members.value", "u", false}}, eqs)
	assert.True(t, only)

	var none *Filter
	eqs, only = none.Equalities()
	assert.Empty(t, eqs)
	assert.True(t, only, "no filter selects everything")
}
