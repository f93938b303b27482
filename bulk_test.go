package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// Helpers shared by the bulk and ETag tests.

func newTestHandler(opts ...scim.Option) http.Handler {
	users, groups := memstore.New()
	return scim.NewHandler(users, groups, append([]scim.Option{scim.WithoutAuthentication(), scim.WithRequestLog(dumpRecords)}, opts...)...)
}

// doReq sends one request; headers come in name, value pairs.
func doReq(h http.Handler, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://example.com"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func jsonBody(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), "body: %s", rec.Body.String())
	return m
}

// requireStatus fails with the response body when the status differs.
func requireStatus(t testing.TB, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body.String())
}

// requireSCIMError checks a SCIM error response body (RFC 7644 §3.12).
func requireSCIMError(t testing.TB, rec *httptest.ResponseRecorder, status int, scimType string) map[string]any {
	t.Helper()
	requireStatus(t, rec, status)
	m := jsonBody(t, rec)
	assert.Equal(t, []any{scim.ErrorSchema}, m["schemas"])
	assert.Equal(t, strconv.Itoa(status), m["status"])
	if scimType != "" {
		assert.Equal(t, scimType, m["scimType"])
	}
	return m
}

func createUser(t testing.TB, h http.Handler, userName string) (id, version string) {
	t.Helper()
	rec := doReq(h, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":`+strconv.Quote(userName)+`}`)
	requireStatus(t, rec, http.StatusCreated)
	m := jsonBody(t, rec)
	return m["id"].(string), rec.Header().Get("ETag")
}

func createGroup(t testing.TB, h http.Handler, displayName string, memberIDs ...string) (id, version string) {
	t.Helper()
	members := make([]map[string]string, len(memberIDs))
	for i, m := range memberIDs {
		members[i] = map[string]string{"value": m}
	}
	b, _ := json.Marshal(map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": displayName, "members": members})
	rec := doReq(h, http.MethodPost, "/Groups", string(b))
	requireStatus(t, rec, http.StatusCreated)
	m := jsonBody(t, rec)
	return m["id"].(string), rec.Header().Get("ETag")
}

func getResource(t testing.TB, h http.Handler, path string) map[string]any {
	t.Helper()
	rec := doReq(h, http.MethodGet, path, "")
	requireStatus(t, rec, http.StatusOK)
	return jsonBody(t, rec)
}

func memberValues(res map[string]any) []string {
	var out []string
	ms, _ := res["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

// bulkOp is one operation of a BulkResponse.
type bulkOp struct {
	Method   string         `json:"method"`
	BulkID   string         `json:"bulkId"`
	Version  string         `json:"version"`
	Location string         `json:"location"`
	Status   string         `json:"status"`
	Response map[string]any `json:"response"`
}

// postBulk sends a BulkRequest, requires 200 and a BulkResponse, and
// returns its operations.
func postBulk(t testing.TB, h http.Handler, body string, headers ...string) []bulkOp {
	t.Helper()
	rec := doReq(h, http.MethodPost, "/Bulk", body, headers...)
	requireStatus(t, rec, http.StatusOK)
	var resp struct {
		Schemas    []string `json:"schemas"`
		Operations []bulkOp `json:"Operations"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp), rec.Body.String())
	require.Equal(t, []string{scim.BulkResponseSchema}, resp.Schemas)
	require.Equal(t, "application/scim+json", rec.Header().Get("Content-Type"))
	return resp.Operations
}

// idOf returns the id at the end of a location.
func idOf(t testing.TB, location string) string {
	t.Helper()
	i := strings.LastIndexByte(location, '/')
	require.Positive(t, i, "location %q", location)
	return location[i+1:]
}

func requireOpError(t testing.TB, op bulkOp, status int, scimType string) {
	t.Helper()
	require.Equal(t, strconv.Itoa(status), op.Status, "operation: %+v", op)
	require.NotNil(t, op.Response, "a failed operation carries its SCIM error")
	assert.Equal(t, []any{scim.ErrorSchema}, op.Response["schemas"])
	assert.Equal(t, strconv.Itoa(status), op.Response["status"])
	if scimType != "" {
		assert.Equal(t, scimType, op.Response["scimType"], "operation: %+v", op)
	}
	assert.Empty(t, op.Version, "a failed operation has no version")
}

func bulkRequest(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func userOp(bulkID, userName string) string {
	return `{"method":"POST","path":"/Users","bulkId":"` + bulkID + `","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `"}}`
}

func TestBulkAdvertisedInServiceProviderConfig(t *testing.T) {
	spc := func(h http.Handler) map[string]any {
		return getResource(t, h, "/ServiceProviderConfig")["bulk"].(map[string]any)
	}
	assert.Equal(t, map[string]any{"supported": true, "maxOperations": 1000.0, "maxPayloadSize": 1048576.0}, spc(newTestHandler()))
	assert.Equal(t, map[string]any{"supported": true, "maxOperations": 50.0, "maxPayloadSize": 4096.0}, spc(newTestHandler(scim.WithBulk(50, 4096))))
	assert.Equal(t, map[string]any{"supported": true, "maxOperations": 7.0, "maxPayloadSize": 1048576.0}, spc(newTestHandler(scim.WithBulk(7, 0))),
		"a non-positive limit keeps its default")

	off := newTestHandler(scim.WithoutBulk())
	assert.Equal(t, false, spc(off)["supported"])
	requireSCIMError(t, doReq(off, http.MethodPost, "/Bulk", bulkRequest(userOp("a", "alice"))), http.StatusNotImplemented, "")
	assert.Equal(t, true, spc(newTestHandler(scim.WithoutBulk(), scim.WithBulk(0, 0)))["supported"], "WithBulk re-enables bulk")
}

func TestBulkBadRequests(t *testing.T) {
	h := newTestHandler()
	for name, body := range map[string]string{
		"not JSON":          `{"schemas":`,
		"not an object":     `[1,2]`,
		"no schemas":        `{"Operations":[]}`,
		"wrong schema":      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
		"no Operations":     `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}`,
		"Operations object": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":{}}`,
		"trailing data":     bulkRequest() + `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			requireSCIMError(t, doReq(h, http.MethodPost, "/Bulk", body), http.StatusBadRequest, scim.ScimTypeInvalidSyntax)
		})
	}
	for _, v := range []string{`-1`, `"x"`, `1.5`, `true`} {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":` + v + `,"Operations":[]}`
		requireSCIMError(t, doReq(h, http.MethodPost, "/Bulk", body), http.StatusBadRequest, scim.ScimTypeInvalidValue)
	}
	requireSCIMError(t, doReq(h, http.MethodPost, "/Bulk", bulkRequest(), "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "")
	rec := doReq(h, http.MethodGet, "/Bulk", "")
	requireSCIMError(t, rec, http.StatusMethodNotAllowed, "")
	assert.Equal(t, "POST", rec.Header().Get("Allow"))

	assert.Empty(t, postBulk(t, h, bulkRequest()), "no operations, nothing to report")
	// Member names are case-insensitive, and failOnErrors may be a string.
	ops := postBulk(t, h, `{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:bulkrequest"],"failonerrors":"1","operations":[`+userOp("a", "alice")+`]}`)
	require.Len(t, ops, 1)
	assert.Equal(t, "201", ops[0].Status)
}

// Mixed success and failure: each operation gets its own status and error,
// and failures do not stop the others.
func TestBulkMixedSuccessAndFailure(t *testing.T) {
	h := newTestHandler()
	existing, _ := createUser(t, h, "existing")
	ops := postBulk(t, h, bulkRequest(
		userOp("u1", "alice"),
		userOp("u2", "EXISTING"), // userName taken (case-insensitively)
		`{"method":"post","path":"Users","bulkId":"u3","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol"}}`,
		`{"method":"POST","path":"/Users","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nobulkid"}}`,
		`{"method":"GET","path":"/Users/`+existing+`"}`,
		`{"method":"POST","path":"/Bulk","bulkId":"nested","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}}`,
		`{"method":"POST","path":"/Users/.search","bulkId":"s","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}}`,
		`{"method":"PUT","path":"/Users/`+existing+`"}`,
		`{"method":"PATCH","path":"/Users/`+existing+`","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Existing One"}]}}`,
		`{"method":"DELETE","path":"/Groups/missing"}`,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}}`,
		`{"method":"POST","path":"/Groups","bulkId":"h","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"H","members":[{"value":"bulkId:nope"}]}}`,
		`{"method":"PUT","path":"/Users/bulkId:u1","data":"not an object"}`,
		`{"method":"POST","path":"/Users","bulkId":"u1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dup"}}`,
		`{"method":"POST","path":"/Users/`+existing+`","bulkId":"p","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"posted"}}`,
	))
	require.Len(t, ops, 15)
	assert.Equal(t, "201", ops[0].Status)
	requireOpError(t, ops[1], http.StatusConflict, scim.ScimTypeUniqueness)
	assert.Equal(t, "201", ops[2].Status, "method and path are lenient")
	assert.Equal(t, "POST", ops[2].Method)
	requireOpError(t, ops[3], http.StatusBadRequest, scim.ScimTypeInvalidSyntax)
	assert.Contains(t, ops[3].Response["detail"], "bulkId")
	requireOpError(t, ops[4], http.StatusBadRequest, scim.ScimTypeInvalidValue)
	assert.Equal(t, "GET", ops[4].Method)
	requireOpError(t, ops[5], http.StatusBadRequest, scim.ScimTypeInvalidValue)
	requireOpError(t, ops[6], http.StatusBadRequest, scim.ScimTypeInvalidValue)
	requireOpError(t, ops[7], http.StatusBadRequest, scim.ScimTypeInvalidSyntax)
	assert.Contains(t, ops[7].Response["detail"], "data")
	assert.Equal(t, "200", ops[8].Status, "%+v", ops[8])
	requireOpError(t, ops[9], http.StatusNotFound, "")
	requireOpError(t, ops[10], http.StatusConflict, scim.ScimTypeInvalidValue)
	assert.Contains(t, ops[10].Response["detail"], `bulkId "u2"`, "the POST of u2 failed")
	requireOpError(t, ops[11], http.StatusConflict, scim.ScimTypeInvalidValue)
	assert.Contains(t, ops[11].Response["detail"], `bulkId "nope"`)
	requireOpError(t, ops[12], http.StatusBadRequest, scim.ScimTypeInvalidSyntax)
	requireOpError(t, ops[13], http.StatusBadRequest, scim.ScimTypeInvalidValue)
	assert.Contains(t, ops[13].Response["detail"], `"u1"`)
	requireOpError(t, ops[14], http.StatusMethodNotAllowed, "")

	assert.Equal(t, 0.0, getResource(t, h, "/Groups")["totalResults"])
	assert.Equal(t, "Existing One", getResource(t, h, "/Users/"+existing)["displayName"])
}

// A reference to a POST that failed makes the referencing operation fail
// with 409 invalidValue naming the bulkId, and nothing is created for it.
func TestBulkReferenceToFailedPost(t *testing.T) {
	h := newTestHandler()
	createUser(t, h, "taken")
	ops := postBulk(t, h, bulkRequest(
		userOp("u1", "taken"),
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:u1"}]}}`,
		`{"method":"PATCH","path":"/Users/bulkId:u1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"x"}]}}`,
	))
	require.Len(t, ops, 3)
	requireOpError(t, ops[0], http.StatusConflict, scim.ScimTypeUniqueness)
	requireOpError(t, ops[1], http.StatusConflict, scim.ScimTypeInvalidValue)
	assert.Contains(t, ops[1].Response["detail"], `bulkId "u1"`)
	assert.Empty(t, ops[1].Location)
	requireOpError(t, ops[2], http.StatusConflict, scim.ScimTypeInvalidValue)
	assert.Contains(t, ops[2].Response["detail"], `bulkId "u1"`)
	assert.Empty(t, ops[2].Location, "an unresolved path has no location")
	assert.Equal(t, 0.0, getResource(t, h, "/Groups")["totalResults"])
}

func TestBulkFailOnErrors(t *testing.T) {
	h := newTestHandler()
	bad := `{"method":"DELETE","path":"/Users/missing"}`
	body := func(failOnErrors string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":` + failOnErrors + `,"Operations":[` +
			strings.Join([]string{userOp("a", "a"+failOnErrors), bad, userOp("b", "b"+failOnErrors), bad, userOp("c", "c"+failOnErrors), bad, userOp("d", "d"+failOnErrors)}, ",") + `]}`
	}
	ops := postBulk(t, h, body("2"))
	require.Len(t, ops, 4, "stops after the second error")
	assert.Equal(t, []string{"201", "404", "201", "404"}, []string{ops[0].Status, ops[1].Status, ops[2].Status, ops[3].Status})
	requireStatus(t, doReq(h, http.MethodGet, "/Users?filter=userName+eq+%22c2%22", ""), http.StatusOK)
	assert.Equal(t, 0.0, getResource(t, h, "/Users?filter=userName+eq+%22c2%22")["totalResults"])

	ops = postBulk(t, h, body("0"))
	require.Len(t, ops, 7, "0 means no limit")
	ops = postBulk(t, h, body("3"))
	require.Len(t, ops, 6)
	ops = postBulk(t, h, body("4"))
	require.Len(t, ops, 7, "never reached")
}

// Operations may reference POSTs that come later in the request; those run
// first, and the response keeps the request's order.
func TestBulkForwardReferences(t *testing.T) {
	h := newTestHandler()
	ops := postBulk(t, h, bulkRequest(
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}}`,
		`{"method":"PATCH","path":"/Groups/bulkId:g2","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:u3"}]}]}}`,
		userOp("u1", "one"),
		`{"method":"POST","path":"/Users","bulkId":"u2","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"two","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"bulkId:u3"}}}}`,
		userOp("u3", "three"),
		`{"method":"POST","path":"/Groups","bulkId":"g2","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Other"}}`,
	))
	require.Len(t, ops, 6)
	for i, op := range ops {
		require.Equal(t, map[bool]string{true: "200", false: "201"}[i == 1], op.Status, "operation %d: %+v", i, op)
	}
	assert.Equal(t, []string{"g", "", "u1", "u2", "u3", "g2"}, []string{ops[0].BulkID, ops[1].BulkID, ops[2].BulkID, ops[3].BulkID, ops[4].BulkID, ops[5].BulkID})
	u1, u2, u3 := idOf(t, ops[2].Location), idOf(t, ops[3].Location), idOf(t, ops[4].Location)
	assert.ElementsMatch(t, []string{u1, u2}, memberValues(getResource(t, h, "/Groups/"+idOf(t, ops[0].Location))))
	g2 := getResource(t, h, "/Groups/"+idOf(t, ops[5].Location))
	assert.Equal(t, []string{u3}, memberValues(g2))
	assert.Equal(t, ops[5].Location, ops[1].Location)
	assert.Equal(t, ops[1].Version, g2["meta"].(map[string]any)["version"], "the PATCH ran after the POST")
	ent := getResource(t, h, "/Users/"+u2)[scim.EnterpriseUserSchema].(map[string]any)
	assert.Equal(t, u3, ent["manager"].(map[string]any)["value"])
}

// Cycles of any length, and a resource that references itself, are
// resolved; a cycle whose other POST fails is rolled back and reported.
func TestBulkCircularReferences(t *testing.T) {
	group := func(bulkID, name string, refs ...string) string {
		members := make([]string, len(refs))
		for i, r := range refs {
			members[i] = `{"type":"Group","value":"bulkId:` + r + `"}`
		}
		return `{"method":"POST","path":"/Groups","bulkId":"` + bulkID + `","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"` + name + `","members":[` + strings.Join(members, ",") + `]}}`
	}
	t.Run("three groups", func(t *testing.T) {
		h := newTestHandler()
		ops := postBulk(t, h, bulkRequest(group("a", "A", "b"), group("b", "B", "c"), group("c", "C", "a")))
		require.Len(t, ops, 3)
		ids := make([]string, 3)
		for i, op := range ops {
			require.Equal(t, "201", op.Status, "%+v", op)
			ids[i] = idOf(t, op.Location)
		}
		for i := range ops {
			g := getResource(t, h, "/Groups/"+ids[i])
			assert.Equal(t, []string{ids[(i+1)%3]}, memberValues(g))
			assert.Equal(t, ops[i].Version, g["meta"].(map[string]any)["version"])
		}
	})
	t.Run("self", func(t *testing.T) {
		h := newTestHandler()
		ops := postBulk(t, h, bulkRequest(group("a", "A", "a")))
		require.Len(t, ops, 1)
		require.Equal(t, "201", ops[0].Status, "%+v", ops[0])
		id := idOf(t, ops[0].Location)
		assert.Equal(t, []string{id}, memberValues(getResource(t, h, "/Groups/"+id)))
	})
	t.Run("users and managers", func(t *testing.T) {
		h := newTestHandler()
		user := func(bulkID, name, manager string) string {
			return `{"method":"POST","path":"/Users","bulkId":"` + bulkID + `","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name +
				`","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"bulkId:` + manager + `"}}}}`
		}
		ops := postBulk(t, h, bulkRequest(user("a", "alice", "b"), user("b", "bob", "a")))
		require.Len(t, ops, 2)
		require.Equal(t, "201", ops[0].Status, "%+v", ops[0])
		require.Equal(t, "201", ops[1].Status, "%+v", ops[1])
		a, b := idOf(t, ops[0].Location), idOf(t, ops[1].Location)
		managerOf := func(id string) any {
			return getResource(t, h, "/Users/"+id)[scim.EnterpriseUserSchema].(map[string]any)["manager"].(map[string]any)["value"]
		}
		assert.Equal(t, b, managerOf(a))
		assert.Equal(t, a, managerOf(b))
	})
	t.Run("other side fails", func(t *testing.T) {
		h := newTestHandler()
		createGroup(t, h, "taken")
		// b is created first without its member a, then a fails (it has
		// no displayName): b cannot be completed and is deleted again.
		badA := `{"method":"POST","path":"/Groups","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"members":[{"value":"bulkId:b"}]}}`
		ops := postBulk(t, h, bulkRequest(badA, group("b", "B", "a"), userOp("u", "after")))
		require.Len(t, ops, 3)
		requireOpError(t, ops[0], http.StatusBadRequest, "")
		requireOpError(t, ops[1], http.StatusConflict, scim.ScimTypeInvalidValue)
		assert.Contains(t, ops[1].Response["detail"], `bulkId "a"`)
		assert.Empty(t, ops[1].Location)
		assert.Equal(t, "201", ops[2].Status)
		list := getResource(t, h, "/Groups")
		assert.Equal(t, 1.0, list["totalResults"], "the half-created group was removed")
	})
}

