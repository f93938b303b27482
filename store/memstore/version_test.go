package memstore_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

// One tenant's versions must not depend on another tenant's writes: with a
// shared counter, a tenant could read the others' write activity off the
// gaps between its own ETags.
func TestVersionsPerTenant(t *testing.T) {
	versions := func(otherWrites int) []string {
		users, groups := memstore.New()
		a := scim.ContextWithTenant(context.Background(), "a")
		b := scim.ContextWithTenant(context.Background(), "b")
		var got []string
		u, err := users.Create(a, &scim.User{UserName: "alice"})
		require.NoError(t, err)
		got = append(got, u.Meta.Version)
		for i := range otherWrites {
			_, err := users.Create(b, &scim.User{UserName: "bob" + strconv.Itoa(i)})
			require.NoError(t, err)
			_, err = groups.Create(b, &scim.Group{DisplayName: "g" + strconv.Itoa(i)})
			require.NoError(t, err)
		}
		u.UserName = "alice2"
		u, err = users.Replace(a, u, "")
		require.NoError(t, err)
		got = append(got, u.Meta.Version)
		g, err := groups.Create(a, &scim.Group{DisplayName: "team"})
		require.NoError(t, err)
		return append(got, g.Meta.Version)
	}
	quiet, busy := versions(0), versions(25)
	require.Equal(t, quiet, busy, "tenant a's versions changed with tenant b's writes")
	require.NotEqual(t, busy[0], busy[1], "a write gives a new version")
}
