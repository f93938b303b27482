package scim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// send makes one SCIM request and returns the status and body.
func send(method, url, body string) (string, string) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer T")
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

func ExampleNewHandler() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithBearerToken("T"))

	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// Entra ID's "Test Connection" asks for a user that does not exist.
	status, body := send("GET", srv.URL+`/scim/v2/Users?filter=userName+eq+%22nobody%22`, "")
	fmt.Println(status)
	fmt.Println(body)
	// Output:
	// 200 OK
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"startIndex":1,"Resources":[]}
}

// newExampleServer starts a server with one user and one group.
func newExampleServer() (srv *httptest.Server, userID, groupID string) {
	users, groups := memstore.New()
	srv = httptest.NewServer(scim.NewHandler(users, groups, scim.WithBearerToken("T")))
	_, body := send("POST", srv.URL+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","active":true}`)
	userID = between(body, `"id":"`, `"`)
	_, body = send("POST", srv.URL+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`)
	groupID = between(body, `"id":"`, `"`)
	return srv, userID, groupID
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}

// Entra ID disables a user with a PATCH whose value is the string "False".
func Example_patchDisableUser() {
	srv, userID, _ := newExampleServer()
	defer srv.Close()
	status, body := send("PATCH", srv.URL+"/Users/"+userID+"?attributes=active", `{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`)
	fmt.Println(status, strings.Contains(body, `"active":false`))
	// Output: 200 OK true
}

// Identity providers add group members one PATCH at a time.
func Example_patchAddMember() {
	srv, userID, groupID := newExampleServer()
	defer srv.Close()
	status, _ := send("PATCH", srv.URL+"/Groups/"+groupID, `{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+userID+`"}]}]}`)
	fmt.Println(status)
	_, body := send("GET", srv.URL+"/Groups?filter=members+eq+%22"+userID+"%22&excludedAttributes=members", "")
	fmt.Println(strings.Contains(body, `"totalResults":1`))
	// Output:
	// 204 No Content
	// true
}

// Entra ID's path-less replace names attributes with dotted and URN keys.
func Example_patchEntraPathlessReplace() {
	srv, userID, _ := newExampleServer()
	defer srv.Close()
	status, body := send("PATCH", srv.URL+"/Users/"+userID, `{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "replace", "value": {
			"displayName": "Bjfe",
			"name.givenName": "Kkom",
			"name.familyName": "Unua",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"}}]}`)
	fmt.Println(status)
	fmt.Println(between(body, `"name":`, `}`) + "}")
	fmt.Println(between(body, `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":`, `}`) + "}")
	// Output:
	// 200 OK
	// {"familyName":"Unua","givenName":"Kkom"}
	// {"employeeNumber":"Aklq"}
}

// A member change of a group answers 204 No Content by default; an app
// whose clients read the group back from the response asks for 200.
func ExampleWithPatchResponse() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithBearerToken("T"), scim.WithPatchResponse(scim.PatchReturnsResource))
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, body := send("POST", srv.URL+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}`)
	userID := between(body, `"id":"`, `"`)
	_, body = send("POST", srv.URL+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`)
	groupID := between(body, `"id":"`, `"`)
	status, body := send("PATCH", srv.URL+"/Groups/"+groupID, `{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "add", "path": "members", "value": [{"value": "`+userID+`"}]}]}`)
	fmt.Println(status, strings.Contains(body, userID))
	// Output: 200 OK true
}
