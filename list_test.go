package scim_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func userBody(i int, extra string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user%02d@example.com",
		"name":{"givenName":"G%02d","familyName":"F%02d"},"active":%t,"title":"t%d",
		"emails":[{"type":"work","value":"user%02d@example.com","primary":true},{"type":"home","value":"u%02d@home.example.org"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d"}%s}`,
		i, i, 25-i, i%2 == 0, i%3, i, i, 100+i, extra)
}

func seedUsers(t *testing.T, c *client, n int) []string {
	ids := make([]string, n)
	for i := range n {
		r := c.do("POST", "/Users", userBody(i, ""))
		require.Equal(t, 201, r.status, "%s", r.body)
		ids[i] = r.json["id"].(string)
	}
	return ids
}

func names(r *response) []string {
	var out []string
	for _, x := range r.json["Resources"].([]any) {
		if u, ok := x.(map[string]any)["userName"].(string); ok {
			out = append(out, u)
		} else {
			out = append(out, x.(map[string]any)["displayName"].(string))
		}
	}
	return out
}

func get(c *client, path string, params ...string) *response {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return c.do("GET", path+"?"+q.Encode(), "")
}

func TestPagination(t *testing.T) {
	c := newClient(t, scim.WithMaxResults(10))
	seedUsers(t, c, 25)
	seen := map[string]bool{}
	for start := 1; start <= 25; start += 7 {
		r := get(c, "/Users", "startIndex", fmt.Sprint(start), "count", "7")
		require.Equal(t, 200, r.status)
		assert.Equal(t, 25.0, r.json["totalResults"])
		assert.Equal(t, float64(start), r.json["startIndex"])
		page := names(r)
		assert.Equal(t, float64(len(page)), r.json["itemsPerPage"])
		for _, n := range page {
			assert.False(t, seen[n], "%s seen twice", n)
			seen[n] = true
		}
	}
	assert.Len(t, seen, 25)

	r := get(c, "/Users", "count", "0")
	assert.Equal(t, 25.0, r.json["totalResults"])
	assert.Equal(t, []any{}, r.json["Resources"])
	r = get(c, "/Users", "count", "-3", "startIndex", "-9")
	assert.Equal(t, 1.0, r.json["startIndex"])
	assert.Equal(t, 0.0, r.json["itemsPerPage"])
	r = get(c, "/Users", "count", "500")
	assert.Equal(t, 10.0, r.json["itemsPerPage"], "count is clamped to WithMaxResults")
	r = get(c, "/Users", "startIndex", "26")
	assert.Equal(t, []any{}, r.json["Resources"])
	assert.Equal(t, 25.0, r.json["totalResults"])
}

func TestSortingOverHTTP(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c, 5)
	r := get(c, "/Users", "sortBy", "name.familyName")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, []string{"user04@example.com", "user03@example.com", "user02@example.com", "user01@example.com", "user00@example.com"}, names(r))
	r = get(c, "/Users", "sortBy", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "sortOrder", "descending")
	assert.Equal(t, []string{"user04@example.com", "user03@example.com", "user02@example.com", "user01@example.com", "user00@example.com"}, names(r))
	r = get(c, "/Users", "sortBy", "USERNAME", "sortOrder", "Descending", "count", "2")
	assert.Equal(t, []string{"user04@example.com", "user03@example.com"}, names(r))
	requireError(t, get(c, "/Users", "sortBy", "nope"), 400, "")
	requireError(t, get(c, "/Users", "sortBy", "userName", "sortOrder", "sideways"), 400, "invalidValue")
}

func TestFiltersOverHTTP(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c, 6)
	cases := map[string][]string{
		`userName eq "USER03@example.com"`:                                                        {"user03@example.com"},
		`userName Eq "user03@example.com"`:                                                        {"user03@example.com"},
		`UserName sw "user0" and active eq false`:                                                 {"user01@example.com", "user03@example.com", "user05@example.com"},
		`emails[type eq "work" and value co "03@"]`:                                               {"user03@example.com"},
		`emails[type eq "work"].value eq "user04@example.com"`:                                    {"user04@example.com"},
		`emails co "home.example.org" and title eq "t2"`:                                          {"user02@example.com", "user05@example.com"},
		`name.familyName eq F24 and (emails.value co example.com or emails.value co example.org)`: {"user01@example.com"},
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "102"`:      {"user02@example.com"},
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user00@example.com"`:             {"user00@example.com"},
		`id eq "` + ids[5] + `"`:                                                                  {"user05@example.com"},
		`not (title pr) or title eq "t1"`:                                                         {"user01@example.com", "user04@example.com"},
		`meta.created gt "2000-01-01T00:00:00Z"`:                                                  {"user00@example.com", "user01@example.com", "user02@example.com", "user03@example.com", "user04@example.com", "user05@example.com"},
		`meta.lastModified lt "2000-01-01T00:00:00Z"`:                                             nil,
	}
	for f, want := range cases {
		r := get(c, "/Users", "filter", f)
		require.Equal(t, 200, r.status, "%s: %s", f, r.body)
		assert.ElementsMatch(t, want, names(r), f)
		assert.Equal(t, float64(len(want)), r.json["totalResults"], f)
	}
	for _, f := range []string{`userName eq`, `nope eq "x"`, `active gt true`, `meta.created gt 5`, `userName eq "a" and`, `emails[type eq "work"`, `password eq "x"`} {
		requireError(t, get(c, "/Users", "filter", f), 400, "invalidFilter")
	}
}

