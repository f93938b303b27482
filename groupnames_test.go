package scim_test

import (
	"net/http"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

// plainGroups hides every optional capability of the store it wraps, as a
// store of an application's own would lack them.
type plainGroups struct{ scim.GroupStore }

// A store without GroupDisplayNameEnforcer still gets unique displayNames:
// the handler looks the name up before the write.
func TestUniqueGroupDisplayNamesWithoutStoreSupport(t *testing.T) {
	users, groups := memstore.New()
	c := newClientFor(t, users, plainGroups{groups})
	const g = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`
	require.Equal(t, http.StatusCreated, c.do("POST", "/Groups", g).status)
	requireError(t, c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"SALES"}`), 409, "uniqueness")
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Other"}`)
	require.Equal(t, http.StatusCreated, r.status)
	id := r.json["id"].(string)
	requireError(t, c.do("PUT", "/Groups/"+id, g), 409, "uniqueness")
	require.Equal(t, http.StatusOK, c.do("PUT", "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"other"}`).status)

	users, groups = memstore.New()
	c = newClientFor(t, users, plainGroups{groups}, scim.WithoutUniqueGroupDisplayNames())
	require.Equal(t, http.StatusCreated, c.do("POST", "/Groups", g).status)
	require.Equal(t, http.StatusCreated, c.do("POST", "/Groups", g).status)
}

// The rule travels in the context, so a store used without the handler
// applies it only when asked.
func TestUniqueGroupDisplayNamesContext(t *testing.T) {
	ctx := t.Context()
	require.False(t, scim.UniqueGroupDisplayNamesFromContext(ctx))
	require.True(t, scim.UniqueGroupDisplayNamesFromContext(scim.ContextWithUniqueGroupDisplayNames(ctx, true)))
	_, groups := memstore.New()
	_, err := groups.Create(ctx, &scim.Group{DisplayName: "a"})
	require.NoError(t, err)
	_, err = groups.Create(ctx, &scim.Group{DisplayName: "A"})
	require.NoError(t, err, "not asked: duplicates are stored")
	_, err = groups.Create(scim.ContextWithUniqueGroupDisplayNames(ctx, true), &scim.Group{DisplayName: "a"})
	require.ErrorIs(t, err, scim.ErrConflict)
}
