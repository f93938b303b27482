package scim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOptionsIgnoreWhatTheirDocsSay checks that non-positive limits and
// nil values keep what the option would have set, as each option's doc
// says, by what /ServiceProviderConfig advertises and what requests get.
func TestOptionsIgnoreWhatTheirDocsSay(t *testing.T) {
	h := newTestHandler(scim.WithMaxResults(0), scim.WithMaxResults(-5), scim.WithBulk(0, -1),
		scim.WithMaxBodyBytes(0), scim.WithLogger(nil), scim.WithUserExtension(nil), scim.WithGroupExtension(nil),
		scim.WithBaseURL(""), scim.WithDocumentationURI(""))
	spc := jsonBody(t, doReq(h, http.MethodGet, "/ServiceProviderConfig", ""))
	assert.Equal(t, 1000.0, spc["filter"].(map[string]any)["maxResults"])
	assert.Equal(t, map[string]any{"supported": true, "maxOperations": 1000.0, "maxPayloadSize": 1048576.0}, spc["bulk"])
	assert.NotContains(t, spc, "documentationUri")
	assert.Equal(t, "http://example.com/ServiceProviderConfig", spc["meta"].(map[string]any)["location"])
	requireStatus(t, doReq(h, http.MethodGet, "/Schemas", ""), http.StatusOK)
	id, _ := createUser(t, h, "alice")
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+id, ""), http.StatusOK)
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","nickName":"` + strings.Repeat("x", 1<<20) + `"}`
	requireStatus(t, doReq(h, http.MethodPost, "/Users", big), http.StatusRequestEntityTooLarge)

	// Limits set before a non-positive one stay; WithBulk after WithoutBulk
	// restores the defaults it is not given.
	h = newTestHandler(scim.WithMaxResults(7), scim.WithMaxResults(0), scim.WithBulk(5, 4096), scim.WithBulk(0, 0))
	spc = jsonBody(t, doReq(h, http.MethodGet, "/ServiceProviderConfig", ""))
	assert.Equal(t, 7.0, spc["filter"].(map[string]any)["maxResults"])
	assert.Equal(t, map[string]any{"supported": true, "maxOperations": 5.0, "maxPayloadSize": 4096.0}, spc["bulk"])
	h = newTestHandler(scim.WithoutBulk(), scim.WithBulk(3, 0))
	spc = jsonBody(t, doReq(h, http.MethodGet, "/ServiceProviderConfig", ""))
	require.Equal(t, map[string]any{"supported": true, "maxOperations": 3.0, "maxPayloadSize": 1048576.0}, spc["bulk"])
}

// WithUserAttributes and WithGroupAttributes without paths keep only what
// every store keeps; WithPasswordHandler(nil) accepts no password.
func TestOptionsWithoutArguments(t *testing.T) {
	h := newTestHandler(scim.WithUserAttributes(), scim.WithGroupAttributes(), scim.WithPasswordHandler(nil))
	user := jsonBody(t, doReq(h, http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", ""))
	assert.Equal(t, []string{"userName"}, attrNames(user))
	group := jsonBody(t, doReq(h, http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", ""))
	assert.Equal(t, []string{"displayName"}, attrNames(group))
	spc := jsonBody(t, doReq(h, http.MethodGet, "/ServiceProviderConfig", ""))
	assert.Equal(t, map[string]any{"supported": false}, spc["changePassword"])
}