// A 1,000-operation request: 999 users and a group holding all of them.
func TestBulkThousandOperations(t *testing.T) {
	h := newTestHandler()
	ops := make([]string, 0, 1000)
	members := make([]string, 0, 999)
	for i := range 999 {
		id := "u" + strconv.Itoa(i)
		ops = append(ops, userOp(id, "user"+strconv.Itoa(i)))
		members = append(members, `{"value":"bulkId:`+id+`"}`)
	}
	// The group comes first: every member is a forward reference.
	ops = append([]string{`{"method":"POST","path":"/Groups","bulkId":"all","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"All","members":[` +
		strings.Join(members, ",") + `]}}`}, ops...)
	res := postBulk(t, h, bulkRequest(ops...))
	require.Len(t, res, 1000)
	ids := make([]string, 0, 999)
	for i, op := range res {
		require.Equal(t, "201", op.Status, "operation %d: %+v", i, op)
		if i > 0 {
			require.Equal(t, "u"+strconv.Itoa(i-1), op.BulkID)
			ids = append(ids, idOf(t, op.Location))
		}
	}
	assert.Equal(t, 999.0, getResource(t, h, "/Users?count=0")["totalResults"])
	assert.ElementsMatch(t, ids, memberValues(getResource(t, h, "/Groups/"+idOf(t, res[0].Location))))
}

