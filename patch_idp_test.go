package scim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request bodies below are the documented ones (see
// shared/docs/idp-behaviour.md §3, §5, §6): Entra ID with and without the
// aadOptscim062020 flag, and Okta.

func TestPatchEntraDisableStringBoolean(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	changed := patchOK(t, rt, doc, patchBody(`{"op":"Replace","path":"active","value":"False"}`), false)
	assert.True(t, changed)
	assert.Equal(t, false, doc["active"])

	// Re-enabling with "True", in another case.
	patchOK(t, rt, doc, patchBody(`{"op":"Replace","path":"active","value":"true"}`), false)
	assert.Equal(t, true, doc["active"])

	// With the flag Entra sends a real boolean and a lowercase op.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"active","value":false}`), false)
	assert.Equal(t, false, doc["active"])
}

func TestPatchStrictBooleansRejectStrings(t *testing.T) {
	rt := newResourceType("User", nil)
	rt.strictBooleans = true
	patchFail(t, rt, testUser(), patchBody(`{"op":"Replace","path":"active","value":"False"}`), ScimTypeInvalidValue)
}

func TestPatchEntraAddNickName(t *testing.T) {
	rt := newResourceType("User", nil)
	for _, body := range []string{
		patchBody(`{"op":"Add","path":"nickName","value":"Babs"}`),
		patchBody(`{"op":"add","path":"nickName","value":"Babs"}`),
	} {
		doc := testUser()
		assert.True(t, patchOK(t, rt, doc, body, false))
		assert.Equal(t, "Babs", doc["nickName"])
	}
}

func TestPatchEntraReplaceWorkEmailCreatesIt(t *testing.T) {
	rt := newResourceType("User", nil)
	body := patchBody(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@work.example.com"}`)

	doc := testUser()
	assert.True(t, patchOK(t, rt, doc, body, false))
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "home", "primary": true},
		map[string]any{"type": "work", "value": "babs@work.example.com"},
	}, doc["emails"])

	// Now that it exists, the same request replaces only its value.
	assert.False(t, patchOK(t, rt, doc, body, false), "same value again is a no-op")
	patchOK(t, rt, doc, patchBody(`{"op":"Replace","path":"emails[Type eq \"work\"].Value","value":"new@work.example.com"}`), false)
	assert.Equal(t, map[string]any{"type": "work", "value": "new@work.example.com"}, doc["emails"].([]any)[1])
	assert.Len(t, doc["emails"], 2)

	// A user without any email gets the list created.
	doc = testUser()
	delete(doc, "emails")
	patchOK(t, rt, doc, body, false)
	assert.Equal(t, []any{map[string]any{"type": "work", "value": "babs@work.example.com"}}, doc["emails"])
}

func TestPatchStrictReplaceWithoutMatchIsNoTarget(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	before := deepCopyValue(doc)
	req, err := parsePatch([]byte(patchBody(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"x@example.com"}`)))
	require.NoError(t, err)
	_, err = rt.applyPatch(doc, req, true)
	requireSCIMError(t, err, ScimTypeNoTarget)
	assert.Equal(t, before, any(doc))

	// add creates the item even when strict.
	req, err = parsePatch([]byte(patchBody(`{"op":"add","path":"emails[type eq \"work\"].value","value":"x@example.com"}`)))
	require.NoError(t, err)
	changed, err := rt.applyPatch(doc, req, true)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Len(t, doc["emails"], 2)
}

func TestPatchEntraPathlessReplaceDottedAndURNKeys(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	body := patchBody(
		`{"op":"replace","path":"emails[type eq \"work\"].value","value":"Bjfe@example.com"}`,
		`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",`+
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq",`+
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"boss-id"}}`)
	assert.True(t, patchOK(t, rt, doc, body, false))
	assert.Equal(t, "Bjfe", doc["displayName"])
	assert.Equal(t, map[string]any{"givenName": "Kkom", "familyName": "Unua"}, doc["name"])
	assert.Equal(t, map[string]any{
		"employeeNumber": "Aklq",
		"department":     "Tour Operations",
		"manager":        map[string]any{"value": "boss-id"},
	}, doc[enterpriseURN])
	assert.NotContains(t, doc, "name.givenName", "dotted keys are paths, not attribute names")
}

func TestPatchManagerPaths(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}`), false)
	assert.Equal(t, map[string]any{"value": "m1"}, doc[enterpriseURN].(map[string]any)["manager"])

	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m2"}`), false)
	assert.Equal(t, map[string]any{"value": "m2"}, doc[enterpriseURN].(map[string]any)["manager"])

	// Object form, with the read-only displayName dropped.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m3","displayName":"Boss"}}`), false)
	assert.Equal(t, map[string]any{"value": "m3"}, doc[enterpriseURN].(map[string]any)["manager"])

	patchOK(t, rt, doc, patchBody(`{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`), false)
	assert.NotContains(t, doc[enterpriseURN], "manager")
}

func TestPatchPathlessNestedExtensionObject(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	body := patchBody(`{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":` +
		`{"Department":"Sales","manager":{"value":"boss"},"costCenter":"4130"},"title":"Manager"}}`)
	patchOK(t, rt, doc, body, false)
	assert.Equal(t, "Manager", doc["title"])
	assert.Equal(t, map[string]any{
		"employeeNumber": "701984",
		"department":     "Sales",
		"costCenter":     "4130",
		"manager":        map[string]any{"value": "boss"},
	}, doc[enterpriseURN])

	// A path naming the extension itself takes the same object.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"division":"EMEA"}}`), false)
	assert.Equal(t, "EMEA", doc[enterpriseURN].(map[string]any)["division"])
	assert.Equal(t, "Sales", doc[enterpriseURN].(map[string]any)["department"])

	// And removing it removes the whole extension.
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`), false)
	assert.NotContains(t, doc, enterpriseURN)
}

func TestPatchCorePathWithURNPrefix(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName","value":"Smith"}`), false)
	assert.Equal(t, "Smith", doc["name"].(map[string]any)["familyName"])
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"NAME.GIVENNAME","value":"Barb"}`), false)
	assert.Equal(t, map[string]any{"givenName": "Barb", "familyName": "Smith"}, doc["name"])
	// A path-less value nesting core attributes under the core URN.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User":{"title":"Boss"}}}`), false)
	assert.Equal(t, "Boss", doc["title"])
}

