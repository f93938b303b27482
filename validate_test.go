package scim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeObject([]byte(s))
	require.NoError(t, err)
	return m
}

func requireScimErr(t *testing.T, err error, status int, scimType string) {
	t.Helper()
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, status, se.Status)
	assert.Equal(t, scimType, se.ScimType)
}

var acmeSchema = &Schema{
	ID:   "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
	Name: "AcmeUser",
	Attributes: []*Attribute{
		{Name: "costCenter"},
		{Name: "level", Type: TypeInteger},
		{Name: "remote", Type: TypeBoolean},
		{Name: "badge", Type: TypeComplex, SubAttributes: []*Attribute{{Name: "id"}, {Name: "issued", Type: TypeDateTime}}},
	},
}

func TestNormalizeEntraCreateUser(t *testing.T) {
	rt := newResourceType("User", []*Schema{acmeSchema})
	raw := decode(t, `{
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","UserName":"Test_User_ab6490ee","active":"True",
		"emails":[{"Primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
		"meta":{"resourceType":"User"},"id":"client-id","groups":[{"value":"g"}],
		"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"roles":[],"addresses":null,"phoneNumbers":null,"title":null,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"Sales","manager":"boss-id"},
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"costCenter":"CC-7","level":3,"remote":false,"badge":{"id":"b1"}},
		"unknownThing":"x"}`)
	require.NoError(t, rt.checkSchemas(raw))
	doc, err := rt.normalizeDoc(raw)
	require.NoError(t, err)
	u := userFromDoc(doc)
	assert.Equal(t, "Test_User_ab6490ee", u.UserName)
	assert.Equal(t, "", u.ID, "id from the client is read-only")
	assert.Nil(t, u.Groups, "groups is read-only")
	require.NotNil(t, u.Active)
	assert.True(t, *u.Active)
	require.Len(t, u.Emails, 1)
	assert.True(t, u.Emails[0].Primary)
	assert.Equal(t, "familyName", u.Name.FamilyName)
	assert.Nil(t, u.Roles)
	require.NotNil(t, u.Enterprise)
	assert.Equal(t, "42", u.Enterprise.EmployeeNumber)
	assert.Equal(t, "Sales", u.Enterprise.Department)
	assert.Equal(t, "boss-id", u.Enterprise.Manager.Value)
	acme := u.Extensions[acmeSchema.ID]
	assert.Equal(t, "CC-7", acme["costCenter"])
	assert.Equal(t, json.Number("3"), acme["level"])
	assert.Equal(t, false, acme["remote"])
	assert.Equal(t, map[string]any{"id": "b1"}, acme["badge"])

	// The document of the typed user normalizes to the same document.
	again, err := rt.normalizeDoc(userToDoc(u))
	require.NoError(t, err)
	assert.Equal(t, doc, again)
}

func TestNormalizeErrors(t *testing.T) {
	rt := newResourceType("User", []*Schema{acmeSchema})
	cases := map[string]string{
		"missing userName":     `{"displayName":"x"}`,
		"userName not string":  `{"userName":5}`,
		"active not boolean":   `{"userName":"a","active":"yes"}`,
		"emails not objects":   `{"userName":"a","emails":[5]}`,
		"name is array":        `{"userName":"a","name":[{"givenName":"x"}]}`,
		"integer with dot":     `{"userName":"a","urn:ietf:params:scim:schemas:extension:acme:2.0:User:level":1.5}`,
		"bad dateTime":         `{"userName":"a","urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"badge":{"issued":"yesterday"}}}`,
		"bad certificate":      `{"userName":"a","x509Certificates":[{"value":"%%%"}]}`,
		"extension not object": `{"userName":"a","urn:ietf:params:scim:schemas:extension:acme:2.0:User":"x"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := rt.normalizeDoc(decode(t, body))
			requireScimErr(t, err, 400, ScimTypeInvalidValue)
		})
	}
}

func TestNormalizeStrictOptions(t *testing.T) {
	rt := newResourceType("User", nil)
	rt.strictAttributes = true
	_, err := rt.normalizeDoc(decode(t, `{"userName":"a","favouriteColour":"blue"}`))
	requireScimErr(t, err, 400, ScimTypeInvalidValue)

	rt = newResourceType("User", nil)
	rt.strictBooleans = true
	_, err = rt.normalizeDoc(decode(t, `{"userName":"a","active":"False"}`))
	requireScimErr(t, err, 400, ScimTypeInvalidValue)

	rt.strictBooleans = false
	doc, err := rt.normalizeDoc(decode(t, `{"userName":"a","active":"fAlSe"}`))
	require.NoError(t, err)
	assert.Equal(t, false, doc["active"])
}

func TestCheckSchemas(t *testing.T) {
	rt := newResourceType("Group", nil)
	require.NoError(t, rt.checkSchemas(decode(t, `{"schemas":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}`)))
	for _, body := range []string{`{}`, `{"schemas":"x"}`, `{"schemas":[5]}`, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, `{"schemas":null}`} {
		requireScimErr(t, rt.checkSchemas(decode(t, body)), 400, ScimTypeInvalidSyntax)
	}
}

func TestDottedKeysMergeWithObject(t *testing.T) {
	rt := newResourceType("User", nil)
	doc, err := rt.normalizeDoc(decode(t, `{"userName":"a","name.givenName":"Barbara","name":{"familyName":"Jensen"}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"givenName": "Barbara", "familyName": "Jensen"}, doc["name"])
}

func TestEntraManagerForms(t *testing.T) {
	rt := newResourceType("User", nil)
	for _, body := range []string{
		`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m1"}}`,
		`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":null,"value":"m1"}]}}`,
		`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"}}}`,
		`{"userName":"a","manager":{"value":"m1"}}`,
	} {
		doc, err := rt.normalizeDoc(decode(t, body))
		require.NoError(t, err, body)
		u := userFromDoc(doc)
		require.NotNil(t, u.Enterprise, body)
		assert.Equal(t, "m1", u.Enterprise.Manager.Value, body)
	}
	_, err := rt.normalizeDoc(decode(t, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"m1"},{"value":"m2"}]}}`))
	requireScimErr(t, err, 400, ScimTypeInvalidValue)
}
