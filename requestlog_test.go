package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dumpRecords is installed by the suite's test handlers (newClient,
// newTestHandler), so that every test runs with the request log on. With
// SCIMKIT_DUMP_RECORDS set it prints each record as a "provlog-record:"
// line, which .ci/run scans for passwords, tokens and secrets.
var dumpRecords = scim.RequestLoggerFunc(func(_ context.Context, rec *scim.RequestRecord) {
	if os.Getenv("SCIMKIT_DUMP_RECORDS") == "" {
		return
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	fmt.Println("provlog-record:", string(b))
})

// recorder is a RequestLogger that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []*scim.RequestRecord
}

func (r *recorder) LogRequest(_ context.Context, rec *scim.RequestRecord) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
}

// take returns the records logged since the last take, once there are at
// least n: the handler logs a request after writing its response, so the
// client may read the response before the record is made.
func (r *recorder) take(n int) []*scim.RequestRecord {
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		if len(r.recs) >= n || time.Now().After(deadline) {
			recs := r.recs
			r.recs = nil
			r.mu.Unlock()
			return recs
		}
		r.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// logged sends a request and returns its one record.
func (c *client) logged(rec *recorder, method, path, body string, headers ...string) (*response, *scim.RequestRecord) {
	c.t.Helper()
	resp := c.do(method, path, body, headers...)
	recs := rec.take(1)
	require.Len(c.t, recs, 1, "one record per request")
	r := recs[0]
	assert.Equal(c.t, method, r.Method)
	assert.Equal(c.t, resp.status, r.Status)
	assert.NotEmpty(c.t, r.RequestID)
	assert.False(c.t, r.Time.IsZero())
	assert.Positive(c.t, r.Duration)
	if resp.status >= 400 {
		assert.Equal(c.t, resp.json["scimType"] != nil, r.ScimType != "")
		if st, ok := resp.json["scimType"].(string); ok {
			assert.Equal(c.t, st, r.ScimType, "the scimType sent")
		}
		assert.Equal(c.t, resp.json["detail"], r.Detail, "the detail sent")
		assert.NotEmpty(c.t, r.Detail)
	} else {
		assert.Empty(c.t, r.ScimType)
		assert.Empty(c.t, r.Detail)
	}
	return resp, r
}

func TestRequestLogEntraSequence(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	const ua = "Microsoft.AAD.Provisioning.Service"
	h := []string{"User-Agent", ua}

	resp, r := c.logged(rec, "POST", "/Users?aadOptscim062020", entraUser, h...)
	id := resp.json["id"].(string)
	assert.Equal(t, scim.ActionUserCreate, r.Action)
	assert.Equal(t, id, r.TargetID)
	assert.Equal(t, "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", r.TargetName)
	assert.Equal(t, scim.ClientEntraID, r.Client)
	assert.Equal(t, "/Users", r.Path)
	assert.Equal(t, "aadOptscim062020", r.Query)
	assert.Contains(t, r.Body, `"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`)

	_, r = c.logged(rec, "GET", "/Users/"+id, "", h...)
	assert.Equal(t, scim.ActionUserGet, r.Action)
	assert.Equal(t, id, r.TargetID)
	assert.Equal(t, "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", r.TargetName, "from the response")

	_, r = c.logged(rec, "GET", `/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, "", h...)
	assert.Equal(t, scim.ActionUsersList, r.Action)
	assert.Equal(t, `filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, r.Query)

	_, r = c.logged(rec, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
		{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`, h...)
	assert.Equal(t, scim.ActionUserPatch, r.Action)
	assert.Equal(t, id, r.TargetID)

	_, r = c.logged(rec, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, h...)
	assert.Equal(t, scim.ActionUserDeactivate, r.Action)
	_, r = c.logged(rec, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":true}]}`)
	assert.Equal(t, scim.ActionUserReactivate, r.Action)
	assert.Equal(t, scim.ClientEntraID, r.Client, "recognised by its capitalised op without a User-Agent")

	resp, r = c.logged(rec, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Sales","meta":{"resourceType":"Group"}}`)
	gid := resp.json["id"].(string)
	assert.Equal(t, scim.ActionGroupCreate, r.Action)
	assert.Equal(t, gid, r.TargetID)
	assert.Equal(t, "Sales", r.TargetName)
	assert.Equal(t, scim.ClientEntraID, r.Client, "recognised by the ADSCIM schema")

	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"`+id+`"}]}]}`, h...)
	assert.Equal(t, scim.ActionGroupMembersAdd, r.Action)
	assert.Equal(t, gid, r.TargetID)
	_, r = c.logged(rec, "GET", "/Groups/"+gid+"?excludedAttributes=members", "", h...)
	assert.Equal(t, scim.ActionGroupGet, r.Action)
	assert.Equal(t, "Sales", r.TargetName)
	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members[value eq \"`+id+`\"]"}]}`, h...)
	assert.Equal(t, scim.ActionGroupMembersRemove, r.Action)
	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Sales EU"}]}`, h...)
	assert.Equal(t, scim.ActionGroupPatch, r.Action)
	assert.Equal(t, "Sales EU", r.TargetName)

	_, r = c.logged(rec, "DELETE", "/Users/"+id, "", h...)
	assert.Equal(t, scim.ActionUserDelete, r.Action)
	assert.Equal(t, id, r.TargetID)
	assert.Equal(t, 204, r.Status)

	_, r = c.logged(rec, "GET", "/Users/"+id, "", h...)
	assert.Equal(t, scim.ActionUserGet, r.Action)
	assert.Equal(t, 404, r.Status)
	assert.True(t, r.Failed())

	_, r = c.logged(rec, "DELETE", "/Groups/"+gid, "", h...)
	assert.Equal(t, scim.ActionGroupDelete, r.Action)

	_, r = c.logged(rec, "GET", "/ServiceProviderConfig", "", h...)
	assert.Equal(t, scim.ActionDiscovery, r.Action)
	_, r = c.logged(rec, "GET", "/Schemas", "", h...)
	assert.Equal(t, scim.ActionDiscovery, r.Action)
}

