package storetest

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
)

// testGroupDisplayNames checks scim.GroupDisplayNameEnforcer, when the
// group store has it: with the rule in the context, a duplicate name
// (case-insensitively) is ErrConflict on Create and on a rename, a group
// keeps (and recases) its own name, concurrent creates of one name leave
// one group, and without the rule duplicates are stored; the rule is per
// tenant.
func testGroupDisplayNames(t *testing.T, e *env) {
	gn, ok := e.groups.(scim.GroupDisplayNameEnforcer)
	if !ok || !gn.EnforcesUniqueGroupDisplayNames() {
		t.Log("the group store does not implement scim.GroupDisplayNameEnforcer; nothing to check")
		return
	}
	ctx := scim.ContextWithUniqueGroupDisplayNames(e.ctx, true)
	sales, err := e.groups.Create(ctx, &scim.Group{DisplayName: "Sales"})
	require.NoError(t, err)
	_, err = e.groups.Create(ctx, &scim.Group{DisplayName: "SALES"})
	require.ErrorIs(t, err, scim.ErrConflict, "Create of a taken displayName")
	other, err := e.groups.Create(ctx, &scim.Group{DisplayName: "Other"})
	require.NoError(t, err)
	other.DisplayName = "sales"
	_, err = e.groups.Replace(ctx, other, "")
	require.ErrorIs(t, err, scim.ErrConflict, "rename to a taken displayName")
	sales.DisplayName = "SALES"
	_, err = e.groups.Replace(ctx, sales, "")
	require.NoError(t, err, "a group keeps its own name in another case")
	if e.tenantB != nil {
		_, err = e.groups.Create(scim.ContextWithUniqueGroupDisplayNames(e.tenantB, true), &scim.Group{DisplayName: "Sales"})
		require.NoError(t, err, "names are unique per tenant")
	}
	_, err = e.groups.Create(e.ctx, &scim.Group{DisplayName: "sales"})
	require.NoError(t, err, "without the rule in the context, duplicates are stored")

	var created atomic.Int32
	parallel(t, writers, func(i int) error {
		_, err := e.groups.Create(ctx, &scim.Group{DisplayName: "Race"})
		switch {
		case err == nil:
			created.Add(1)
		case !errors.Is(err, scim.ErrConflict):
			return errorf("Create %d: %w, want ErrConflict", i, err)
		}
		return nil
	})
	require.Equal(t, int32(1), created.Load(), "exactly one concurrent Create of a displayName must succeed")
}