type tenantKey struct{}

// Operations run with the bulk request's context, so a multi-tenant store
// keeps them in the caller's tenant, and headers (authentication) apply.
func TestBulkTenancyAndAuthentication(t *testing.T) {
	users, groups := memstore.New(memstore.WithPartition(func(ctx context.Context) string {
		s, _ := ctx.Value(tenantKey{}).(string)
		return s
	}))
	inner := scim.NewHandler(users, groups, scim.WithBearerToken("secret"))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, r.Header.Get("X-Tenant"))))
	})
	auth := "Bearer secret"
	requireSCIMError(t, doReq(h, http.MethodPost, "/Bulk", bulkRequest(userOp("a", "alice")), "X-Tenant", "A"), http.StatusUnauthorized, "")

	ops := postBulk(t, h, bulkRequest(userOp("a", "alice")), "X-Tenant", "A", "Authorization", auth)
	require.Len(t, ops, 1)
	require.Equal(t, "201", ops[0].Status)
	aliceID := idOf(t, ops[0].Location)
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+aliceID, "", "X-Tenant", "A", "Authorization", auth), http.StatusOK)
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+aliceID, "", "X-Tenant", "B", "Authorization", auth), http.StatusNotFound)

	// Tenant B can neither see nor change tenant A's user, and may reuse
	// its userName.
	ops = postBulk(t, h, bulkRequest(
		`{"method":"PUT","path":"/Users/`+aliceID+`","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"mallory"}}`,
		`{"method":"PATCH","path":"/Users/`+aliceID+`","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}}`,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:b"}]}}`,
		`{"method":"DELETE","path":"/Users/`+aliceID+`"}`,
		userOp("b", "alice"),
	), "X-Tenant", "B", "Authorization", auth)
	require.Len(t, ops, 5)
	requireOpError(t, ops[0], http.StatusNotFound, "")
	requireOpError(t, ops[1], http.StatusNotFound, "")
	assert.Equal(t, "201", ops[2].Status)
	requireOpError(t, ops[3], http.StatusNotFound, "")
	assert.Equal(t, "201", ops[4].Status)

	alice := jsonBody(t, doReq(h, http.MethodGet, "/Users/"+aliceID, "", "X-Tenant", "A", "Authorization", auth))
	assert.Equal(t, "alice", alice["userName"])
	assert.NotEqual(t, false, alice["active"])
	requireStatus(t, doReq(h, http.MethodGet, ops[2].Location[len("http://example.com"):], "", "X-Tenant", "A", "Authorization", auth), http.StatusNotFound)
	requireStatus(t, doReq(h, http.MethodGet, ops[2].Location[len("http://example.com"):], "", "X-Tenant", "B", "Authorization", auth), http.StatusOK)
}

