package scim_test

import (
	"net/http"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
)

// A PATCH of a group that only changes members answers 204 by default
// (RFC 7644 §3.5.2), unless it asks for attributes; every other PATCH
// answers 200 with the resource, and WithPatchResponse changes both.
func TestPatchResponse(t *testing.T) {
	addMember := func(id string) string {
		return patchOp(`{"op":"add","path":"members","value":[{"value":"` + id + `"}]}`)
	}
	cases := []struct {
		name   string
		opts   []scim.Option
		path   func(uid, gid string) string
		body   func(uid string) string
		status int
	}{
		{"member add", nil, groupPath(""), addMember, http.StatusNoContent},
		{"member remove by filter", nil, groupPath(""), func(uid string) string {
			return patchOp(`{"op":"remove","path":"members[value eq \"` + uid + `\"]"}`)
		}, http.StatusNoContent},
		{"members replace", nil, groupPath(""), func(uid string) string {
			return patchOp(`{"op":"replace","path":"members","value":[{"value":"` + uid + `"}]}`)
		}, http.StatusNoContent},
		{"path-less members add", nil, groupPath(""), func(uid string) string {
			return patchOp(`{"op":"add","value":{"members":[{"value":"` + uid + `"}]}}`)
		}, http.StatusNoContent},
		{"member add asking for attributes", nil, groupPath("?attributes=members"), addMember, http.StatusOK},
		{"member add excluding attributes", nil, groupPath("?excludedAttributes=members"), addMember, http.StatusOK},
		{"rename", nil, groupPath(""), func(string) string {
			return patchOp(`{"op":"replace","path":"displayName","value":"other"}`)
		}, http.StatusOK},
		{"rename and member add", nil, groupPath(""), func(uid string) string {
			return patchOp(`{"op":"replace","path":"displayName","value":"other"}`,
				`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`)
		}, http.StatusOK},
		{"user", nil, func(uid, _ string) string { return "/Users/" + uid }, func(string) string {
			return patchOp(`{"op":"replace","path":"active","value":false}`)
		}, http.StatusOK},
		{"member add, resource asked for", []scim.Option{scim.WithPatchResponse(scim.PatchReturnsResource)}, groupPath(""), addMember, http.StatusOK},
		{"user, no content asked for", []scim.Option{scim.WithPatchResponse(scim.PatchNoContent)}, func(uid, _ string) string { return "/Users/" + uid }, func(string) string {
			return patchOp(`{"op":"replace","path":"active","value":false}`)
		}, http.StatusNoContent},
		{"rename, deprecated option", []scim.Option{scim.WithPatchNoContent()}, groupPath(""), func(string) string {
			return patchOp(`{"op":"replace","path":"displayName","value":"other"}`)
		}, http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(tc.opts...)
			uid, _ := createUser(t, h, "alice")
			gid, _ := createGroup(t, h, "team")
			rec := doReq(h, http.MethodPatch, tc.path(uid, gid), tc.body(uid))
			requireStatus(t, rec, tc.status)
			assert.NotEmpty(t, rec.Header().Get("ETag"))
			if tc.status == http.StatusNoContent {
				assert.Empty(t, rec.Body.String())
			} else {
				assert.NotEmpty(t, jsonBody(t, rec)["id"])
			}
			if tc.name != "member remove by filter" && tc.path(uid, gid) != "/Users/"+uid && tc.body(uid) != tc.body("") {
				assert.Equal(t, []string{uid}, memberValues(getResource(t, h, "/Groups/"+gid)), "the change is made")
			}
		})
	}
}

func groupPath(query string) func(uid, gid string) string {
	return func(_, gid string) string { return "/Groups/" + gid + query }
}
