package scim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePatchAcceptsAnyCase(t *testing.T) {
	req, err := parsePatch([]byte(`{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[` +
		`{"OP":"ADD","PATH":" nickName ","VALUE":"x","name":"extra"},{"op":"Replace","value":{"a":1}},{"op":"remove","path":"emails[type eq \"work\"]"}]}`))
	require.NoError(t, err)
	require.Len(t, req.ops, 3)
	assert.Equal(t, opAdd, req.ops[0].op)
	assert.Equal(t, "nickName", req.ops[0].path)
	assert.Equal(t, "x", req.ops[0].value)
	assert.Equal(t, opReplace, req.ops[1].op)
	assert.Equal(t, map[string]any{"a": json.Number("1")}, req.ops[1].value, "numbers stay json.Number")
	assert.Equal(t, opRemove, req.ops[2].op)
	assert.False(t, req.ops[2].hasValue)
	require.NotNil(t, req.ops[2].parsed)
	assert.Equal(t, "emails", req.ops[2].parsed.AttributePath.AttributeName)
}

func TestParsePatchInvalidSyntax(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":           `{"schemas":`,
		"empty":              ``,
		"array":              `[]`,
		"trailing data":      patchBody(`{"op":"add","path":"title","value":"x"}`) + `{}`,
		"no schemas":         `{"Operations":[{"op":"add","path":"title","value":"x"}]}`,
		"wrong schema":       `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"add","path":"title","value":"x"}]}`,
		"schemas not list":   `{"schemas":{"a":1},"Operations":[{"op":"add","path":"title","value":"x"}]}`,
		"no Operations":      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
		"empty Operations":   patchBody(),
		"Operations object":  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"add"}}`,
		"op not object":      patchBody(`"add"`),
		"unknown op":         patchBody(`{"op":"move","path":"title","value":"x"}`),
		"missing op":         patchBody(`{"path":"title","value":"x"}`),
		"op not string":      patchBody(`{"op":1,"path":"title","value":"x"}`),
		"path not string":    patchBody(`{"op":"add","path":5,"value":"x"}`),
		"add without value":  patchBody(`{"op":"add","path":"title"}`),
		"replace w/o value":  patchBody(`{"op":"replace","path":"title"}`),
		"second op is wrong": patchBody(`{"op":"add","path":"title","value":"x"}`, `{"op":"copy"}`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parsePatch([]byte(body))
			requireSCIMError(t, err, ScimTypeInvalidSyntax)
		})
	}
}

// rfcMembersJSON is the member list RFC 7644 §3.5.2.2 and §3.5.2.3 set,
// by removing all members and adding these, or by replacing them.
const rfcMembersJSON = `[{"display":"Babs Jensen","value":"u1"},{"display":"James Smith","value":"u9"}]`

// rfcMembers returns rfcMembersJSON as stored.
func rfcMembers() []any {
	return []any{
		map[string]any{"display": "Babs Jensen", "value": "u1"},
		map[string]any{"display": "James Smith", "value": "u9"},
	}
}

// RFC 7644 §3.5.2.1.
func TestPatchRFCAdd(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"members","value":[{"display":"Babs Jensen",`+
		`"$ref":"https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646","value":"2819c223-7f76-453a-919d-413861904646"}]}`), false)
	assert.Equal(t, map[string]any{"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
		"value": "2819c223-7f76-453a-919d-413861904646"}, doc["members"].([]any)[2])

	rt = newResourceType("User", nil)
	doc = testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"nickname":"Babs"}}`), false)
	assert.Equal(t, "Babs", doc["nickName"], "attribute names are case-insensitive")
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "home", "primary": true},
		map[string]any{"value": "babs@jensen.org", "type": "home"},
	}, doc["emails"])

	// Adding a value that is already there (compared by "value", and
	// case-insensitively as emails are not caseExact) changes nothing.
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"add","path":"emails","value":[{"value":"BABS@jensen.org"}]}`), false))

	// Add on a present single-valued attribute replaces it; on a complex
	// one merges sub-attributes.
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"userName","value":"babs"}`, `{"op":"add","path":"name","value":{"middleName":"Jane"}}`), false)
	assert.Equal(t, "babs", doc["userName"])
	assert.Equal(t, map[string]any{"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}, doc["name"])
}

// RFC 7644 §3.5.2.2.
func TestPatchRFCRemove(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members[value eq \"u2\"]"}`), false)
	assert.Equal(t, []any{map[string]any{"value": "u1", "display": "Babs Jensen"}}, doc["members"])

	doc = testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members"}`), false)
	assert.NotContains(t, doc, "members")

	// Remove all, then add: replaces the members.
	doc = testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"members"}`,
		`{"op":"add","path":"members","value":`+rfcMembersJSON+`}`), false)
	assert.Equal(t, rfcMembers(), doc["members"])

	rt = newResourceType("User", nil)
	doc = testUser()
	doc["emails"] = []any{
		map[string]any{"value": "a@example.com", "type": "work"},
		map[string]any{"value": "b@example.org", "type": "work"},
		map[string]any{"value": "c@example.com", "type": "home"},
	}
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "b@example.org", "type": "work"},
		map[string]any{"value": "c@example.com", "type": "home"},
	}, doc["emails"])

	// A sub-attribute through a filter, and a single-valued attribute.
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"emails[type eq \"home\"].type"}`, `{"op":"remove","path":"displayName"}`,
		`{"op":"remove","path":"name.givenName"}`, `{"op":"remove","path":"title"}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "b@example.org", "type": "work"},
		map[string]any{"value": "c@example.com"},
	}, doc["emails"])
	assert.NotContains(t, doc, "displayName")
	assert.Equal(t, map[string]any{"familyName": "Jensen"}, doc["name"])

	// Removing the last sub-attribute unassigns the complex attribute.
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"name.familyName"}`), false)
	assert.NotContains(t, doc, "name")
}

