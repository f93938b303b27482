package scim_test

import (
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
	h := scim.NewHandler(users, groups)
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