func TestRequestLogOktaSequence(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	h := []string{"User-Agent", "Okta SCIM Client 1.0.0"}

	_, r := c.logged(rec, "GET", "/Users?count=1&startIndex=1", "", h...)
	assert.Equal(t, scim.ActionUsersList, r.Action)
	assert.Equal(t, scim.ClientOkta, r.Client)
	assert.Equal(t, "Okta SCIM Client 1.0.0", r.UserAgent)

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
		"name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
		"displayName":"Test User","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`
	resp, r := c.logged(rec, "POST", "/Users", body, append(h, "Content-Type", "application/json")...)
	id := resp.json["id"].(string)
	assert.Equal(t, scim.ActionUserCreate, r.Action)
	assert.Equal(t, "test.user@okta.local", r.TargetName)
	assert.NotContains(t, r.Body, "1mz050nq", "the password value is redacted")
	assert.Contains(t, r.Body, `"password":"[redacted]"`)

	// A second create of the same userName: 409 uniqueness, as sent.
	_, r = c.logged(rec, "POST", "/Users", body, h...)
	assert.Equal(t, scim.ActionUserCreate, r.Action)
	assert.Equal(t, 409, r.Status)
	assert.Equal(t, "uniqueness", r.ScimType)
	assert.Empty(t, r.TargetID, "nothing was created")
	assert.Equal(t, "test.user@okta.local", r.TargetName)

	got := c.do("GET", "/Users/"+id, "", h...)
	rec.take(1)
	got.json["active"] = false
	put, _ := json.Marshal(got.json)
	_, r = c.logged(rec, "PUT", "/Users/"+id, string(put), h...)
	assert.Equal(t, scim.ActionUserDeactivate, r.Action, "Okta's custom apps deactivate with a PUT")
	got.json["active"] = true
	got.json["displayName"] = "Test U."
	put, _ = json.Marshal(got.json)
	_, r = c.logged(rec, "PUT", "/Users/"+id, string(put), h...)
	assert.Equal(t, scim.ActionUserReplace, r.Action)

	_, r = c.logged(rec, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, h...)
	assert.Equal(t, scim.ActionUserDeactivate, r.Action)
	_, r = c.logged(rec, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`, h...)
	assert.Equal(t, scim.ActionUserReactivate, r.Action)
	assert.Equal(t, "test.user@okta.local", r.TargetName)

	// A PUT without userName: 400 invalidValue with the detail sent.
	_, r = c.logged(rec, "PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, h...)
	assert.Equal(t, scim.ActionUserReplace, r.Action)
	assert.Equal(t, "invalidValue", r.ScimType)
	assert.Equal(t, id, r.TargetID)

	resp, r = c.logged(rec, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`, h...)
	gid := resp.json["id"].(string)
	assert.Equal(t, scim.ActionGroupCreate, r.Action)
	assert.Equal(t, scim.ClientOkta, r.Client)
	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"remove","path":"members[value eq \"nobody\"]"},{"op":"add","path":"members","value":[{"value":"`+id+`","display":"test.user@okta.local"}]}]}`, h...)
	assert.Equal(t, scim.ActionGroupMembersReplace, r.Action, "Okta's push mixes remove and add")
	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[]}]}`, h...)
	assert.Equal(t, scim.ActionGroupMembersReplace, r.Action)
	_, r = c.logged(rec, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Renamed"}}]}`, h...)
	assert.Equal(t, scim.ActionGroupPatch, r.Action)
	_, r = c.logged(rec, "GET", "/Groups?startIndex=1&count=100", "", h...)
	assert.Equal(t, scim.ActionGroupsList, r.Action)
	_, r = c.logged(rec, "PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Renamed again"}`, h...)
	assert.Equal(t, scim.ActionGroupReplace, r.Action)
	assert.Equal(t, "Renamed again", r.TargetName)
	_, r = c.logged(rec, "DELETE", "/Groups/"+gid, "", h...)
	assert.Equal(t, scim.ActionGroupDelete, r.Action)
}

func TestRequestLogFailures(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))

	resp, r := c.logged(rec, "GET", "/Users", "", "Authorization", "Bearer wrong-token-value")
	assert.Equal(t, 401, resp.status)
	assert.Equal(t, scim.ActionUsersList, r.Action)
	assert.Empty(t, r.Tenant)

	_, r = c.logged(rec, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":`)
	assert.Equal(t, "invalidSyntax", r.ScimType)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "[a body of 69 bytes that is not JSON: not kept]", r.Body)

	_, r = c.logged(rec, "GET", "/Users?filter=userName+zz+%22x%22", "")
	assert.Equal(t, "invalidFilter", r.ScimType)

	_, r = c.logged(rec, "PATCH", "/Users/nope", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	assert.Equal(t, 404, r.Status)
	assert.Equal(t, scim.ActionUserDeactivate, r.Action)
	assert.Equal(t, "nope", r.TargetID)

	_, r = c.logged(rec, "GET", "/Nowhere", "")
	assert.Equal(t, scim.ActionOther, r.Action)
	assert.Equal(t, 404, r.Status)

	_, r = c.logged(rec, "DELETE", "/Users", "")
	assert.Equal(t, 405, r.Status)
}