func TestPatchEntraGroupMembers(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	// G5: several members per op, several ops per request, "$ref": null.
	patchOK(t, rt, doc, patchBody(
		`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"},{"$ref":null,"value":"u4"}]}`,
		`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u5"}]}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "u1", "display": "Babs Jensen"},
		map[string]any{"value": "u2"},
		map[string]any{"value": "u3"},
		map[string]any{"value": "u4"},
		map[string]any{"value": "u5"},
	}, doc["members"])

	// G6: remove with path "members" and a value list removes only those.
	patchOK(t, rt, doc, patchBody(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"},{"value":"u4"}]}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "u2"},
		map[string]any{"value": "u3"},
		map[string]any{"value": "u5"},
	}, doc["members"])

	// With the flag: remove through a filter.
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members[value eq \"u3\"]"}`), false)
	assert.Equal(t, []any{map[string]any{"value": "u2"}, map[string]any{"value": "u5"}}, doc["members"])

	// G4: rename.
	patchOK(t, rt, doc, patchBody(`{"op":"Replace","path":"displayName","value":"Guides"}`), false)
	assert.Equal(t, "Guides", doc["displayName"])
}

func TestPatchMemberNoOps(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	before := deepCopyValue(doc)
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"add","path":"members","value":[{"value":"u1"}]}`), false),
		"adding a present member changes nothing")
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members[value eq \"nobody\"]"}`), false),
		"removing an absent member changes nothing")
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"Remove","path":"members","value":[{"value":"nobody"}]}`), false))
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"add","path":"members","value":[]}`), false),
		"adding an empty list changes nothing")
	assert.Equal(t, before, any(doc))
}

func TestPatchOktaPathlessReplaceIgnoresReadOnly(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	changed := patchOK(t, rt, doc, patchBody(`{"op":"replace","value":{"id":"g1","displayName":"Renamed",`+
		`"meta":{"resourceType":"Group"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}}`), false)
	assert.True(t, changed)
	assert.Equal(t, "Renamed", doc["displayName"])
	assert.Equal(t, "g1", doc["id"])
	assert.NotContains(t, doc, "meta")

	// Okta (OIN) deactivation of a user; "groups" inside is ignored too.
	rt = newResourceType("User", nil)
	doc = testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","value":{"active":false,"id":"other","groups":[{"value":"g1"}]}}`), false)
	assert.Equal(t, false, doc["active"])
	assert.Equal(t, "u1", doc["id"])
	assert.NotContains(t, doc, "groups")
}

func TestPatchOktaMembersReplace(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"members","value":[{"value":"u2","display":"Two"},{"value":"u9","display":"Nine"},{"value":"u9"}]}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "u2", "display": "Two"},
		map[string]any{"value": "u9", "display": "Nine"},
	}, doc["members"], "replace swaps the whole list, dropping duplicates")

	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"members","value":[]}`), false)
	assert.NotContains(t, doc, "members", "an empty list unassigns")
}

func TestPatchOktaMixedRemoveAndAdd(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(
		`{"op":"remove","path":"members[value eq \"u1\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"u7","display":"Seven"}]}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "u2"},
		map[string]any{"value": "u7", "display": "Seven"},
	}, doc["members"])
}

func TestPatchMicrosoftReferenceExtraKeysAndRemoveAll(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	// SCIMReferenceCode's Postman collection adds "name":"addMember".
	patchOK(t, rt, doc, patchBody(`{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new user","value":"u8"}]}`), false)
	assert.Len(t, doc["members"], 3)
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members"}`), false)
	assert.NotContains(t, doc, "members")
}

func TestPatchValidatorSubAttributeShapes(t *testing.T) {
	// Microsoft's SCIM Validator adds through filters and replaces
	// sub-attributes of the created items.
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(
		`{"op":"add","path":"emails[type eq \"other\"].value","value":"other@example.com"}`,
		`{"op":"replace","path":"emails[type eq \"other\"].display","value":"Other"}`,
		`{"op":"replace","path":"emails[type eq \"other\"].primary","value":true}`,
		`{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-0100"}`,
		`{"op":"add","path":"addresses[type eq \"work\"].postalCode","value":"91608"}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "home"},
		map[string]any{"type": "other", "value": "other@example.com", "display": "Other", "primary": true},
	}, doc["emails"], "making one email primary clears the other")
	assert.Equal(t, []any{map[string]any{"type": "mobile", "value": "555-0100"}}, doc["phoneNumbers"])
	assert.Equal(t, []any{
		map[string]any{"type": "home", "streetAddress": "1 Home St", "locality": "Hollywood"},
		map[string]any{"type": "work", "postalCode": "91608"},
	}, doc["addresses"])
}

func TestPatchCoreSchemaURNAsPath(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User","value":{"title":"CEO","id":"nope"}}`), false)
	assert.Equal(t, "CEO", doc["title"])
	assert.Equal(t, "u1", doc["id"])
	patchFail(t, rt, doc, patchBody(`{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User"}`), ScimTypeInvalidPath)
}
