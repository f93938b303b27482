package sqlstore_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
)

// Bad input over HTTP, against every store: memstore, SQLite and
// PostgreSQL. What the handler refuses must be refused the same way
// whatever the store, with nothing stored and nothing logged as an error.

// badClient drives a handler over one pair of stores and records its log.
type badClient struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	log bytes.Buffer
}

func (c *badClient) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.Write(p)
}

// forEachStore runs f on a handler over memstore and over sqlstore on
// each dialect.
func forEachStore(t *testing.T, f func(t *testing.T, c *badClient), opts ...scim.Option) {
	run := func(t *testing.T, users scim.UserStore, groups scim.GroupStore) {
		c := &badClient{t: t}
		all := append([]scim.Option{scim.WithoutAuthentication(),
			scim.WithLogger(slog.New(slog.NewTextHandler(c, nil)))}, opts...)
		c.srv = httptest.NewServer(scim.NewHandler(users, groups, all...))
		t.Cleanup(c.srv.Close)
		f(t, c)
		c.mu.Lock()
		defer c.mu.Unlock()
		require.NotContains(t, c.log.String(), "level=ERROR", "nothing a client sends is an internal error")
	}
	t.Run("memstore", func(t *testing.T) {
		users, groups := memstore.New()
		run(t, users, groups)
	})
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		run(t, users, groups)
	})
}

type badResponse struct {
	status int
	body   map[string]any
	raw    string
}

func (c *badClient) do(method, path, body string) badResponse {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.srv.Client().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := badResponse{status: resp.StatusCode, raw: string(raw)}
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &r.body), "%s", raw)
	}
	return r
}

// must answers the request with status (and, for errors, scimType).
func (c *badClient) must(status int, scimType, method, path, body string) badResponse {
	c.t.Helper()
	r := c.do(method, path, body)
	require.Equal(c.t, status, r.status, "%s %s %.200s: %s", method, path, body, r.raw)
	if scimType != "" {
		require.Equal(c.t, scimType, r.body["scimType"], "%s %s %.200s: %s", method, path, body, r.raw)
	}
	return r
}

// create creates a resource and returns its id.
func (c *badClient) create(path, body string) string {
	c.t.Helper()
	r := c.must(http.StatusCreated, "", "POST", path, body)
	return r.body["id"].(string)
}

// total returns the totalResults of a list request.
func (c *badClient) total(path string) int {
	c.t.Helper()
	r := c.must(http.StatusOK, "", "GET", path, "")
	return int(r.body["totalResults"].(float64))
}

const (
	userSchema  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	groupSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	patchSchema = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	bulkSchema  = `"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]`
)

func patchOf(ops string) string { return `{` + patchSchema + `,"Operations":[` + ops + `]}` }