func TestRequestLogBulk(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	_, r := c.logged(rec, "POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Users","bulkId":"u1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.one","password":"hunter2-bulk"}},
		{"method":"POST","path":"/Users","bulkId":"u2","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.one"}},
		{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Bulk group","members":[{"value":"bulkId:u1"}]}},
		{"method":"PATCH","path":"/Users/bulkId:u1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}},
		{"method":"DELETE","path":"/Users/missing"}]}`)
	assert.Equal(t, scim.ActionBulk, r.Action)
	assert.Equal(t, 200, r.Status)
	assert.NotContains(t, r.Body, "hunter2-bulk")
	require.Len(t, r.Operations, 5)
	ops := r.Operations
	assert.Equal(t, scim.BulkOperationRecord{Method: "POST", Path: "/Users", BulkID: "u1", Action: scim.ActionUserCreate,
		TargetID: ops[0].TargetID, TargetName: "bulk.one", Status: 201}, ops[0])
	assert.NotEmpty(t, ops[0].TargetID)
	assert.Equal(t, 409, ops[1].Status)
	assert.Equal(t, "uniqueness", ops[1].ScimType)
	assert.NotEmpty(t, ops[1].Detail)
	assert.Equal(t, scim.ActionGroupCreate, ops[2].Action)
	assert.Equal(t, 201, ops[2].Status)
	assert.Equal(t, "Bulk group", ops[2].TargetName)
	assert.Equal(t, scim.ActionUserDeactivate, ops[3].Action)
	assert.Equal(t, ops[0].TargetID, ops[3].TargetID, "the bulkId reference is resolved from the response")
	assert.Equal(t, 200, ops[3].Status)
	assert.Equal(t, scim.ActionUserDelete, ops[4].Action)
	assert.Equal(t, 404, ops[4].Status)
	assert.Equal(t, "missing", ops[4].TargetID)
}

func TestRequestLogTenantAndRedaction(t *testing.T) {
	rec := &recorder{}
	auth := scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		ctx := scim.ContextWithTenant(r.Context(), "acme")
		return scim.ContextWithConnectionID(ctx, "conn-1"), nil
	})
	users, groups := memstore.New()
	c := newClientFor(t, users, groups, scim.WithAuthenticator(auth), scim.WithRequestLog(rec), scim.WithRequestLog(rec))
	c.do("PATCH", "/Users/x?access_token=scimkit_tok_aaaa&x=1", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"replace","path":"password","value":"n3w-Passw0rd"},
		{"op":"add","value":{"clientSecret":"s3cr3t-value","nickName":"Bearer abc.def"}}]}`,
		"Authorization", "Bearer scimkit_tok_of_the_connection")
	recs := rec.take(2)
	require.Len(t, recs, 2, "each logger gets the record")
	assert.Same(t, recs[0], recs[1])
	r := recs[0]
	assert.Equal(t, "acme", r.Tenant)
	assert.Equal(t, "conn-1", r.ConnectionID)
	all, _ := json.Marshal(r)
	for _, secret := range []string{"n3w-Passw0rd", "s3cr3t-value", "scimkit_tok_aaaa", "abc.def", "scimkit_tok_of_the_connection"} {
		assert.NotContains(t, string(all), secret)
	}
	assert.Equal(t, "access_token=%5Bredacted%5D&x=1", r.Query)
}

