package scim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const enterpriseURN = EnterpriseUserSchema

// patchBody wraps operations (JSON objects) in a PatchOp request body.
func patchBody(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// testUser returns a canonical User document.
func testUser() map[string]any {
	return map[string]any{
		"id":         "u1",
		"externalId": "ext-1",
		"userName":   "bjensen@example.com",
		"name": map[string]any{
			"givenName":  "Barbara",
			"familyName": "Jensen",
		},
		"displayName": "Babs Jensen",
		"active":      true,
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "home", "primary": true},
		},
		"addresses": []any{
			map[string]any{"type": "home", "streetAddress": "1 Home St", "locality": "Hollywood"},
		},
		enterpriseURN: map[string]any{
			"employeeNumber": "701984",
			"department":     "Tour Operations",
		},
	}
}

// testGroup returns a canonical Group document with two members.
func testGroup() map[string]any {
	return map[string]any{
		"id":          "g1",
		"displayName": "Tour Guides",
		"members": []any{
			map[string]any{"value": "u1", "display": "Babs Jensen"},
			map[string]any{"value": "u2"},
		},
	}
}

// patchOK parses body, applies it to doc and requires success; the result
// must still be a valid canonical document.
func patchOK(t *testing.T, rt *resourceType, doc map[string]any, body string, strict bool) bool {
	t.Helper()
	req, err := parsePatch([]byte(body))
	require.NoError(t, err)
	changed, err := rt.applyPatch(doc, req, strict)
	require.NoError(t, err)
	requireCanonical(t, rt, doc)
	return changed
}

// patchFail parses body and applies it to doc, requires a 400 *Error with
// the given scimType, and requires doc to be unchanged.
func patchFail(t *testing.T, rt *resourceType, doc map[string]any, body, scimType string) *Error {
	t.Helper()
	before := deepCopyValue(doc)
	req, err := parsePatch([]byte(body))
	if err == nil {
		_, err = rt.applyPatch(doc, req, false)
	}
	se := requireSCIMError(t, err, scimType)
	require.Equal(t, before, any(doc), "a failed PATCH must leave the document unchanged")
	return se
}

func requireSCIMError(t *testing.T, err error, scimType string) *Error {
	t.Helper()
	require.Error(t, err)
	var se *Error
	require.True(t, errors.As(err, &se), "want *Error, got %T: %v", err, err)
	require.Equal(t, 400, se.Status, se.Error())
	require.Equal(t, scimType, se.ScimType, se.Error())
	require.NotEmpty(t, se.Detail)
	return se
}

// requireCanonical requires doc to be what normalizeDoc makes of it (apart
// from the read-only id it drops): canonical names, types and nesting.
func requireCanonical(t *testing.T, rt *resourceType, doc map[string]any) {
	t.Helper()
	norm, err := rt.normalizeDoc(deepCopyValue(doc).(map[string]any))
	require.NoError(t, err, "result must be schema-valid")
	want := deepCopyValue(doc).(map[string]any)
	delete(want, "id")
	require.Equal(t, want, norm, "result must be in canonical document form")
}

// jsonDoc decodes a JSON object with json.Number numbers, for expected
// documents.
func jsonDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}
