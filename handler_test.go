package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "s3cret"

// client drives a handler mounted at /scim/v2 of an httptest server.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	base string
}

func newClient(t *testing.T, opts ...scim.Option) *client {
	t.Helper()
	users, groups := memstore.New()
	return newClientFor(t, users, groups, opts...)
}

func newClientFor(t *testing.T, users scim.UserStore, groups scim.GroupStore, opts ...scim.Option) *client {
	t.Helper()
	opts = append([]scim.Option{scim.WithBearerToken(token), scim.WithRequestLog(dumpRecords)}, opts...)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scim.NewHandler(users, groups, opts...)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
}

type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (c *client) do(method, path, body string, headers ...string) *response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := c.srv.Client().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := &response{status: resp.StatusCode, header: resp.Header, body: b}
	if len(b) > 0 {
		require.NoError(c.t, json.Unmarshal(b, &r.json), "body: %s", b)
		assert.Equal(c.t, "application/scim+json", resp.Header.Get("Content-Type"))
	}
	return r
}

// requireError checks a SCIM error response.
func requireError(t *testing.T, r *response, status int, scimType string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	assert.Equal(t, []any{scim.ErrorSchema}, r.json["schemas"])
	assert.Equal(t, http.StatusText(status) != "" && true, true)
	assert.Equal(t, strings.TrimSpace(itoa(status)), r.json["status"], "status must be a JSON string")
	if scimType != "" {
		assert.Equal(t, scimType, r.json["scimType"])
	}
	assert.NotEmpty(t, r.json["detail"])
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

const entraUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "addresses": null, "phoneNumbers": null, "preferredLanguage": null, "title": null
}`

func TestEntraUserLifecycle(t *testing.T) {
	c := newClient(t)

	// Test Connection: an unknown userName is an empty ListResponse.
	r := c.do("GET", `/Users?filter=userName+eq+%22b0f1a8a5-6d1b-4a86-8b8e-1f9b1a2d3c4e%22`, "")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, []any{scim.ListResponseSchema}, r.json["schemas"])
	assert.Equal(t, 0.0, r.json["totalResults"])
	assert.Equal(t, []any{}, r.json["Resources"])

	r = c.do("POST", "/Users", entraUser)
	require.Equal(t, 201, r.status, "%s", r.body)
	id, _ := r.json["id"].(string)
	require.NotEmpty(t, id)
	meta := r.json["meta"].(map[string]any)
	assert.Equal(t, "User", meta["resourceType"])
	assert.Equal(t, c.base+"/Users/"+id, meta["location"])
	assert.Equal(t, c.base+"/Users/"+id, r.header.Get("Location"))
	assert.NotEmpty(t, meta["created"])
	assert.NotEmpty(t, meta["lastModified"])
	assert.Equal(t, meta["version"], r.header.Get("ETag"))
	assert.Equal(t, true, r.json["active"])
	assert.Equal(t, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", r.json["externalId"])
	assert.NotContains(t, r.json, "roles", "an empty roles list is unassigned")

	r = c.do("GET", "/Users/"+id, "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", r.json["userName"])
	assert.Equal(t, "familyName", r.json["name"].(map[string]any)["familyName"])

	// Query by userName, case-insensitively, with Okta's %20 encoding.
	r = c.do("GET", `/Users?filter=userName%20eq%20%22TEST_USER_AB6490EE-1E48-479E-A20B-2D77186B5DD1%22&startIndex=1&count=100`, "")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 1.0, r.json["totalResults"])
	assert.Equal(t, 1.0, r.json["itemsPerPage"])
	assert.Equal(t, 1.0, r.json["startIndex"])

	// Duplicate userName, differently cased.
	dup := strings.Replace(entraUser, "Test_User_ab6490ee", "TEST_USER_AB6490EE", 1)
	requireError(t, c.do("POST", "/Users", dup), 409, "uniqueness")

	r = c.do("DELETE", "/Users/"+id, "")
	require.Equal(t, 204, r.status)
	assert.Empty(t, r.body)
	requireError(t, c.do("GET", "/Users/"+id, ""), 404, "")
	requireError(t, c.do("DELETE", "/Users/"+id, ""), 404, "")

	// The userName is free again.
	require.Equal(t, 201, c.do("POST", "/Users", entraUser).status)
}

func TestOktaCreateAndPut(t *testing.T) {
	c := newClient(t)
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
		"name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
		"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`
	r := c.do("POST", "/Users", body, "Content-Type", "application/json", "Accept", "application/scim+json; charset=utf-8")
	require.Equal(t, 201, r.status, "%s", r.body)
	assert.NotContains(t, r.json, "password")
	id := r.json["id"].(string)
	assert.Equal(t, []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, r.json["schemas"])

	got := c.do("GET", "/Users/"+id, "")
	assert.NotContains(t, got.json, "password")

	// Okta AIW deactivates with a PUT of the object it read, active false.
	got.json["active"] = false
	put, _ := json.Marshal(got.json)
	r = c.do("PUT", "/Users/"+id, string(put))
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, false, r.json["active"], "active false is never dropped")
	assert.Equal(t, "Test User", r.json["displayName"])
	assert.NotEqual(t, got.json["meta"].(map[string]any)["version"], r.json["meta"].(map[string]any)["version"])

	// PUT without userName is 400; PUT of a missing id is 404.
	requireError(t, c.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`), 400, "invalidValue")
	requireError(t, c.do("PUT", "/Users/nope", string(put)), 404, "")
	// A misspelt attribute is ignored.
	r = c.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","displayNme":"typo"}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.NotContains(t, r.json, "displayName")
}

func TestAuth(t *testing.T) {
	c := newClient(t, scim.WithBearerToken("second-token"))
	for _, auth := range []string{"", "non-token", "Bearer wrong", "Basic czNjcmV0", "Bearer "} {
		r := c.do("GET", "/Users", "", "Authorization", auth)
		requireError(t, r, 401, "")
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
	}
	assert.Equal(t, 200, c.do("GET", "/Users", "", "Authorization", "Bearer second-token").status)
	assert.Equal(t, 200, c.do("GET", "/Users", "", "Authorization", "bearer "+token).status)
	requireError(t, c.do("GET", "/ServiceProviderConfig", "", "Authorization", ""), 401, "")

	pub := newClient(t, scim.WithPublicDiscovery())
	assert.Equal(t, 200, pub.do("GET", "/ServiceProviderConfig", "", "Authorization", "").status)
	requireError(t, pub.do("GET", "/Users", "", "Authorization", ""), 401, "")
}

func TestBadRequests(t *testing.T) {
	c := newClient(t, scim.WithMaxBodyBytes(2048))
	requireError(t, c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`), 400, "invalidSyntax")
	requireError(t, c.do("POST", "/Users", `[1,2]`), 400, "invalidSyntax")
	requireError(t, c.do("POST", "/Users", `{"userName":"a"}`), 400, "invalidSyntax")
	requireError(t, c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`), 400, "invalidValue")
	requireError(t, c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":"maybe"}`), 400, "invalidValue")
	requireError(t, c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"} x`), 400, "invalidSyntax")
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + strings.Repeat("a", 4096) + `"}`
	requireError(t, c.do("POST", "/Users", big), 413, "")
	requireError(t, c.do("POST", "/Users", `{}`, "Content-Type", "text/plain"), 415, "")
	r := c.do("DELETE", "/Users", "")
	requireError(t, r, 405, "")
	assert.Contains(t, r.header.Get("Allow"), "GET")
	requireError(t, c.do("GET", "/Nope", ""), 404, "")
	requireError(t, c.do("GET", "/Users/a/b", ""), 404, "")
	requireError(t, c.do("GET", "/Users?startIndex=abc", ""), 400, "invalidValue")
	requireError(t, c.do("GET", "/Users?count=1.5", ""), 400, "invalidValue")
}

