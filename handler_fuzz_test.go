package scim_test

import (
	"bytes"
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
	// NUL and invalid UTF-8 in every parameter, and in every string of a
	// filter.
	for _, s := range scim.BadTextVariants(`emails[type eq "work" and value co "@example.com"] or userName eq "u1"`) {
		f.Add(s, "userName", "descending", "1", "10", "userName")
	}
	for _, tok := range []string{"\x00", "\xff", "\xed\xa0\x80"} {
		f.Add(`userName eq "u1"`, "userName"+tok, "descending", "1", "10", "userName")
		f.Add(`userName eq "u1"`, "userName", tok, "1", "10", "userName")
		f.Add(`userName eq "u1"`, "userName", "descending", "1"+tok, "10", "userName")
		f.Add(`userName eq "u1"`, "userName", "descending", "1", tok+"10", "userName")
		f.Add(`userName eq "u1"`, "userName", "descending", "1", "10", "userName,"+tok)
	}
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
			if rec.Code == 200 && scim.HasBadText(rec.Body.Bytes(), nil) {
				t.Fatalf("GET %s?%s: bad text in %q", path, q.Encode(), rec.Body)
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
		// NUL and invalid UTF-8 in every string of the request.
		for _, v := range scim.BadTextVariants(body) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		// A handler of its own per input, so that what is stored after
		// it comes from it alone.
		h, ids := newPatchFuzzHandler(t)
		for prefix, id := range ids {
			rec := doFuzz(h, "PATCH", prefix+id, body)
			if rec.Code != 200 && rec.Code != 204 && rec.Code != 400 {
				t.Fatalf("PATCH %s%s %s: status %d: %s", prefix, id, body, rec.Code, rec.Body)
			}
			if rec.Code == 200 {
				checkStoredText(t, h, []byte(body))
			}
			got := doFuzz(h, "GET", prefix+id, "")
			if got.Code != 200 {
				t.Fatalf("GET after PATCH: %d %s", got.Code, got.Body)
			}
			if back := doFuzz(h, "PUT", prefix+id, got.Body.String()); back.Code != 200 {
				t.Fatalf("the stored resource is no longer valid after PATCH %s: PUT of it gives %d %s", body, back.Code, back.Body)
			}
		}
	})
}

// doFuzz sends one request to h.
func doFuzz(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	h.ServeHTTP(rec, req)
	return rec
}

// newPatchFuzzHandler returns a handler over new stores holding one user
// and one group, and their ids by path prefix.
func newPatchFuzzHandler(t *testing.T) (http.Handler, map[string]string) {
	users, groups := memstore.New()
	// Members that name nothing are accepted, so that the fuzzer explores
	// PATCH on members rather than the member check.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers())
	do := func(method, path, body string) *httptest.ResponseRecorder { return doFuzz(h, method, path, body) }
	u := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"fuzz","active":true,
		"emails":[{"type":"home","value":"h@x.y","primary":true}],"name":{"familyName":"F"}}`)
	g := do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"fuzzers","members":[{"value":"u2"}]}`)
	if u.Code != 201 || g.Code != 201 {
		t.Fatalf("seeding: %d %d", u.Code, g.Code)
	}
	ids := map[string]string{}
	for path, rec := range map[string]*httptest.ResponseRecorder{"/Users/": u, "/Groups/": g} {
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		ids[path] = m["id"].(string)
	}
	return h, ids
}

// FuzzRequestText sends arbitrary request targets (path and query) and
// bodies with every method to a handler holding a user and a group: the
// answer is never a 500 (nor a panic), and after any 2xx nothing the
// handler serves holds NUL or invalid UTF-8. The seeds put NUL and invalid
// UTF-8, raw and escaped, in ids, query parameters and every string of
// POST, PUT and PATCH bodies of users and groups, and of /Bulk.
func FuzzRequestText(f *testing.F) {
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","name":{"givenName":"B"},"emails":[{"value":"b@x","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}`
	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"m","display":"d"}]}`
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"n@x"},{"op":"add","value":{"displayName":"D"}}]}`
	search := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"bob\"","attributes":["userName"]}`
	for _, seed := range []struct {
		method byte
		target string
		body   string
	}{{1, "Users", user}, {1, "Groups", group}, {2, "Users/{u}", user}, {2, "Groups/{g}", group},
		{3, "Users/{u}", patch}, {3, "Groups/{g}", patch}, {1, "Users/.search", search}, {1, ".search", search}} {
		f.Add(seed.method, seed.target, []byte(seed.body))
		for _, v := range scim.BadTextVariants(seed.body) {
			f.Add(seed.method, seed.target, []byte(v))
		}
	}
	for _, target := range []string{"Users/ab%00cd", "Groups/%FF", "Users/{u}%00", "Users/%ED%A0%80",
		"Users?filter=userName+eq+%22a%00%22", "Users?filter=userName+eq+%22%5Cu0000%22", "Groups?attributes=%FF",
		"Users?filter=userName+eq+%22a%22" + strings.Repeat("&", 200), "Users?filter=a%ZZ", "Users/{u}?excludedAttributes=%C0%80"} {
		for m := byte(0); m < 5; m++ {
			f.Add(m, target, []byte(user))
		}
	}
	f.Add(byte(1), "Bulk", []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":`+user+`},{"method":"PATCH","path":"/Groups/{g}","data":`+patch+`}]}`))
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	f.Fuzz(func(t *testing.T, method byte, target string, body []byte) {
		h, ids := newPatchFuzzHandler(t)
		target = strings.NewReplacer("{u}", ids["/Users/"], "{g}", ids["/Groups/"]).Replace(target)
		u, err := url.ParseRequestURI("/" + target)
		if err != nil {
			return
		}
		req := httptest.NewRequest(methods[int(method)%len(methods)], "/", bytes.NewReader(body))
		req.URL = u
		req.RequestURI = u.RequestURI()
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s /%s %q: status %d: %s", req.Method, target, body, rec.Code, rec.Body)
		}
		if rec.Code < 300 {
			checkStoredText(t, h, body)
		}
	})
}