// An operation's version acts as If-Match, and the response's version is
// the resource's new ETag.
func TestBulkVersionIsIfMatch(t *testing.T) {
	h := newTestHandler()
	id, v1 := createUser(t, h, "alice")
	patch := func(version, nick string) string {
		return `{"method":"PATCH","path":"/Users/` + id + `","version":` + strconv.Quote(version) +
			`,"data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"` + nick + `"}]}}`
	}
	ops := postBulk(t, h, bulkRequest(patch(v1, "one"), patch(v1, "two")))
	require.Len(t, ops, 2)
	require.Equal(t, "200", ops[0].Status)
	requireOpError(t, ops[1], http.StatusPreconditionFailed, "")
	v2 := ops[0].Version
	assert.NotEqual(t, v1, v2)
	rec := doReq(h, http.MethodGet, "/Users/"+id, "")
	assert.Equal(t, v2, rec.Header().Get("ETag"))
	assert.Equal(t, "one", jsonBody(t, rec)["nickName"])

	ops = postBulk(t, h, bulkRequest(
		`{"method":"DELETE","path":"/Users/`+id+`","version":`+strconv.Quote(v1)+`}`,
		`{"method":"PUT","path":"/Users/`+id+`","version":"*","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","nickName":"three"}}`,
		`{"method":"PUT","path":"/Users/missing","version":"*","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"}}`,
	))
	require.Len(t, ops, 3)
	requireOpError(t, ops[0], http.StatusPreconditionFailed, "")
	require.Equal(t, "200", ops[1].Status)
	requireOpError(t, ops[2], http.StatusNotFound, "")
	ops = postBulk(t, h, bulkRequest(`{"method":"DELETE","path":"/Users/`+id+`","version":`+strconv.Quote(ops[1].Version)+`}`))
	require.Equal(t, "204", ops[0].Status)
}