func TestGroupsEntra(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	assert.Equal(t, []any{}, r.json["members"])
	gid := r.json["id"].(string)

	u := c.do("POST", "/Users", entraUser)
	uid := u.json["id"].(string)
	r = c.do("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"displayName","members":[{"value":"`+uid+`"}]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	members := r.json["members"].([]any)
	require.Len(t, members, 1)
	assert.Equal(t, uid, members[0].(map[string]any)["value"])
	assert.Equal(t, c.base+"/Users/"+uid, members[0].(map[string]any)["$ref"])

	r = c.do("GET", "/Groups/"+gid+"?excludedAttributes=members", "")
	require.Equal(t, 200, r.status)
	assert.NotContains(t, r.json, "members")
	assert.Equal(t, "displayName", r.json["displayName"])

	// The user's groups back-reference.
	r = c.do("GET", "/Users/"+uid, "")
	groups := r.json["groups"].([]any)
	require.Len(t, groups, 1)
	assert.Equal(t, gid, groups[0].(map[string]any)["value"])
	assert.Equal(t, "displayName", groups[0].(map[string]any)["display"])

	require.Equal(t, 204, c.do("DELETE", "/Users/"+uid, "").status)
	r = c.do("GET", "/Groups/"+gid, "")
	assert.Equal(t, []any{}, r.json["members"], "deleting a user removes it from groups")
	require.Equal(t, 204, c.do("DELETE", "/Groups/"+gid, "").status)
	requireError(t, c.do("GET", "/Groups/"+gid, ""), 404, "")
}

var acme = &scim.Schema{
	ID:   "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
	Name: "AcmeUser",
	Attributes: []*scim.Attribute{
		{Name: "costCenter"},
		{Name: "level", Type: scim.TypeInteger},
		{Name: "tags", MultiValued: true},
	},
}

func TestCustomExtensionRoundTrip(t *testing.T) {
	c := newClient(t, scim.WithUserExtension(acme))
	r := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:acme:2.0:User"],
		"userName":"ext","urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"costCenter":"CC-1","level":12345678901234567,"tags":["a","b"]}}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	id := r.json["id"].(string)
	assert.Contains(t, string(r.body), `"level":12345678901234567`, "numbers round-trip exactly")
	assert.Contains(t, r.json["schemas"], acme.ID)
	want := map[string]any{"costCenter": "CC-1", "level": 12345678901234567.0, "tags": []any{"a", "b"}}
	assert.Equal(t, want, c.do("GET", "/Users/"+id, "").json[acme.ID])

	r = c.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ext",
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter":"CC-2"}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"costCenter": "CC-2"}, r.json[acme.ID])

	l := c.do("GET", "/Users", "")
	require.Equal(t, 200, l.status)
	res := l.json["Resources"].([]any)
	require.Len(t, res, 1)
	assert.Equal(t, map[string]any{"costCenter": "CC-2"}, res[0].(map[string]any)[acme.ID])

	sch := c.do("GET", "/Schemas/"+acme.ID, "")
	require.Equal(t, 200, sch.status)
	assert.Equal(t, acme.ID, sch.json["id"])
}

func TestDiscovery(t *testing.T) {
	c := newClient(t, scim.WithMaxResults(50))
	r := c.do("GET", "/ServiceProviderConfig", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, true, r.json["patch"].(map[string]any)["supported"])
	assert.Equal(t, true, r.json["filter"].(map[string]any)["supported"])
	assert.Equal(t, 50.0, r.json["filter"].(map[string]any)["maxResults"])
	assert.Equal(t, true, r.json["sort"].(map[string]any)["supported"])
	assert.Equal(t, true, r.json["etag"].(map[string]any)["supported"])
	schemes := r.json["authenticationSchemes"].([]any)
	require.Len(t, schemes, 1)
	assert.Equal(t, "oauthbearertoken", schemes[0].(map[string]any)["type"])

	r = c.do("GET", "/ResourceTypes", "")
	require.Equal(t, 200, r.status)
	rts := r.json["Resources"].([]any)
	require.Len(t, rts, 2)
	assert.Equal(t, "/Users", rts[0].(map[string]any)["endpoint"])
	assert.Equal(t, scim.EnterpriseUserSchema, rts[0].(map[string]any)["schemaExtensions"].([]any)[0].(map[string]any)["schema"])
	assert.Equal(t, "/Groups", c.do("GET", "/ResourceTypes/Group", "").json["endpoint"])
	requireError(t, c.do("GET", "/ResourceTypes/Device", ""), 404, "")

	r = c.do("GET", "/Schemas", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, 3.0, r.json["totalResults"])
	assert.Contains(t, string(r.body), "User Account")
	assert.NotContains(t, string(r.body), "null")
	r = c.do("GET", "/Schemas/"+scim.UserSchema, "")
	require.Equal(t, 200, r.status)
	var userName map[string]any
	for _, a := range r.json["attributes"].([]any) {
		if a.(map[string]any)["name"] == "userName" {
			userName = a.(map[string]any)
		}
	}
	require.NotNil(t, userName)
	assert.Equal(t, "server", userName["uniqueness"])
	assert.Equal(t, false, userName["caseExact"])
	assert.Equal(t, true, userName["required"])
	requireError(t, c.do("GET", "/Schemas/urn:nope", ""), 404, "")
}

func TestMountedUnderPrefixAndBaseURL(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g"}`)
	assert.True(t, strings.HasPrefix(r.header.Get("Location"), c.srv.URL+"/scim/v2/Groups/"))

	fixed := newClient(t, scim.WithBaseURL("https://app.example.com/scim/v2/"))
	r = fixed.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g"}`)
	assert.True(t, strings.HasPrefix(r.header.Get("Location"), "https://app.example.com/scim/v2/Groups/"), r.header.Get("Location"))
}

// failingStore makes every call fail with an internal error.
type failingStore struct{ scim.UserStore }

func (failingStore) Get(context.Context, string, scim.ReadOptions) (*scim.User, error) {
	return nil, errors.New("db: connection refused to 10.0.0.7")
}

func TestInternalErrorsAreNotLeaked(t *testing.T) {
	users, groups := memstore.New()
	var logs bytes.Buffer
	c := newClientFor(t, failingStore{users}, groups, scim.WithLogger(slogTo(&logs)))
	r := c.do("GET", "/Users/x", "")
	requireError(t, r, 500, "")
	assert.NotContains(t, string(r.body), "10.0.0.7")
	assert.Contains(t, logs.String(), "10.0.0.7")
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// panickyStore panics, as a buggy store might.
type panickyStore struct{ scim.UserStore }

func (panickyStore) Get(context.Context, string, scim.ReadOptions) (*scim.User, error) {
	panic("index out of range in the app's store")
}

func TestPanicsBecomeInternalErrors(t *testing.T) {
	users, groups := memstore.New()
	var logs bytes.Buffer
	c := newClientFor(t, panickyStore{users}, groups, scim.WithLogger(slogTo(&logs)))
	r := c.do("GET", "/Users/x", "")
	requireError(t, r, 500, "")
	assert.NotContains(t, string(r.body), "index out of range")
	assert.Contains(t, logs.String(), "index out of range")
}
