package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A PATCH that adds a member and asks for the group without its members
// costs the same whatever the group's size: the handler neither reads nor
// encodes the member list.
func TestPatchAddMemberWithoutMembersIsConstantCost(t *testing.T) {
	const size = 20000
	users, groups := memstore.New()
	members := make([]scim.MultiValue, size)
	for i := range members {
		members[i] = scim.MultiValue{Value: fmt.Sprintf("member-%06d", i)}
	}
	g, err := groups.Create(context.Background(), &scim.Group{DisplayName: "Everyone", Members: members})
	require.NoError(t, err)
	// The members are not users: only the cost of a PATCH is measured.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers(), scim.WithRequestLog(dumpRecords))
	patch := func(i int) *httptest.ResponseRecorder {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"new-` + fmt.Sprint(i) + `"}]}]}`
		req := httptest.NewRequest(http.MethodPatch, "/Groups/"+g.ID+"?excludedAttributes=members", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := patch(0)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var doc map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	require.Equal(t, "Everyone", doc["displayName"])
	require.NotContains(t, doc, "members")
	require.NotEqual(t, g.Meta.Version, rec.Header().Get("ETag"))

	var before, after runtime.MemStats
	const n = 50
	runtime.ReadMemStats(&before)
	for i := 1; i <= n; i++ {
		require.Equal(t, http.StatusOK, patch(i).Code)
	}
	runtime.ReadMemStats(&after)
	perPatch := (after.TotalAlloc - before.TotalAlloc) / n
	require.Less(t, perPatch, uint64(64<<10), "a PATCH allocates %d bytes on a group of %d (its member list alone is %d)", perPatch, size, size*72)

	got, err := groups.Get(context.Background(), g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, got.Members, size+n+1)
}

func TestConcurrentMemberPatches(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c, 50)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"big"}`)
	gid := r.json["id"].(string)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body string
			if i < 25 {
				body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"` + ids[i] + `"}]}]}`
			} else {
				// Half rename the group while the others add members: the
				// rename takes the read-modify-write path.
				body = fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"%s","displayName":"big-%d"}},{"op":"add","path":"members","value":[{"value":"%s"}]}]}`, gid, i, ids[i])
			}
			r := c.do("PATCH", "/Groups/"+gid+"?excludedAttributes=members", body)
			assert.Equal(t, 200, r.status, "%s", r.body)
		}()
	}
	wg.Wait()
	r = c.do("GET", "/Groups/"+gid, "")
	members := r.json["members"].([]any)
	assert.Len(t, members, 50, "no member added concurrently may be lost")
	assert.True(t, strings.HasPrefix(r.json["displayName"].(string), "big-"))
}

// Entra ID writes a manager as a bare id in a second pass, then checks it
// with an unqualified "manager eq" filter.
func TestEntraManagerReference(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c, 2)
	r := c.do("PATCH", "/Users/"+ids[1], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+ids[0]+`"}]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	mgr := r.json["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["manager"].(map[string]any)
	assert.Equal(t, ids[0], mgr["value"], "read back in RFC form, never a bare string")

	r = get(c, "/Users", "filter", `id eq "`+ids[1]+`" and manager eq "`+ids[0]+`"`, "attributes", "id")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 1.0, r.json["totalResults"])
	assert.Equal(t, 0.0, get(c, "/Users", "filter", `id eq "`+ids[0]+`" and manager eq "`+ids[0]+`"`).json["totalResults"])

	// The old documented form: path "manager" with a one-element array.
	r = c.do("PATCH", "/Users/"+ids[0], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Add","path":"manager","value":[{"$ref":null,"value":"`+ids[1]+`"}]}]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	mgr = r.json["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["manager"].(map[string]any)
	assert.Equal(t, ids[1], mgr["value"])
}
