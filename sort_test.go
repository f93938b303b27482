package scim

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSortBy(t *testing.T) {
	const ent = EnterpriseUserSchema + ":"
	for in, want := range map[string]string{
		"userName":           "userName",
		" USERNAME ":         "userName",
		"name.FamilyName":    "name.familyName",
		"meta.lastmodified":  "meta.lastModified",
		"META.CREATED":       "meta.created",
		"id":                 "id",
		"active":             "active",
		"emails":             "emails.value",
		"emails.Type":        "emails.type",
		"addresses.locality": "addresses.locality",
		"urn:ietf:params:scim:schemas:core:2.0:User:userName":                       "userName",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER": ent + "employeeNumber",
		ent + "manager":             ent + "manager.value",
		ent + "manager.displayName": ent + "manager.displayName",
		filterAcmeURN + ":level":    filterAcmeURN + ":level",
		filterAcmeURN + ":badges":   filterAcmeURN + ":badges.value",
	} {
		got, err := filterUserType.parseSortBy(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "nope", "name", "addresses", "meta", "password", "name.nope", "userName.x",
		"urn:x:y:z", filterAcmeURN + ":secret", "emails[type eq \"work\"].value", "a.b.c"} {
		_, err := filterUserType.parseSortBy(in)
		var se *Error
		require.True(t, errors.As(err, &se), "%q: %v", in, err)
		assert.Equal(t, 400, se.Status, in)
		assert.Equal(t, ScimTypeInvalidValue, se.ScimType, in)
		assert.NotEmpty(t, se.Detail, in)
	}
	got, err := newResourceType("Group", nil).parseSortBy("members")
	require.NoError(t, err)
	assert.Equal(t, "members.value", got)
}

func userIDs(us []*User) []string {
	ids := []string{}
	for _, u := range us {
		if u == nil {
			ids = append(ids, "<nil>")
			continue
		}
		ids = append(ids, u.ID)
	}
	return ids
}

func TestSortDefault(t *testing.T) {
	const ent = EnterpriseUserSchema + ":"
	tests := []struct {
		by        string
		asc, desc []string
	}{
		// userName is not caseExact: Alice < bob < Carol < Dave.
		{"userName", []string{"a1", "b2", "c3", "d4"}, []string{"d4", "c3", "b2", "a1"}},
		// externalId is caseExact; users without it come last both ways.
		{"externalId", []string{"d4", "a1", "b2", "c3"}, []string{"a1", "d4", "b2", "c3"}},
		{"meta.created", []string{"b2", "a1", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
		{"active", []string{"b2", "a1", "d4", "c3"}, []string{"a1", "d4", "b2", "c3"}},
		{"name.familyName", []string{"b2", "a1", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
		{"emails.value", []string{"a1", "b2", "c3", "d4"}, []string{"b2", "a1", "c3", "d4"}},
		{ent + "employeeNumber", []string{"a1", "d4", "b2", "c3"}, []string{"d4", "a1", "b2", "c3"}},
		{"title", []string{"a1", "b2", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
		// Extensions the default schemas do not know sort by value type.
		{filterAcmeURN + ":level", []string{"b2", "a1", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
		{filterAcmeURN + ":costCenter", []string{"a1", "b2", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
		// An unknown path keeps the order.
		{"nope", []string{"a1", "b2", "c3", "d4"}, []string{"a1", "b2", "c3", "d4"}},
	}
	for _, tt := range tests {
		t.Run(tt.by, func(t *testing.T) {
			us := filterTestUsers()
			sortDefault(us, tt.by, false)
			assert.Equal(t, tt.asc, userIDs(us), "ascending")
			us = filterTestUsers()
			sortDefault(us, tt.by, true)
			assert.Equal(t, tt.desc, userIDs(us), "descending")
		})
	}
}

func TestSortDefaultDetails(t *testing.T) {
	// The primary item, not the first, gives a multi-valued sort key.
	us := []*User{
		{ID: "x", Emails: []MultiValue{{Value: "a@x"}, {Value: "z@x", Primary: true}}},
		{ID: "y", Emails: []MultiValue{{Value: "m@y"}}},
	}
	sortDefault(us, "emails.value", false)
	assert.Equal(t, []string{"y", "x"}, userIDs(us))

	// Stable: ties keep their input order; nil resources come last.
	us = []*User{{ID: "1", UserName: "SAME"}, nil, {ID: "2", UserName: "same"}, {ID: "3", UserName: "Same"}}
	sortDefault(us, "userName", true)
	assert.Equal(t, []string{"1", "2", "3", "<nil>"}, userIDs(us))

	// Strings that differ only in case (also beyond ASCII) are ties;
	// otherwise folded code points order them (no locale collation).
	us = []*User{{ID: "b", UserName: "Émile"}, {ID: "a", UserName: "émilE"}, {ID: "c", UserName: "zed"}, {ID: "d", UserName: "Zara"}}
	sortDefault(us, "userName", false)
	assert.Equal(t, []string{"d", "c", "b", "a"}, userIDs(us))

	// Groups sort too.
	gs := filterTestGroups()
	sortDefault(gs, "displayName", true)
	assert.Equal(t, "g2", gs[0].ID)
}
