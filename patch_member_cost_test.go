package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
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
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
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
