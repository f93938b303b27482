package scim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	groupSchemaJSON = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	patchSchemaJSON = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
)

// A member that names no user or group of the tenant is refused with 400
// invalidValue on every path that adds members, and nothing is stored.
func TestDanglingMemberRefused(t *testing.T) {
	c := newClient(t)
	uid := seedUsers(t, c, 1)[0]
	r := c.do("POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"team","members":[{"value":"`+uid+`"}]}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	gid := r.json["id"].(string)
	version := r.header.Get("ETag")

	refused := func(r *response, what string) {
		t.Helper()
		require.Equal(t, 400, r.status, "%s: %s", what, r.body)
		assert.Equal(t, "invalidValue", r.json["scimType"], what)
		assert.Contains(t, r.json["detail"], "ghost", "%s: the detail names the member", what)
	}
	const ghost = `{"value":"ghost"}`
	refused(c.do("POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"other","members":[`+ghost+`]}`), "POST")
	refused(c.do("PUT", "/Groups/"+gid, `{`+groupSchemaJSON+`,"displayName":"team","members":[{"value":"`+uid+`"},`+ghost+`]}`), "PUT")
	refused(c.do("PATCH", "/Groups/"+gid, `{`+patchSchemaJSON+`,"Operations":[{"op":"add","path":"members","value":[`+ghost+`]}]}`), "PATCH add members")
	refused(c.do("PATCH", "/Groups/"+gid, `{`+patchSchemaJSON+`,"Operations":[{"op":"replace","path":"displayName","value":"x"},{"op":"add","path":"members","value":[`+ghost+`]}]}`), "PATCH replace and add")
	refused(c.do("PATCH", "/Groups/"+gid, `{`+patchSchemaJSON+`,"Operations":[{"op":"replace","path":"members","value":[`+ghost+`]}]}`), "PATCH replace members")
	r = c.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"g","data":{`+groupSchemaJSON+`,"displayName":"bulk","members":[`+ghost+`]}}]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"status":"400"`)

	r = c.do("GET", "/Groups", "")
	assert.EqualValues(t, 1, r.json["totalResults"], "no refused group was stored")
	r = c.do("GET", "/Groups/"+gid, "")
	assert.Equal(t, version, r.header.Get("ETag"), "the group is unchanged")
	assert.Equal(t, "team", r.json["displayName"])

	// Users and groups of the tenant are members; one already there stays
	// even if it no longer names anything.
	r = c.do("POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"nested","members":[{"value":"`+gid+`","type":"Group"},{"value":"`+uid+`"}]}`)
	require.Equal(t, 201, r.status, "%s", r.body)
}

// With WithForeignMembers, members that live elsewhere are stored as they
// are.
func TestForeignMembersAccepted(t *testing.T) {
	c := newClient(t, scim.WithForeignMembers())
	r := c.do("POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"team","members":[{"value":"elsewhere-1"}]}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	gid := r.json["id"].(string)
	r = c.do("PATCH", "/Groups/"+gid, `{`+patchSchemaJSON+`,"Operations":[{"op":"add","path":"members","value":[{"value":"elsewhere-2"}]}]}`)
	require.Contains(t, []int{200, 204}, r.status, "%s", r.body)
	r = c.do("GET", "/Groups/"+gid, "")
	assert.Len(t, r.json["members"], 2)
}

// A store's refusal reaches the client as 400 invalidValue whether the
// store names the value or only wraps the sentinel.
func TestMemberNotFoundError(t *testing.T) {
	err := fmt.Errorf("mystore: %w", scim.MemberNotFound("x\x00y"))
	require.ErrorIs(t, err, scim.ErrMemberNotFound)
	require.True(t, strings.Contains(err.Error(), `"x\x00y"`), err.Error())
	require.True(t, scim.MemberCheckFromContext(scim.ContextWithMemberCheck(context.Background())))
	require.False(t, scim.MemberCheckFromContext(context.Background()))
}