// RFC 7644 §3.5.2.3.
func TestPatchRFCReplace(t *testing.T) {
	rt := newResourceType("Group", nil)
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"members","value":`+rfcMembersJSON+`}`), false)
	assert.Equal(t, rfcMembers(), doc["members"])

	rt = newResourceType("User", nil)
	doc = testUser()
	doc["addresses"] = []any{
		map[string]any{"type": "work", "streetAddress": "100 Old St", "region": "NY", "primary": true},
		map[string]any{"type": "home", "streetAddress": "1 Home St", "primary": true},
	}
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work",`+
		`"streetAddress":"911 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"US",`+
		`"formatted":"911 Universal City Plaza\nHollywood, CA 91608 US","primary":true}}`), false)
	assert.Equal(t, []any{
		map[string]any{"type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood", "region": "CA",
			"postalCode": "91608", "country": "US", "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US", "primary": true},
		map[string]any{"type": "home", "streetAddress": "1 Home St"},
	}, doc["addresses"], "the matching item is replaced, and primary moves to it")

	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}`), false)
	assert.Equal(t, "1010 Broadway Ave", doc["addresses"].([]any)[0].(map[string]any)["streetAddress"])
	assert.Equal(t, "CA", doc["addresses"].([]any)[0].(map[string]any)["region"])

	patchOK(t, rt, doc, patchBody(`{"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},`+
		`{"value":"babs@jensen.org","type":"home"}],"nickname":"Babs"}}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
		map[string]any{"value": "babs@jensen.org", "type": "home"},
	}, doc["emails"], "replace swaps the whole list")
	assert.Equal(t, "Babs", doc["nickName"])

	// Replace on a complex attribute leaves the sub-attributes not given.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"name","value":{"givenName":"Babs"}}`), false)
	assert.Equal(t, map[string]any{"givenName": "Babs", "familyName": "Jensen"}, doc["name"])
	// Replace with null unassigns.
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"name","value":null}`, `{"op":"replace","path":"nickName","value":null}`), false)
	assert.NotContains(t, doc, "name")
	assert.NotContains(t, doc, "nickName")
}

func TestPatchPrimaryMovesToNewItem(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"emails","value":[{"value":"w@example.com","type":"work","primary":"True"}]}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "home"},
		map[string]any{"value": "w@example.com", "type": "work", "primary": true},
	}, doc["emails"])

	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "bjensen@example.com", "type": "home", "primary": true},
		map[string]any{"value": "w@example.com", "type": "work"},
	}, doc["emails"])

	// A value with two primaries is refused (RFC 7643 §2.4), not guessed at.
	patchFail(t, rt, doc, patchBody(`{"op":"replace","path":"emails","value":[{"value":"a@x.org","primary":true},{"value":"b@x.org","primary":true}]}`), ScimTypeInvalidValue)
	patchFail(t, rt, doc, patchBody(`{"op":"add","path":"emails","value":[{"value":"a@x.org","primary":"True"},{"value":"b@x.org","primary":true}]}`), ScimTypeInvalidValue)
}

func TestPatchSubAttributeOfEveryItem(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	doc["emails"] = []any{map[string]any{"value": "a@x.org"}, map[string]any{"value": "b@x.org", "type": "home"}}
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"emails.type","value":"other"}`), false)
	assert.Equal(t, []any{map[string]any{"value": "a@x.org", "type": "other"}, map[string]any{"value": "b@x.org", "type": "other"}}, doc["emails"])
	patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"emails.type"}`), false)
	assert.Equal(t, []any{map[string]any{"value": "a@x.org"}, map[string]any{"value": "b@x.org"}}, doc["emails"])
}

func TestPatchValueFilters(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	doc["emails"] = []any{
		map[string]any{"value": "a@Example.com", "type": "work"},
		map[string]any{"value": "b@example.org", "type": "home", "primary": true},
		map[string]any{"value": "c@example.net"},
	}
	patchOK(t, rt, doc, patchBody(
		`{"op":"add","path":"emails[value co \"EXAMPLE.COM\"].display","value":"A"}`,
		`{"op":"add","path":"emails[not (type pr)].display","value":"C"}`,
		`{"op":"add","path":"emails[primary eq true].display","value":"B"}`,
		`{"op":"add","path":"emails[type eq \"work\" or type eq \"home\"].type","value":"other"}`), false)
	assert.Equal(t, []any{
		map[string]any{"value": "a@Example.com", "type": "other", "display": "A"},
		map[string]any{"value": "b@example.org", "type": "other", "primary": true, "display": "B"},
		map[string]any{"value": "c@example.net", "display": "C"},
	}, doc["emails"])

	// Escapes in filter strings are decoded, for matching and creating.
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"ims[type eq \"a\\\"b\"].value","value":"me"}`), false)
	assert.Equal(t, []any{map[string]any{"type": `a"b`, "value": "me"}}, doc["ims"])

	// Creating from an "and" of equalities.
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"phoneNumbers[type eq \"work\" and display eq \"Desk\"].value","value":"555"}`), false)
	assert.Equal(t, []any{map[string]any{"type": "work", "display": "Desk", "value": "555"}}, doc["phoneNumbers"])

	// add with a whole item through a filter merges into matches.
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"phoneNumbers[type eq \"work\"]","value":{"primary":true}}`), false)
	assert.Equal(t, []any{map[string]any{"type": "work", "display": "Desk", "value": "555", "primary": true}}, doc["phoneNumbers"])
}