func TestProjectionOverHTTP(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c, 1)
	r := get(c, "/Users/"+ids[0], "attributes", "userName,name.givenName,URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber")
	require.Equal(t, 200, r.status)
	assert.ElementsMatch(t, []string{"schemas", "id", "userName", "name", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}, keys(r.json))
	assert.Equal(t, map[string]any{"givenName": "G00"}, r.json["name"])

	r = get(c, "/Users/"+ids[0], "excludedAttributes", "emails,name.familyName,meta,id")
	assert.NotContains(t, r.json, "emails")
	assert.NotContains(t, r.json, "meta")
	assert.Contains(t, r.json, "id", "id is returned always")
	assert.Equal(t, map[string]any{"givenName": "G00"}, r.json["name"])

	r = get(c, "/Users", "filter", `userName eq "user00@example.com"`, "attributes", "emails[type eq \"work\"]")
	res := r.json["Resources"].([]any)[0].(map[string]any)
	assert.ElementsMatch(t, []string{"schemas", "id", "emails"}, keys(res))

	// Projection applies to write responses too.
	r = c.do("POST", "/Users?attributes=userName", userBody(7, ""))
	require.Equal(t, 201, r.status)
	assert.ElementsMatch(t, []string{"schemas", "id", "userName"}, keys(r.json))
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSearchEndpoints(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c, 3)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"user-group"}`)
	require.Equal(t, 201, r.status)

	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":["userName"],
		"filter":"userName sw \"user0\"","sortBy":"userName","sortOrder":"descending","startIndex":1,"count":2}`
	r = c.do("POST", "/Users/.search", body)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 3.0, r.json["totalResults"])
	assert.Equal(t, []string{"user02@example.com", "user01@example.com"}, names(r))
	assert.ElementsMatch(t, []string{"schemas", "id", "userName"}, keys(r.json["Resources"].([]any)[0].(map[string]any)))

	requireError(t, c.do("POST", "/Users/.search", `{"filter":"userName pr"}`), 400, "invalidSyntax")
	requireError(t, c.do("GET", "/Users/.search", ""), 405, "")

	// The root search spans both types and says which each is.
	r = c.do("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"startIndex":3,"count":2}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 4.0, r.json["totalResults"])
	res := r.json["Resources"].([]any)
	require.Len(t, res, 2)
	assert.Equal(t, "User", res[0].(map[string]any)["meta"].(map[string]any)["resourceType"])
	assert.Equal(t, "Group", res[1].(map[string]any)["meta"].(map[string]any)["resourceType"])

	r = c.do("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"displayName sw \"user-\""}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, []string{"user-group"}, names(r), "userName-free filters still match groups")
	requireError(t, c.do("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"bogus eq 1"}`), 400, "invalidFilter")
}

func TestEntraGroupQueries(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c, 2)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{"value":"`+ids[0]+`"}]}`)
	require.Equal(t, 201, r.status)
	gid := r.json["id"].(string)

	check := func(uid string) *response {
		return get(c, "/Groups", "filter", `id eq "`+gid+`" and members eq "`+uid+`"`, "excludedAttributes", "members")
	}
	r = check(ids[0])
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 1.0, r.json["totalResults"])
	assert.NotContains(t, r.json["Resources"].([]any)[0], "members")
	assert.Equal(t, 0.0, check(ids[1]).json["totalResults"])

	r = get(c, "/Groups", "excludedAttributes", "members", "filter", `displayName eq "sales"`)
	assert.Equal(t, 1.0, r.json["totalResults"])
	r = get(c, "/Groups", "filter", `members[value eq "`+ids[0]+`"]`, "attributes", "id")
	assert.Equal(t, 1.0, r.json["totalResults"])
	assert.ElementsMatch(t, []string{"schemas", "id"}, keys(r.json["Resources"].([]any)[0].(map[string]any)))
}

// RFC 7644 §3.4.2.2 filters on "schemas"; each becomes a test on the
// attributes of the schema it names.
func TestSchemasFilter(t *testing.T) {
	c := newClient(t, scim.WithUserExtension(acme))
	seedUsers(t, c, 2) // both have the enterprise extension
	r := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"plain"}`)
	require.Equal(t, 201, r.status)
	r = c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"acme",
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"costCenter":"C1"}}`)
	require.Equal(t, 201, r.status)
	cases := map[string][]string{
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`: {"user00@example.com", "user01@example.com"},
		`schemas eq "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"`:                 {"user00@example.com", "user01@example.com", "plain", "acme"},
		`schemas ne "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`: {"plain", "acme"},
		`schemas co "acme"`:              {"acme"},
		`schemas eq "urn:nope"`:          nil,
		`schemas pr and userName sw "p"`: {"plain"},
	}
	for f, want := range cases {
		r := get(c, "/Users", "filter", f)
		require.Equal(t, 200, r.status, "%s: %s", f, r.body)
		assert.ElementsMatch(t, want, names(r), f)
	}
	requireError(t, get(c, "/Users", "filter", `schemas gt "a"`), 400, "invalidFilter")
	requireError(t, get(c, "/Users", "filter", `schemas eq 5`), 400, "invalidFilter")
}

// Every example filter of RFC 7644 §3.4.2.2 is accepted.
func TestRFCFilterExamples(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c, 2)
	for _, f := range []string{
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`userName sw "J"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`,
		`meta.lastModified lt "2011-05-13T04:42:34Z"`,
		`meta.lastModified le "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`title pr or userType eq "Intern"`,
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and (emails.type eq "work")`,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	} {
		r := get(c, "/Users", "filter", f)
		assert.Equal(t, 200, r.status, "%s: %s", f, r.body)
	}
	r := get(c, "/Users", "filter", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`)
	assert.Equal(t, 0.0, r.json["totalResults"], "both users have example.com emails")
	r = get(c, "/Users", "filter", `title pr or userType eq "Intern"`)
	assert.Equal(t, 2.0, r.json["totalResults"])
}
