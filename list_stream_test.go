package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedGroups creates n groups of the given sizes (cycled), whose members
// are users of the store, and returns the group ids in creation order.
func seedGroups(t *testing.T, c *client, n int, sizes ...int) []string {
	t.Helper()
	uids := seedUsers(t, c, 10)
	ids := make([]string, n)
	for i := range n {
		var ms []string
		for k := range sizes[i%len(sizes)] {
			ms = append(ms, `{"value":"`+uids[k]+`"}`)
		}
		r := c.do("POST", "/Groups", fmt.Sprintf(`{%s,"displayName":"g%02d","members":[%s]}`, groupSchemaJSON, i, strings.Join(ms, ",")))
		require.Equal(t, 201, r.status, "%s", r.body)
		ids[i] = r.json["id"].(string)
	}
	return ids
}

// A page of groups that shows members ends once it carries the member
// budget; itemsPerPage says how many groups it holds, and paging on from
// startIndex + itemsPerPage visits every group exactly once.
func TestGroupPageBoundedByMembers(t *testing.T) {
	c := newClient(t, scim.WithMaxPageMembers(5))
	ids := seedGroups(t, c, 7, 3, 0, 9, 1)
	var seen []string
	var pages [][2]int
	for start := 1; ; {
		r := c.do("GET", fmt.Sprintf("/Groups?startIndex=%d&count=4", start), "")
		require.Equal(t, 200, r.status, "%s", r.body)
		require.EqualValues(t, 7, r.json["totalResults"])
		require.EqualValues(t, start, r.json["startIndex"])
		res := r.json["Resources"].([]any)
		items := int(r.json["itemsPerPage"].(float64))
		require.Equal(t, len(res), items, "itemsPerPage tells the truth")
		members := 0
		for _, x := range res {
			g := x.(map[string]any)
			seen = append(seen, g["id"].(string))
			m, _ := g["members"].([]any)
			members += len(m)
		}
		pages = append(pages, [2]int{items, members})
		if items == 0 || start+items > 7 {
			break
		}
		start += items
	}
	assert.Equal(t, ids, seen, "every group once, in order")
	// Sizes 3,0,9,1,3,0,9: a page ends once it holds 5 members or more
	// (3+0+9), or count groups (1+3+0+9).
	assert.Equal(t, [][2]int{{3, 12}, {4, 13}}, pages)

	// Without members in the response, count alone bounds the page.
	r := c.do("GET", "/Groups?count=7&excludedAttributes=members", "")
	assert.EqualValues(t, 7, r.json["itemsPerPage"])
	// A filter on members, with members shown.
	r = c.do("GET", "/Groups?count=7&filter="+strings.ReplaceAll(`members pr`, " ", "%20"), "")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.EqualValues(t, 5, r.json["totalResults"])
	assert.EqualValues(t, 2, r.json["itemsPerPage"], "3 and 9 members")
}

// countingWriter records the writes of a response.
type countingWriter struct {
	*httptest.ResponseRecorder
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.ResponseRecorder.Write(p)
}

// A large list is written in pieces as it is encoded, not built whole; it
// is the same JSON.
func TestListStreamed(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithMaxPageMembers(1<<20))
	do := func(target string) *countingWriter {
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		return w
	}
	var ms []string
	for i := range 300 {
		r := httptest.NewRecorder()
		h.ServeHTTP(r, jsonRequest("POST", "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user%03d@example.com"}`, i)))
		require.Equal(t, 201, r.Code)
		var u map[string]any
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &u))
		ms = append(ms, `{"value":"`+u["id"].(string)+`"}`)
	}
	for i := range 20 {
		r := httptest.NewRecorder()
		h.ServeHTTP(r, jsonRequest("POST", "/Groups", fmt.Sprintf(`{%s,"displayName":"g%02d","members":[%s]}`, groupSchemaJSON, i, strings.Join(ms, ","))))
		require.Equal(t, 201, r.Code, r.Body.String())
	}
	// Pages of users lent by the store are encoded while the store holds
	// its lock, so they are buffered (bounded by count) and then written.
	for _, target := range []string{"/Groups", "/Groups?filter=displayName%20sw%20%22g%22", "/?count=400"} {
		w := do(target)
		require.Equal(t, 200, w.Code)
		assert.Greater(t, w.writes, 1, "%s: written in pieces", target)
		assert.Equal(t, "application/scim+json", w.Header().Get("Content-Type"))
		var lr struct {
			TotalResults int              `json:"totalResults"`
			ItemsPerPage int              `json:"itemsPerPage"`
			Resources    []map[string]any `json:"Resources"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &lr), target)
		assert.Equal(t, len(lr.Resources), lr.ItemsPerPage, target)
	}
	// A small list still goes out at once, with its length.
	w := do("/Groups?count=1&attributes=displayName")
	assert.Equal(t, 1, w.writes)
}

func jsonRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/scim+json")
	return r
}

// A page sorted by members.value still comes whole and in order.
func TestGroupPageSortedByMembers(t *testing.T) {
	c := newClient(t, scim.WithMaxPageMembers(100))
	seedGroups(t, c, 4, 2, 1)
	r := c.do("GET", "/Groups?sortBy=members.value&sortOrder=descending", "")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.EqualValues(t, 4, r.json["itemsPerPage"])
	for _, x := range r.json["Resources"].([]any) {
		assert.NotEmpty(t, x.(map[string]any)["members"])
	}
}
