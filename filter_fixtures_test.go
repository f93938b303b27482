package scim

import (
	"encoding/json"
	"time"
)

const filterAcmeURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"

// filterAcmeSchema is a custom User extension with one attribute of each kind.
var filterAcmeSchema = &Schema{
	ID:   filterAcmeURN,
	Name: "Acme",
	Attributes: []*Attribute{
		{Name: "costCenter"},
		{Name: "level", Type: TypeInteger},
		{Name: "remote", Type: TypeBoolean},
		{Name: "score", Type: TypeDecimal},
		{Name: "hired", Type: TypeDateTime},
		{Name: "badgeId", CaseExact: true},
		{Name: "tags", MultiValued: true},
		{Name: "badges", Type: TypeComplex, MultiValued: true, SubAttributes: []*Attribute{
			{Name: "value"}, {Name: "kind"},
		}},
		{Name: "secret", Returned: ReturnedNever},
	},
}

var filterUserType = newResourceType("User", []*Schema{filterAcmeSchema})

func fptr[T any](v T) *T { return &v }

func filterTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// filterTestUsers returns fresh sample users a1 (complete), b2, c3 (sparse) and
// d4.
func filterTestUsers() []*User {
	return []*User{
		{
			ID: "a1", ExternalID: "ext-A", UserName: "Alice", DisplayName: "Alice Smith", Title: "Engineer",
			Name:   &Name{GivenName: "Alice", FamilyName: "Smith", Formatted: "Alice Smith"},
			Active: fptr(true),
			Emails: []MultiValue{
				{Value: "alice@example.com", Type: "work", Primary: true},
				{Value: "alice@home.org", Type: "home"},
			},
			PhoneNumbers: []MultiValue{{Value: "+1 555 0100", Type: "mobile"}},
			Addresses:    []Address{{Type: "work", Locality: "Berlin", Country: "DE", Primary: true}},
			Groups:       []MultiValue{{Value: "g1", Display: "Admins", Type: "direct"}},
			Roles:        []MultiValue{{Value: "admin", Type: "WindowsAzureActiveDirectoryRole", Primary: true}},
			Enterprise: &EnterpriseUser{EmployeeNumber: "1001", Department: "R&D",
				Manager: &Manager{Value: "m1", DisplayName: "Boss"}},
			Extensions: Extensions{filterAcmeURN: {
				"costCenter": "CC-9", "level": json.Number("5"), "remote": true, "score": json.Number("2.5"),
				"hired": "2019-03-01T09:00:00Z", "badgeId": "BX-1",
				"tags":   []any{"x", "y"},
				"badges": []any{map[string]any{"value": "gold", "kind": "award"}},
			}},
			Meta: Meta{ResourceType: "User", Version: `W/"3"`,
				Created: filterTime("2020-01-01T00:00:00Z"), LastModified: filterTime("2024-06-01T12:00:00Z")},
		},
		{
			ID: "b2", UserName: "bob", Active: fptr(false),
			Name:   &Name{FamilyName: "Jones"},
			Emails: []MultiValue{{Value: "bob@EXAMPLE.org", Type: "work"}},
			Extensions: Extensions{filterAcmeURN: {
				"level": json.Number("2"), "remote": false, "score": json.Number("1"), "tags": []any{"z"},
			}},
			Meta: Meta{Created: filterTime("2015-10-10T21:38:22Z"), LastModified: filterTime("2016-01-01T00:00:00Z")},
		},
		{
			ID: "c3", UserName: "Carol", DisplayName: `Q "the" \ one`,
		},
		{
			ID: "d4", ExternalID: "EXT-A", UserName: "Dave", DisplayName: "été", NickName: "\u212Aelvin", Active: fptr(true),
			Enterprise: &EnterpriseUser{EmployeeNumber: "1002"},
		},
	}
}

// filterTestGroups returns sample groups g1 (two members) and g2 (none).
func filterTestGroups() []*Group {
	return []*Group{
		{ID: "g1", DisplayName: "Admins", ExternalID: "x-1",
			Members: []MultiValue{{Value: "a1", Type: "User", Display: "Alice"}, {Value: "b2", Type: "User"}},
			Meta:    Meta{Created: filterTime("2021-01-01T00:00:00Z")}},
		{ID: "g2", DisplayName: "Sales"},
	}
}
