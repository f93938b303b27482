package scim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// FuzzListQuery sends arbitrary filter and paging parameters to GET /Users
// and GET /Groups: every answer must be 200 or a 400 SCIM error.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`, `emails[type eq "work" and value co "@example.com"]`, `name.familyName sw "J"`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`, `not (active eq false) or title pr`, `members eq "x"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`, `emails[type eq "work"].value eq "a@b"`,
		`userName eq`, `((`, `active gt true`, `"`, `userName eq "a\"b"`, `title eq null`,
	} {
		f.Add(s, "userName", "descending", "1", "10", "userName,emails")
	}
	f.Add("", "name.familyName", "ascending", "-5", "-1", "")
	f.Add("", "emails", "sideways", "x", "1e3", "members")
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	seed := func(body, path string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		h.ServeHTTP(rec, req)
		if rec.Code != 201 {
			f.Fatalf("seeding %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	for i := 0; i < 5; i++ {
		n := strconv.Itoa(i)
		seed(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+n+`","title":"t`+n+`","active":true,
			"name":{"familyName":"F`+n+`"},"emails":[{"type":"work","value":"u`+n+`@example.com"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"`+n+`"}}`, "/Users")
		seed(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g`+n+`"}`, "/Groups")
	}
	f.Fuzz(func(t *testing.T, filter, sortBy, sortOrder, startIndex, count, attrs string) {
		q := url.Values{}
		q.Set("filter", filter)
		q.Set("sortBy", sortBy)
		q.Set("sortOrder", sortOrder)
		q.Set("startIndex", startIndex)
		q.Set("count", count)
		q.Set("attributes", attrs)
		for _, path := range []string{"/Users", "/Groups"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil))
			if rec.Code != 200 && rec.Code != 400 {
				t.Fatalf("GET %s?%s: status %d: %s", path, q.Encode(), rec.Code, rec.Body)
			}
		}
	})
}

// FuzzPatchHTTP sends arbitrary PATCH bodies to a user and a group through
// the handler: every answer is 200 or a 400 SCIM error, never a panic or a
// 500, and what is stored afterwards is still a valid resource (the handler
// accepts it back as a PUT body).
func FuzzPatchHTTP(f *testing.F) {
	for _, body := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name.givenName":"K","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"a@b.c"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"u1"}]},{"op":"Remove","path":"members","value":[{"value":"u2"}]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u1\"]"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"userName"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":""}]}`,
		`{"Operations":[]}`, `[]`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move"}]}`,
	} {
		f.Add(body)
	}
	users, groups := memstore.New()
	// Members that name nothing are accepted, so that the fuzzer explores
	// PATCH on members rather than the member check.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers())
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		h.ServeHTTP(rec, req)
		return rec
	}
	u := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"fuzz","active":true,
		"emails":[{"type":"home","value":"h@x.y","primary":true}],"name":{"familyName":"F"}}`)
	g := do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"fuzzers","members":[{"value":"u2"}]}`)
	if u.Code != 201 || g.Code != 201 {
		f.Fatalf("seeding: %d %d", u.Code, g.Code)
	}
	ids := map[string]string{}
	for path, rec := range map[string]*httptest.ResponseRecorder{"/Users/": u, "/Groups/": g} {
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			f.Fatal(err)
		}
		ids[path] = m["id"].(string)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for prefix, id := range ids {
			rec := do("PATCH", prefix+id, body)
			if rec.Code != 200 && rec.Code != 204 && rec.Code != 400 {
				t.Fatalf("PATCH %s%s %s: status %d: %s", prefix, id, body, rec.Code, rec.Body)
			}
			got := do("GET", prefix+id, "")
			if got.Code != 200 {
				t.Fatalf("GET after PATCH: %d %s", got.Code, got.Body)
			}
			if back := do("PUT", prefix+id, got.Body.String()); back.Code != 200 {
				t.Fatalf("the stored resource is no longer valid after PATCH %s: PUT of it gives %d %s", body, back.Code, back.Body)
			}
		}
	})
}