// TestBadTextIsRefusedEverywhere: NUL and invalid UTF-8 in any string of a
// request (bodies of every endpoint, paths, query parameters, filters)
// are 400, and nothing is stored.
func TestBadTextIsRefusedEverywhere(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		uid := c.create("/Users", `{`+userSchema+`,"userName":"alice","name":{"givenName":"A"},"emails":[{"value":"a@example.com","type":"work"}]}`)
		gid := c.create("/Groups", `{`+groupSchema+`,"displayName":"g"}`)
		bads := map[string]string{
			"NUL":         `a\u0000b`,
			"lone high":   `a\ud800b`,
			"lone low":    `a\udc00b`,
			"bad UTF-8":   "a\xffb",
			"overlong":    "a\xc0\x80b",
			"cut UTF-8":   "a\xe2\x82",
			"NUL at end":  `ab\u0000`,
			"high at end": `ab\ud83d`,
		}
		for name, s := range bads {
			syntax := "invalidValue"
			if !strings.HasPrefix(s, `a\u`) && !strings.HasPrefix(s, `ab\u`) {
				syntax = "invalidSyntax"
			}
			t.Run(name, func(t *testing.T) {
				c.must(400, syntax, "POST", "/Users", `{`+userSchema+`,"userName":"`+s+`"}`)
				c.must(400, syntax, "POST", "/Users", `{`+userSchema+`,"userName":"bob","name":{"familyName":"`+s+`"}}`)
				c.must(400, syntax, "POST", "/Users", `{`+userSchema+`,"userName":"bob","emails":[{"value":"`+s+`"}]}`)
				c.must(400, syntax, "POST", "/Users", `{`+userSchema+`,"userName":"bob","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"`+s+`"}}`)
				c.must(400, syntax, "POST", "/Users", `{`+userSchema+`,"userName":"bob","x`+s+`":"y"}`)
				c.must(400, syntax, "POST", "/Groups", `{`+groupSchema+`,"displayName":"`+s+`"}`)
				c.must(400, syntax, "POST", "/Groups", `{`+groupSchema+`,"displayName":"h","members":[{"value":"`+s+`"}]}`)
				c.must(400, syntax, "PUT", "/Users/"+uid, `{`+userSchema+`,"userName":"alice","title":"`+s+`"}`)
				c.must(400, syntax, "PUT", "/Groups/"+gid, `{`+groupSchema+`,"displayName":"`+s+`"}`)
				c.must(400, syntax, "PATCH", "/Users/"+uid, patchOf(`{"op":"replace","path":"nickName","value":"`+s+`"}`))
				c.must(400, syntax, "PATCH", "/Users/"+uid, patchOf(`{"op":"replace","value":{"displayName":"`+s+`"}}`))
				c.must(400, syntax, "PATCH", "/Users/"+uid, patchOf(`{"op":"replace","path":"emails[value eq \"`+s+`\"].type","value":"home"}`))
				c.must(400, syntax, "PATCH", "/Groups/"+gid, patchOf(`{"op":"add","path":"members","value":[{"value":"`+s+`"}]}`))
				searchType := syntax
				if syntax == "invalidValue" {
					searchType = "invalidFilter" // an escape in the filter member
				}
				c.must(400, searchType, "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"`+s+`\""}`)
				c.must(400, syntax, "POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName pr","sortBy":"`+s+`"}`)
				c.must(400, syntax, "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"POST","path":"/Users","bulkId":"1","data":{`+userSchema+`,"userName":"`+s+`"}}]}`)
				c.must(400, syntax, "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"DELETE","path":"/Users/`+s+`"}]}`)
			})
		}
		// In the URL: the path (an id) and every query parameter.
		for _, esc := range []string{"%00", "%FF", "%C0%80", "%ED%A0%80"} {
			c.must(400, "invalidValue", "GET", "/Users/ab"+esc+"cd", "")
			c.must(400, "invalidValue", "PUT", "/Users/ab"+esc+"cd", `{`+userSchema+`,"userName":"x"}`)
			c.must(400, "invalidValue", "PATCH", "/Groups/ab"+esc+"cd", patchOf(`{"op":"replace","path":"displayName","value":"x"}`))
			c.must(400, "invalidValue", "DELETE", "/Groups/ab"+esc+"cd", "")
			c.must(400, "invalidFilter", "GET", "/Users?filter=userName+eq+%22a"+esc+"%22", "")
			c.must(400, "invalidFilter", "GET", "/Groups?filter=displayName+co+%22"+esc+"%22", "")
			c.must(400, "invalidValue", "GET", "/Users?attributes=userName"+esc, "")
			c.must(400, "invalidValue", "GET", "/Users/"+uid+"?excludedAttributes=a"+esc, "")
			c.must(400, "invalidValue", "GET", "/Groups?sortBy=displayName"+esc, "")
			c.must(400, "invalidValue", "GET", "/Users?startIndex=1"+esc, "")
			c.must(400, "invalidValue", "GET", "/Users?whatever="+esc, "")
		}
		// In the path of a /Bulk operation, which does not go through the
		// request's own path check.
		for _, esc := range []string{"%00", "%FF", "%C0%80", "%ED%A0%80"} {
			for _, op := range []string{
				`{"method":"DELETE","path":"/Users/ab` + esc + `cd"}`,
				`{"method":"PUT","path":"/Groups/ab` + esc + `","data":{` + groupSchema + `,"displayName":"x"}}`,
				`{"method":"PATCH","path":"/Users/` + esc + `","data":` + patchOf(`{"op":"replace","path":"title","value":"x"}`) + `}`,
			} {
				r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[`+op+`]}`)
				res := r.body["Operations"].([]any)[0].(map[string]any)
				require.Equal(t, "400", res["status"], "%s: %v", op, res)
				require.Equal(t, "invalidValue", res["response"].(map[string]any)["scimType"], op)
			}
		}
		// JSON escapes inside a filter string.
		for _, esc := range []string{`\u0000`, `\ud800`, `\uDFFF`, `\ud800\u0041`} {
			c.must(400, "invalidFilter", "GET", "/Users?filter="+urlQuery(`userName eq "a`+esc+`"`), "")
			c.must(400, "invalidFilter", "GET", "/Users?filter="+urlQuery(`emails[value eq "`+esc+`"]`), "")
		}
		c.must(200, "", "GET", "/Users?filter="+urlQuery(`userName eq "a\ud83d\ude00"`), "")

		require.Equal(t, 1, c.total("/Users"), "nothing was stored")
		require.Equal(t, 1, c.total("/Groups"), "nothing was stored")
		r := c.must(200, "", "GET", "/Users/"+uid, "")
		require.Equal(t, "alice", r.body["userName"])
		require.Nil(t, r.body["title"])
		require.Nil(t, r.body["nickName"])
	})
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "+", `"`, "%22", "#", "%23", `\`, "%5C", "[", "%5B", "]", "%5D")
	return r.Replace(s)
}

// TestLongFilterValuesAreRefused: a compare value over
// scim.MaxFilterValueBytes is 400 invalidFilter on every store (SQLite
// cannot run a LIKE pattern over 50,000 bytes), and one at the limit runs.
func TestLongFilterValuesAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		uid := c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		for _, n := range []int{scim.MaxFilterValueBytes + 1, 60_000} {
			long := strings.Repeat("a", n)
			for _, op := range []string{"eq", "co", "sw", "ew"} {
				c.must(400, "invalidFilter", "GET", "/Users?filter=userName+"+op+"+%22"+long+"%22", "")
				c.must(400, "invalidFilter", "POST", "/Groups/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"members.value `+op+` \"`+long+`\""}`)
			}
			c.must(400, "invalidPath", "PATCH", "/Users/"+uid, patchOf(`{"op":"remove","path":"emails[value co \"`+long+`\"]"}`))
		}
		long := strings.Repeat("%", scim.MaxFilterValueBytes)
		require.Equal(t, 0, c.total("/Users?filter=userName+co+%22"+strings.ReplaceAll(long, "%", "%25")+"%22"))
	})
}

// TestTooManyQueryParametersAreRefused: a query string that url.ParseQuery
// would read as empty (or from which it would drop a filter) is 400, never
// a list of everything.
func TestTooManyQueryParametersAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		c.create("/Users", `{`+userSchema+`,"userName":"bob"}`)
		for _, n := range []int{scim.MaxQueryParameters, 2000, 10_000, 20_000} {
			c.must(400, "invalidValue", "GET", "/Users?filter=userName+eq+%22alice%22"+strings.Repeat("&", n), "")
			c.must(400, "invalidValue", "GET", "/Users?filter=userName+eq+%22alice%22"+strings.Repeat("&a=1", n), "")
			c.must(400, "invalidValue", "GET", "/Groups?"+strings.Repeat("&", n)+"filter=displayName+eq+%22x%22", "")
		}
		// Pairs url.ParseQuery skips: a bad escape, a raw ';'.
		c.must(400, "invalidFilter", "GET", "/Users?filter=userName+eq+%22alice%ZZ%22", "")
		c.must(400, "invalidFilter", "GET", "/Users?filter=userName+eq+%22a;b%22", "")
		c.must(400, "invalidValue", "GET", "/Users?count=1%G0", "")
		// Right below the limit everything is read.
		require.Equal(t, 1, c.total("/Users?filter=userName+eq+%22alice%22"+strings.Repeat("&", scim.MaxQueryParameters-1)))
		require.Equal(t, 1, c.total("/Users?filter=userName+eq+%22alice%22&aadOptscim062020&x=%ZZ"))
	})
}

// TestPatchOperationsAreLimited: a PATCH with more operations than
// WithMaxPatchOperations allows is 413, alone or inside /Bulk, and changes
// nothing; the limit is advertised.
func TestPatchOperationsAreLimited(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		uid := c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		gid := c.create("/Groups", `{`+groupSchema+`,"displayName":"g"}`)
		ops := func(n int, op string) string {
			return strings.TrimSuffix(strings.Repeat(op+",", n), ",")
		}
		nick := `{"op":"replace","path":"nickName","value":"Babs"}`
		c.must(200, "", "PATCH", "/Users/"+uid, patchOf(ops(5, nick)))
		c.must(413, "", "PATCH", "/Users/"+uid, patchOf(ops(6, `{"op":"replace","path":"title","value":"T"}`)))
		c.must(413, "", "PATCH", "/Groups/"+gid, patchOf(ops(6, `{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`)))
		r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"PATCH","path":"/Users/`+uid+`","data":`+
			patchOf(ops(6, `{"op":"replace","path":"title","value":"T"}`))+`}]}`)
		require.Equal(t, "413", r.body["Operations"].([]any)[0].(map[string]any)["status"])
		require.Nil(t, c.must(200, "", "GET", "/Users/"+uid, "").body["title"], "nothing was applied")
		spc := c.must(200, "", "GET", "/ServiceProviderConfig", "")
		require.Equal(t, 5.0, spc.body["patch"].(map[string]any)["maxOperations"])
	}, scim.WithMaxPatchOperations(5))
}

// TestManagerRefEscapesTheID: the $ref built from a manager's value
// escapes it as a URI path segment, on every store.
func TestManagerRefEscapesTheID(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		r := c.must(201, "", "POST", "/Users", `{`+userSchema+`,"userName":"alice",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"a b/c?d#e%f"}}}`)
		ent := r.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		require.True(t, strings.HasSuffix(ent["manager"].(map[string]any)["$ref"].(string), "/Users/a%20b%2Fc%3Fd%23e%25f"), "%v", ent)
	})
}