func TestPatchMemberImmutableSubAttributes(t *testing.T) {
	rt := newResourceType("Group", nil)
	// Setting an immutable sub-attribute that has no value yet is allowed.
	doc := testGroup()
	patchOK(t, rt, doc, patchBody(`{"op":"add","path":"members[value eq \"u2\"].display","value":"Two"}`), false)
	assert.Equal(t, map[string]any{"value": "u2", "display": "Two"}, doc["members"].([]any)[1])
	// Setting it to the value it has is a no-op.
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"members[value eq \"u2\"].display","value":"Two"}`), false))

	for name, op := range map[string]string{
		"change value":       `{"op":"replace","path":"members[value eq \"u1\"].value","value":"u5"}`,
		"change display":     `{"op":"replace","path":"members[value eq \"u1\"].display","value":"Other"}`,
		"remove display":     `{"op":"remove","path":"members[value eq \"u1\"].display"}`,
		"replace whole item": `{"op":"replace","path":"members[value eq \"u1\"]","value":{"value":"u6"}}`,
		"merge into item":    `{"op":"add","path":"members[value eq \"u1\"]","value":{"display":"New"}}`,
		"every item":         `{"op":"replace","path":"members.value","value":"u7"}`,
	} {
		t.Run(name, func(t *testing.T) {
			patchFail(t, rt, testGroup(), patchBody(op), ScimTypeMutability)
		})
	}
}

// patchExtSchema is an extension with an immutable, a required, an integer and
// a multi-valued string attribute.
var patchExtSchema = &Schema{
	ID: "urn:ietf:params:scim:schemas:extension:patchtest:2.0:User",
	Attributes: []*Attribute{
		{Name: "badge", Mutability: MutabilityImmutable},
		{Name: "site", Required: true},
		{Name: "level", Type: TypeInteger},
		{Name: "tags", MultiValued: true},
	},
}

func TestPatchCustomExtension(t *testing.T) {
	rt := newResourceType("User", []*Schema{patchExtSchema})
	doc := testUser()
	doc[patchExtSchema.ID] = map[string]any{"site": "HQ"}
	patchOK(t, rt, doc, patchBody(
		`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge","value":"B-1"}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:level","value":3}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:tags","value":["x","y"]}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:tags","value":"x"}`,
		`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:tags","value":["y"]}`), false)
	assert.Equal(t, map[string]any{"site": "HQ", "badge": "B-1", "level": json.Number("3"), "tags": []any{"x"}}, doc[patchExtSchema.ID])

	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge","value":"B-1"}`), false),
		"an immutable attribute may be set to the value it has")
	patchFail(t, rt, doc, patchBody(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge","value":"B-2"}`), ScimTypeMutability)
	patchFail(t, rt, doc, patchBody(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge"}`), ScimTypeMutability)
	patchFail(t, rt, doc, patchBody(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge":"B-3"}}`), ScimTypeMutability)
	patchFail(t, rt, doc, patchBody(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:site"}`), ScimTypeMutability)
	patchFail(t, rt, doc, patchBody(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:level","value":"three"}`), ScimTypeInvalidValue)
}

func TestPatchErrors(t *testing.T) {
	user := newResourceType("User", nil)
	group := newResourceType("Group", nil)
	strictUser := newResourceType("User", nil)
	strictUser.strictAttributes = true
	cases := []struct {
		name     string
		rt       *resourceType
		op       string
		scimType string
	}{
		{"unknown attribute", user, `{"op":"add","path":"favouriteColour","value":"red"}`, ScimTypeInvalidPath},
		{"unknown sub-attribute", user, `{"op":"add","path":"name.nickname","value":"x"}`, ScimTypeInvalidPath},
		{"three-part path", user, `{"op":"add","path":"name.givenName.x","value":"x"}`, ScimTypeInvalidPath},
		{"unbalanced bracket", user, `{"op":"add","path":"emails[type eq \"work\"","value":"x"}`, ScimTypeInvalidPath},
		{"garbage after filter", user, `{"op":"add","path":"emails[type eq \"work\"].value.x","value":"x"}`, ScimTypeInvalidPath},
		{"filter on single-valued", user, `{"op":"add","path":"name[givenName eq \"x\"].familyName","value":"x"}`, ScimTypeInvalidPath},
		{"filter on unknown sub", user, `{"op":"add","path":"emails[colour eq \"x\"].value","value":"x"}`, ScimTypeInvalidPath},
		{"unknown extension", user, `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:patchtest:2.0:User:badge","value":"x"}`, ScimTypeInvalidPath},
		{"groups on Group", group, `{"op":"add","path":"groups","value":"x"}`, ScimTypeInvalidPath},
		{"unknown member sub", group, `{"op":"add","path":"members[value eq \"u1\"].colour","value":"x"}`, ScimTypeInvalidPath},
		{"remove without path", user, `{"op":"remove"}`, ScimTypeNoTarget},
		{"Remove without path", group, `{"op":"Remove","value":{"members":[{"value":"u1"}]}}`, ScimTypeNoTarget},
		{"non-equality filter", user, `{"op":"add","path":"emails[type co \"wor\"].value","value":"x@y.org"}`, ScimTypeNoTarget},
		{"or filter", user, `{"op":"replace","path":"emails[type eq \"work\" or type eq \"other\"].value","value":"x@y.org"}`, ScimTypeNoTarget},
		{"sub of every item, none", user, `{"op":"replace","path":"phoneNumbers.type","value":"work"}`, ScimTypeNoTarget},
		{"id", user, `{"op":"replace","path":"id","value":"x"}`, ScimTypeMutability},
		{"meta.created", user, `{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}`, ScimTypeMutability},
		{"meta", group, `{"op":"remove","path":"meta"}`, ScimTypeMutability},
		{"groups", user, `{"op":"add","path":"groups","value":[{"value":"g1"}]}`, ScimTypeMutability},
		{"manager.displayName", user, `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}`, ScimTypeMutability},
		{"remove userName", user, `{"op":"remove","path":"userName"}`, ScimTypeMutability},
		{"empty userName", user, `{"op":"replace","path":"userName","value":""}`, ScimTypeMutability},
		{"remove displayName", group, `{"op":"remove","path":"displayName"}`, ScimTypeMutability},
		{"path-less null userName", user, `{"op":"replace","value":{"userName":null}}`, ScimTypeMutability},
		{"string for boolean", user, `{"op":"replace","path":"active","value":"maybe"}`, ScimTypeInvalidValue},
		{"number for string", user, `{"op":"replace","path":"emails[type eq \"home\"].value","value":5}`, ScimTypeInvalidValue},
		{"array for single", user, `{"op":"replace","path":"name","value":[{"givenName":"x"}]}`, ScimTypeInvalidValue},
		{"not base64", user, `{"op":"add","path":"x509Certificates","value":[{"value":"***"}]}`, ScimTypeInvalidValue},
		{"path-less string", user, `{"op":"replace","value":"x"}`, ScimTypeInvalidValue},
		{"path-less bad value", user, `{"op":"add","value":{"active":"sometimes"}}`, ScimTypeInvalidValue},
		{"two items for one", user, `{"op":"replace","path":"emails[type eq \"home\"]","value":[{"value":"a@b.c"},{"value":"d@e.f"}]}`, ScimTypeInvalidValue},
		{"member value number", group, `{"op":"add","path":"members","value":[{"value":5}]}`, ScimTypeInvalidValue},
		{"strict unknown key", strictUser, `{"op":"replace","value":{"favouriteColour":"red"}}`, ScimTypeInvalidValue},
		{"strict unknown sub", strictUser, `{"op":"add","path":"name","value":{"nick":"x"}}`, ScimTypeInvalidValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := testUser()
			if c.rt == group {
				doc = testGroup()
			}
			patchFail(t, c.rt, doc, patchBody(c.op), c.scimType)
		})
	}
}

func TestPatchLenientUnknownKeysInPathlessValue(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	patchOK(t, rt, doc, patchBody(`{"op":"replace","value":{"favouriteColour":"red","urn:example:unknown:ext":{"a":"b"},`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize":"9","title":"CTO"}}`), false)
	assert.Equal(t, "CTO", doc["title"])
	assert.NotContains(t, doc, "favouriteColour")
	assert.NotContains(t, doc, "urn:example:unknown:ext")
}

func TestPatchIsAtomic(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	emails := doc["emails"].([]any)
	firstEmail := emails[0].(map[string]any)
	ext := doc[enterpriseURN].(map[string]any)
	// Every earlier operation succeeds and touches nested values; the
	// last fails, so none may take effect.
	se := patchFail(t, rt, doc, patchBody(
		`{"op":"replace","path":"emails[type eq \"home\"].value","value":"new@example.com"}`,
		`{"op":"add","path":"emails","value":[{"value":"w@example.com","primary":true}]}`,
		`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}`,
		`{"op":"replace","path":"name.givenName","value":"Babs"}`,
		`{"op":"remove","path":"addresses"}`,
		`{"op":"replace","path":"id","value":"hijack"}`), ScimTypeMutability)
	assert.Contains(t, se.Detail, "operation 6")
	assert.Equal(t, "bjensen@example.com", firstEmail["value"], "nested maps are never changed in place")
	assert.Equal(t, true, firstEmail["primary"])
	assert.Equal(t, "Tour Operations", ext["department"])
	assert.Len(t, emails, 1)

	// On success the old nested values are left alone too (copy-on-write).
	patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"emails[type eq \"home\"].value","value":"new@example.com"}`), false)
	assert.Equal(t, "bjensen@example.com", firstEmail["value"])
	assert.Equal(t, "new@example.com", doc["emails"].([]any)[0].(map[string]any)["value"])
}

func TestPatchChangedReportsRealChanges(t *testing.T) {
	rt := newResourceType("User", nil)
	doc := testUser()
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"userName","value":"bjensen@example.com"}`), false))
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"active","value":"True"}`), false))
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"remove","path":"title"}`), false))
	assert.False(t, patchOK(t, rt, doc, patchBody(`{"op":"add","path":"nickName","value":"B"}`, `{"op":"remove","path":"nickName"}`), false),
		"an add undone by a later remove changes nothing")
	assert.True(t, patchOK(t, rt, doc, patchBody(`{"op":"replace","path":"title","value":"Boss"}`), false))
}
