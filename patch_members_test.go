package scim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func membership(t *testing.T, rt *resourceType, body string) ([]MultiValue, []string, bool) {
	t.Helper()
	req, err := parsePatch([]byte(body))
	require.NoError(t, err)
	return req.membershipOnly(rt)
}

func TestMembershipOnlyForms(t *testing.T) {
	rt := newResourceType("Group", nil)

	// Entra ID, G5 and G6.
	add, del, ok := membership(t, rt, patchBody(
		`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"},{"$ref":null,"value":"u4"}]}`,
		`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}`))
	require.True(t, ok)
	assert.Equal(t, []MultiValue{{Value: "u3"}, {Value: "u4"}}, add)
	assert.Equal(t, []string{"u1"}, del)

	// Okta: remove by filter, add with display; a single member object.
	add, del, ok = membership(t, rt, patchBody(
		`{"op":"remove","path":"members[value eq \"u1\"]"}`,
		`{"op":"add","path":"Members","value":[{"value":"u7","display":"Seven","type":"User","$ref":"https://x/Users/u7"}]}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":{"value":"u8"}}`))
	require.True(t, ok)
	assert.Equal(t, []MultiValue{{Value: "u7", Display: "Seven", Type: "User", Ref: "https://x/Users/u7"}, {Value: "u8"}}, add)
	assert.Equal(t, []string{"u1"}, del)

	// Path-less add of exactly {"members": [...]}, extra keys in items
	// and operations ignored.
	add, del, ok = membership(t, rt, patchBody(`{"op":"add","name":"addMember","value":{"members":[{"value":"u9","foo":1}]}}`))
	require.True(t, ok)
	assert.Equal(t, []MultiValue{{Value: "u9"}}, add)
	assert.Empty(t, del)
}

func TestMembershipOnlyLastOperationWins(t *testing.T) {
	rt := newResourceType("Group", nil)
	body := patchBody(
		`{"op":"add","path":"members","value":[{"value":"a","display":"first"},{"value":"b"}]}`,
		`{"op":"remove","path":"members[value eq \"a\"]"}`,
		`{"op":"remove","path":"members[value eq \"c\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"c","display":"C"},{"value":"b","display":"second"}]}`)
	add, del, ok := membership(t, rt, body)
	require.True(t, ok)
	assert.Equal(t, []MultiValue{{Value: "b"}, {Value: "c", Display: "C"}}, add)
	assert.Equal(t, []string{"a"}, del)

	// The sets describe what the full engine does with the same request.
	doc := map[string]any{"displayName": "G", "members": []any{map[string]any{"value": "a"}, map[string]any{"value": "z"}}}
	patchOK(t, rt, doc, body, false)
	assert.Equal(t, []any{
		map[string]any{"value": "z"},
		map[string]any{"value": "b"},
		map[string]any{"value": "c", "display": "C"},
	}, doc["members"])
}

func TestMembershipOnlyRejects(t *testing.T) {
	group := newResourceType("Group", nil)
	strict := newResourceType("Group", nil)
	strict.strictAttributes = true
	for name, c := range map[string]struct {
		rt *resourceType
		op string
	}{
		"replace members":       {group, `{"op":"replace","path":"members","value":[{"value":"u1"}]}`},
		"remove all members":    {group, `{"op":"remove","path":"members"}`},
		"rename":                {group, `{"op":"replace","path":"displayName","value":"x"}`},
		"path-less extra key":   {group, `{"op":"add","value":{"members":[{"value":"u1"}],"displayName":"x"}}`},
		"path-less replace":     {group, `{"op":"replace","value":{"members":[{"value":"u1"}]}}`},
		"member sub-attribute":  {group, `{"op":"add","path":"members.display","value":"x"}`},
		"filter with sub":       {group, `{"op":"remove","path":"members[value eq \"u1\"].display"}`},
		"filter not eq":         {group, `{"op":"remove","path":"members[value co \"u1\"]"}`},
		"filter on display":     {group, `{"op":"remove","path":"members[display eq \"u1\"]"}`},
		"filter and":            {group, `{"op":"remove","path":"members[value eq \"u1\" and display eq \"x\"]"}`},
		"empty value":           {group, `{"op":"add","path":"members","value":[{"value":""}]}`},
		"missing value":         {group, `{"op":"add","path":"members","value":[{"display":"x"}]}`},
		"number value":          {group, `{"op":"add","path":"members","value":[{"value":5}]}`},
		"number display":        {group, `{"op":"add","path":"members","value":[{"value":"u1","display":5}]}`},
		"string member":         {group, `{"op":"add","path":"members","value":["u1"]}`},
		"remove value not list": {group, `{"op":"remove","path":"members","value":"u1"}`},
		"strict unknown key":    {strict, `{"op":"add","path":"members","value":[{"value":"u1","foo":"x"}]}`},
		"user resource":         {newResourceType("User", nil), `{"op":"add","path":"emails","value":[{"value":"a@b.c"}]}`},
		"bad path":              {group, `{"op":"remove","path":"members[value eq \"u1\""}`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, ok := membership(t, c.rt, patchBody(`{"op":"add","path":"members","value":[{"value":"ok"}]}`, c.op))
			assert.False(t, ok)
		})
	}
}

func TestMembershipOnlyComparesIDsLikeTheEngine(t *testing.T) {
	// members.value is not caseExact, so "U1" and "u1" are one member.
	rt := newResourceType("Group", nil)
	add, del, ok := membership(t, rt, patchBody(
		`{"op":"add","path":"members","value":[{"value":"U1"},{"value":"u9"}]}`,
		`{"op":"remove","path":"members[value eq \"u1\"]"}`))
	require.True(t, ok)
	assert.Equal(t, []MultiValue{{Value: "u9"}}, add)
	assert.Equal(t, []string{"u1"}, del)
}