// TestWrongJSONTypesAreRefused: a value of the wrong JSON type is 400
// invalidValue on POST, PUT, PATCH and inside /Bulk, for users and groups,
// on every store, and nothing is stored; the documented identity-provider
// forms ("True"/"False" booleans, a bare-string manager, one item without
// an array in a PATCH) stay accepted.
func TestWrongJSONTypesAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		uid := c.create("/Users", `{`+userSchema+`,"userName":"alice","emails":[{"value":"a@example.com","type":"work"}]}`)
		gid := c.create("/Groups", `{`+groupSchema+`,"displayName":"g"}`)
		userAttrs := []string{
			`"emails":"a@example.com"`, `"emails":{"value":"a@example.com"}`, `"emails":["a@example.com"]`,
			`"emails":[["a@example.com"]]`, `"phoneNumbers":5`, `"phoneNumbers":"555"`, `"addresses":true`,
			`"roles":"admin"`, `"roles":["admin"]`, `"entitlements":"e"`, `"ims":"i"`, `"photos":"p"`,
			`"x509Certificates":"MIIB"`, `"name":"Alice"`, `"name":["Alice"]`, `"active":5`, `"active":"yes"`,
			`"active":[true]`, `"nickName":5`, `"nickName":{"value":"x"}`, `"nickName":["x"]`, `"title":true`,
			`"emails":[{"value":5}]`, `"emails":[{"primary":"yes","value":"x"}]`,
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":5}`,
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":["a","b"]}`,
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":7}`,
		}
		for _, attr := range userAttrs {
			c.must(400, "invalidValue", "POST", "/Users", `{`+userSchema+`,"userName":"bob",`+attr+`}`)
			c.must(400, "invalidValue", "PUT", "/Users/"+uid, `{`+userSchema+`,"userName":"alice",`+attr+`}`)
			c.must(400, "invalidValue", "PATCH", "/Users/"+uid, patchOf(`{"op":"replace","value":{`+attr+`}}`))
			// With a path naming a multi-valued attribute, one item
			// without an array is accepted (see below); a path-less value
			// is a partial resource, whose arrays are arrays.
			k, v, _ := strings.Cut(attr, ":")
			if !strings.HasPrefix(attr, `"urn:`) && attr != `"emails":{"value":"a@example.com"}` {
				c.must(400, "invalidValue", "PATCH", "/Users/"+uid, patchOf(`{"op":"add","path":`+k+`,"value":`+v+`}`))
			}
			r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"POST","path":"/Users","bulkId":"1","data":{`+userSchema+`,"userName":"bob",`+attr+`}}]}`)
			require.Equal(t, "400", r.body["Operations"].([]any)[0].(map[string]any)["status"], attr)
		}
		for _, op := range []string{
			`{"op":"add","path":"emails[type eq \"home\"]","value":"b@example.com"}`,
			`{"op":"replace","path":"emails[type eq \"work\"]","value":"b@example.com"}`,
			`{"op":"add","path":"emails[type eq \"home\"].value","value":5}`,
		} {
			c.must(400, "invalidValue", "PATCH", "/Users/"+uid, patchOf(op))
		}
		groupAttrs := []string{
			`"members":"` + uid + `"`, `"members":["` + uid + `"]`, `"members":{"value":"` + uid + `"}`,
			`"members":5`, `"members":[{"value":5}]`, `"displayName":5`, `"displayName":["g"]`, `"externalId":{"value":"e"}`,
		}
		for _, attr := range groupAttrs {
			c.must(400, "invalidValue", "POST", "/Groups", `{`+groupSchema+`,"displayName":"h",`+strings.Replace(attr, `"displayName":`, `"externalId":`, 1)+`}`)
			c.must(400, "invalidValue", "PUT", "/Groups/"+gid, `{`+groupSchema+`,"displayName":"g",`+strings.Replace(attr, `"displayName":`, `"externalId":`, 1)+`}`)
			c.must(400, "invalidValue", "PATCH", "/Groups/"+gid, patchOf(`{"op":"replace","value":{`+attr+`}}`))
			if k, v, _ := strings.Cut(attr, ":"); !strings.HasPrefix(attr, `"members":{`) {
				c.must(400, "invalidValue", "PATCH", "/Groups/"+gid, patchOf(`{"op":"add","path":`+k+`,"value":`+v+`}`))
			}
			r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"PATCH","path":"/Groups/`+gid+`","data":`+
				patchOf(`{"op":"replace","value":{`+attr+`}}`)+`}]}`)
			require.Equal(t, "400", r.body["Operations"].([]any)[0].(map[string]any)["status"], attr)
		}
		require.Equal(t, 1, c.total("/Users"))
		require.Equal(t, 1, c.total("/Groups"))
		r := c.must(200, "", "GET", "/Users/"+uid, "")
		require.Len(t, r.body["emails"], 1)
		require.Nil(t, r.body["phoneNumbers"])
		require.Empty(t, c.must(200, "", "GET", "/Groups/"+gid, "").body["members"])

		// What identity providers send stays accepted.
		ent := `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
		r = c.must(201, "", "POST", "/Users", `{`+userSchema+`,"userName":"carol","active":"False",`+ent+`:{"manager":"`+uid+`"}}`)
		cid := r.body["id"].(string)
		require.Equal(t, false, r.body["active"])
		require.Equal(t, uid, r.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["manager"].(map[string]any)["value"])
		c.must(200, "", "PATCH", "/Users/"+cid, patchOf(`{"op":"Replace","path":"active","value":"True"},
			{"op":"Add","path":`+ent[:len(ent)-1]+`:manager","value":"`+uid+`"},
			{"op":"add","path":"emails","value":{"value":"c@example.com","type":"work"}},
			{"op":"add","path":"manager","value":[{"$ref":null,"value":"`+uid+`"}]}`))
		r = c.must(200, "", "GET", "/Users/"+cid, "")
		require.Equal(t, true, r.body["active"])
		require.Len(t, r.body["emails"], 1)
		// A member-only PATCH answers 204 by default.
		c.must(204, "", "PATCH", "/Groups/"+gid, patchOf(`{"op":"add","path":"members","value":{"value":"`+uid+`"}}`))
		require.Len(t, c.must(200, "", "GET", "/Groups/"+gid, "").body["members"], 1)
	})
}