func TestRequestLogRedactsEscapedNames(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	_, r := c.logged(rec, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"esc",
		"pass\u0077ord":"esc-Secret-1","nickName":"sc\u0069mkit_tok_abc"}`)
	assert.Equal(t, 201, r.Status)
	assert.NotContains(t, r.Body, "esc-Secret-1")
	assert.NotContains(t, r.Body, "tok_abc")
	assert.Contains(t, r.Body, `"userName":"esc"`)
}

func TestRequestLogBodyCut(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	long := strings.Repeat("x", 2*scim.RequestLogBodyLimit)
	_, r := c.logged(rec, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"long","title":"`+long+`"}`)
	assert.Equal(t, 201, r.Status)
	assert.True(t, strings.HasSuffix(r.Body, "…[truncated]"))
	assert.LessOrEqual(t, len(r.Body), scim.RequestLogBodyLimit+len("…[truncated]"))
	assert.WithinDuration(t, time.Now(), r.Time, time.Minute)
}

// A record holds only valid text, whatever bytes the client sent, so that
// a database sink can store it (PostgreSQL refuses NUL and invalid UTF-8,
// and would lose the whole batch the record is written with).
func TestRequestLogRecordsAreValidText(t *testing.T) {
	rec := &recorder{}
	c := newClient(t, scim.WithRequestLog(rec))
	requests := []struct{ method, path, body string }{
		{"GET", "/Users/ab%00cd", ""},
		{"GET", "/Users/ab%FFcd", ""},
		{"POST", "/Users", "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"a\xffb\"}"},
		{"POST", "/Users", "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"a\\u0000b\"}"},
		{"POST", "/Bulk", "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"],\"Operations\":[" +
			"{\"method\":\"DELETE\",\"path\":\"/Users/x\xfe\\u0000y\",\"bulkId\":\"b\xff\"}]}"},
	}
	for _, r := range requests {
		c.do(r.method, r.path, r.body, "User-Agent", "agent\xff", "X-Request-Id", "id\xff")
		recs := rec.take(1)
		require.Len(t, recs, 1, "%s %q", r.method, r.path)
		assertValidText(t, recs[0])
	}
}

func assertValidText(t *testing.T, r *scim.RequestRecord) {
	t.Helper()
	texts := []string{r.RequestID, r.Tenant, r.ConnectionID, r.Client, r.UserAgent, r.Method, r.Path, r.Query,
		r.Action, r.TargetID, r.TargetName, r.ScimType, r.Detail, r.Body}
	for _, o := range r.Operations {
		texts = append(texts, o.Method, o.Path, o.BulkID, o.Action, o.TargetID, o.TargetName, o.ScimType, o.Detail)
	}
	for _, s := range texts {
		assert.True(t, utf8.ValidString(s) && !strings.ContainsRune(s, 0), "%q is not valid text", s)
	}
}