// Locations are absolute, at the mount point, as meta.location is.
func TestBulkLocationUnderMountPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", newTestHandler()))
	req := httptest.NewRequest(http.MethodPost, "https://app.example.com/scim/v2/Bulk", strings.NewReader(bulkRequest(
		userOp("a", "alice"),
		`{"method":"PATCH","path":"/Users/bulkId:a","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"al"}]}}`,
	)))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	requireStatus(t, rec, http.StatusOK)
	var resp struct{ Operations []bulkOp }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	require.Len(t, resp.Operations, 2)
	loc := resp.Operations[0].Location
	assert.True(t, strings.HasPrefix(loc, "https://app.example.com/scim/v2/Users/"), loc)
	assert.Equal(t, loc, resp.Operations[1].Location)

	get := httptest.NewRequest(http.MethodGet, loc, nil)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, get)
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, loc, jsonBody(t, rec)["meta"].(map[string]any)["location"])

	based := newTestHandler(scim.WithBaseURL("https://scim.example.org/v2/"))
	ops := postBulk(t, based, bulkRequest(userOp("a", "alice")))
	assert.True(t, strings.HasPrefix(ops[0].Location, "https://scim.example.org/v2/Users/"), ops[0].Location)
}

// Operations go through the same validation as single requests.
func TestBulkSameRulesAsSingleRequests(t *testing.T) {
	h := newTestHandler(scim.WithStrictAttributes(), scim.WithMaxBodyBytes(512))
	single := doReq(h, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","bogus":1}`)
	requireSCIMError(t, single, http.StatusBadRequest, scim.ScimTypeInvalidValue)
	ops := postBulk(t, h, bulkRequest(
		`{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","bogus":1}}`,
		`{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+strings.Repeat("y", 600)+`"}}`,
		`{"method":"POST","path":"/Users","bulkId":"c","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"wrong endpoint"}}`,
		`{"method":"POST","path":"/Users","bulkId":"d","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ok","active":"yes"}}`,
	))
	require.Len(t, ops, 4)
	requireOpError(t, ops[0], http.StatusBadRequest, scim.ScimTypeInvalidValue)
	assert.Equal(t, jsonBody(t, single)["detail"], ops[0].Response["detail"], "the same error as the single request")
	requireOpError(t, ops[1], http.StatusRequestEntityTooLarge, "")
	requireOpError(t, ops[2], http.StatusBadRequest, scim.ScimTypeInvalidSyntax)
	requireOpError(t, ops[3], http.StatusBadRequest, "")
	assert.Equal(t, 0.0, getResource(t, h, "/Users")["totalResults"])
}

// BenchmarkCreate1000Users compares creating 1,000 users with one bulk
// request and with 1,000 single POSTs, through the handler with memstore.
// Each iteration starts from an empty store.
func BenchmarkCreate1000Users(b *testing.B) {
	const n = 1000
	ops := make([]string, n)
	singles := make([]string, n)
	for i := range n {
		name := "user" + strconv.Itoa(i)
		ops[i] = userOp("u"+strconv.Itoa(i), name)
		singles[i] = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","name":{"givenName":"U","familyName":"` + name + `"},"emails":[{"value":"` + name + `@example.com","type":"work","primary":true}]}`
		ops[i] = `{"method":"POST","path":"/Users","bulkId":"u` + strconv.Itoa(i) + `","data":` + singles[i] + `}`
	}
	body := bulkRequest(ops...)
	b.Run("bulk", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for range b.N {
			b.StopTimer()
			h := newTestHandler()
			b.StartTimer()
			rec := doReq(h, http.MethodPost, "/Bulk", body)
			b.StopTimer()
			if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `"status":"201"`) != n {
				b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
			}
			b.StartTimer()
		}
	})
	b.Run("single", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for range b.N {
			b.StopTimer()
			h := newTestHandler()
			b.StartTimer()
			for _, s := range singles {
				if rec := doReq(h, http.MethodPost, "/Users", s); rec.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		}
	})
}

