package storetest

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

func testTenantIsolation(t *testing.T, e *env) {
	if e.tenantB == nil {
		t.Skip("storetest: tenant isolation not checked; pass storetest.WithTenants to check it")
	}
	a, b := e.ctx, e.tenantB
	alice, err := e.users.Create(a, e.user("alice"))
	require.NoError(t, err)
	g, err := e.groups.Create(a, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{e.member(alice)}})
	require.NoError(t, err)

	// Tenant B sees nothing of tenant A.
	_, err = e.users.Get(b, alice.ID, scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = e.groups.Get(b, g.ID, scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	up, err := e.users.List(b, all())
	require.NoError(t, err)
	require.Zero(t, up.TotalResults)
	require.Empty(t, up.Resources)
	gp, err := e.groups.List(b, all())
	require.NoError(t, err)
	require.Zero(t, gp.TotalResults)
	require.Empty(t, gp.Resources)

	// Nor can it change or delete it.
	evil := e.withLabel(alice, "changed by B")
	_, err = e.replaceUser(b, evil, "")
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = e.replaceUser(b, evil, alice.Meta.Version)
	require.ErrorIs(t, err, scim.ErrNotFound)
	require.ErrorIs(t, e.users.Delete(b, alice.ID, ""), scim.ErrNotFound)
	eg := *g
	eg.Members = nil
	_, err = e.replaceGroup(b, &eg, "")
	require.ErrorIs(t, err, scim.ErrNotFound)
	require.ErrorIs(t, e.groups.Delete(b, g.ID, ""), scim.ErrNotFound)
	if mp, ok := e.groups.(scim.MemberPatcher); ok {
		_, err = mp.PatchMembers(b, g.ID, nil, []string{alice.ID}, "")
		require.ErrorIs(t, err, scim.ErrNotFound)
	}
	got, err := e.users.Get(a, alice.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, "User alice", e.labelOf(got))
	require.Equal(t, alice.Meta.Version, got.Meta.Version)
	ga, err := e.groups.Get(a, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{alice.ID}, memberValues(ga))

	// userName is unique per tenant: B may have its own alice.
	bAlice, err := e.users.Create(b, e.user("ALICE"))
	require.NoError(t, err, "the same userName in another tenant")
	require.NotEqual(t, alice.ID, bAlice.ID)
	_, err = e.users.Create(b, e.user("alice"))
	require.ErrorIs(t, err, scim.ErrConflict)
	up, err = e.users.List(a, all())
	require.NoError(t, err)
	require.Equal(t, []string{alice.ID}, userIDs(up.Resources))
	up, err = e.users.List(b, all())
	require.NoError(t, err)
	require.Equal(t, []string{bAlice.ID}, userIDs(up.Resources))

	// A group of B that names A's user as a member does not reach A: the
	// store keeps the member out of A's sight, or refuses it with a
	// *scim.Error (400 invalidValue, as for a member that names no user).
	bg, err := e.groups.Create(b, e.sendGroup(&scim.Group{DisplayName: "B team", Members: e.members(alice, bAlice)}))
	if err != nil {
		var se *scim.Error
		require.ErrorAs(t, err, &se, "a store that refuses another tenant's user as a member says why with a *scim.Error")
		require.Equal(t, 400, se.Status, "%v", se)
		bg, err = e.groups.Create(b, e.sendGroup(&scim.Group{DisplayName: "B team", Members: e.members(bAlice)}))
	}
	require.NoError(t, err)
	got, err = e.users.Get(a, alice.ID, scim.ReadOptions{})
	require.NoError(t, err)
	e.requireGroups(t, got, ref(g.ID, "Admins"))
	got, err = e.users.Get(b, bAlice.ID, scim.ReadOptions{})
	require.NoError(t, err)
	e.requireGroups(t, got, ref(bg.ID, "B team"))

	// Deleting in B leaves A alone.
	require.NoError(t, e.users.Delete(b, bAlice.ID, ""))
	require.NoError(t, e.groups.Delete(b, bg.ID, ""))
	ga, err = e.groups.Get(a, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{alice.ID}, memberValues(ga))

	// Filtered lookups, as identity providers make them, stay in the tenant.
	bAlice, err = e.users.Create(b, e.user("alice"))
	require.NoError(t, err)
	q := all()
	q.Filter = userFilter(t, `userName eq "alice"`)
	up, err = e.users.List(b, q)
	require.NoError(t, err)
	require.Equal(t, []string{bAlice.ID}, userIDs(up.Resources))
	q.Filter = userFilter(t, `id eq "`+alice.ID+`"`)
	up, err = e.users.List(b, q)
	require.NoError(t, err)
	require.Zero(t, up.TotalResults)
	q.Filter = groupFilter(t, `id eq "`+g.ID+`" and members eq "`+alice.ID+`"`)
	gp, err = e.groups.List(b, q)
	require.NoError(t, err)
	require.Zero(t, gp.TotalResults)
	gp, err = e.groups.List(a, q)
	require.NoError(t, err)
	require.Equal(t, 1, gp.TotalResults)
}