// A reference written with JSON escapes is still a reference, and one that
// is only part of a string is not.
func TestBulkReferenceSpelling(t *testing.T) {
	h := newTestHandler()
	ops := postBulk(t, h, bulkRequest(
		userOp("a", "alice"),
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"see bulkId:a","externalId":"batchId:nope","members":[{"value":"bulkId\u003aa"}]}}`,
	))
	require.Len(t, ops, 2)
	require.Equal(t, "201", ops[1].Status, "%+v", ops[1])
	g := getResource(t, h, "/Groups/"+idOf(t, ops[1].Location))
	assert.Equal(t, []string{idOf(t, ops[0].Location)}, memberValues(g))
	assert.Equal(t, "see bulkId:a", g["displayName"])
	assert.Equal(t, "batchId:nope", g["externalId"], "the misspelling only stands for bulkIds of the request")
}

// A cancelled request stops between operations and reports what ran.
func TestBulkCancelledRequest(t *testing.T) {
	users, groups := memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	// The first creation cancels the request, as a client that goes away
	// would.
	inner := scim.NewHandler(&cancellingUsers{UserStore: users, cancel: cancel}, groups, scim.WithoutAuthentication())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.ServeHTTP(w, r.WithContext(ctx)) })
	rec := doReq(h, http.MethodPost, "/Bulk", bulkRequest(userOp("a", "a"), userOp("b", "b"), userOp("c", "c")))
	requireStatus(t, rec, http.StatusOK)
	var resp struct{ Operations []bulkOp }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	require.Len(t, resp.Operations, 1, "no operation starts after the cancellation")
	assert.Equal(t, "201", resp.Operations[0].Status)
	page, err := users.List(context.Background(), &scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, page.TotalResults)
}

type cancellingUsers struct {
	*memstore.UserStore
	cancel context.CancelFunc
}

func (u *cancellingUsers) Create(ctx context.Context, r *scim.User) (*scim.User, error) {
	defer u.cancel()
	return u.UserStore.Create(ctx, r)
}
