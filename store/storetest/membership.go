package storetest

import (
	"testing"

	"github.com/scimkit/scim"
)

func testMembership(t *testing.T, e *env) {
	alice := e.createUser(t, user("alice"))
	bob := e.createUser(t, user("bob"))
	carol := e.createUser(t, user("carol"))
	admins := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{member(alice), member(bob)}})
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(admins), "Create result")
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))

	require.Equal(t, []groupRef{{admins.ID, "Admins", "direct"}}, groupRefs(e.getUser(t, alice.ID)))
	require.Equal(t, []groupRef{{admins.ID, "Admins", "direct"}}, groupRefs(e.getUser(t, bob.ID)))
	require.Empty(t, e.getUser(t, carol.ID).Groups)

	staff := e.createGroup(t, &scim.Group{DisplayName: "Staff", Members: []scim.MultiValue{member(alice)}})
	require.ElementsMatch(t, []groupRef{{admins.ID, "Admins", "direct"}, {staff.ID, "Staff", "direct"}},
		groupRefs(e.getUser(t, alice.ID)))

	// List returns the back-reference too.
	page := e.listUsers(t, all())
	require.Equal(t, 3, page.TotalResults)
	for _, u := range page.Resources {
		switch u.ID {
		case alice.ID:
			require.ElementsMatch(t, []groupRef{{admins.ID, "Admins", "direct"}, {staff.ID, "Staff", "direct"}}, groupRefs(u))
		case carol.ID:
			require.Empty(t, u.Groups)
		}
	}

	// Renaming a group renames the back-reference.
	a := e.getGroup(t, admins.ID)
	a.DisplayName = "Administrators"
	_, err := e.groups.Replace(e.ctx, a, a.Meta.Version)
	require.NoError(t, err)
	require.ElementsMatch(t, []groupRef{{admins.ID, "Administrators", "direct"}, {staff.ID, "Staff", "direct"}},
		groupRefs(e.getUser(t, alice.ID)))
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)), "rename keeps members")

	// Replacing the members moves the back-references.
	a = e.getGroup(t, admins.ID)
	a.Members = []scim.MultiValue{member(carol), member(bob)}
	_, err = e.groups.Replace(e.ctx, a, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{carol.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))
	require.Equal(t, []groupRef{{staff.ID, "Staff", "direct"}}, groupRefs(e.getUser(t, alice.ID)))
	require.Equal(t, []groupRef{{admins.ID, "Administrators", "direct"}}, groupRefs(e.getUser(t, carol.ID)))

	// Replacing a user keeps its memberships (Groups is read-only).
	c := e.getUser(t, carol.ID)
	c.Groups = nil
	c.DisplayName = "Carol"
	replaced, err := e.users.Replace(e.ctx, c, "")
	require.NoError(t, err)
	require.Equal(t, []groupRef{{admins.ID, "Administrators", "direct"}}, groupRefs(replaced))
	require.ElementsMatch(t, []string{carol.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))

	// Deleting a group removes the back-references.
	require.NoError(t, e.groups.Delete(e.ctx, staff.ID, ""))
	require.Empty(t, e.getUser(t, alice.ID).Groups)
	require.NoError(t, e.groups.Delete(e.ctx, admins.ID, ""))
	require.Empty(t, e.getUser(t, bob.ID).Groups)
	require.Empty(t, e.getUser(t, carol.ID).Groups)

	// Emptying a group's members removes them all.
	g := e.createGroup(t, &scim.Group{DisplayName: "Temp", Members: []scim.MultiValue{member(alice), member(bob)}})
	g.Members = nil
	_, err = e.groups.Replace(e.ctx, g, "")
	require.NoError(t, err)
	require.Empty(t, e.getGroup(t, g.ID).Members)
	require.Empty(t, e.getUser(t, alice.ID).Groups)
}

func testDeleteUserLeavesGroups(t *testing.T, e *env) {
	alice := e.createUser(t, user("alice"))
	bob := e.createUser(t, user("bob"))
	g1 := e.createGroup(t, &scim.Group{DisplayName: "One", Members: []scim.MultiValue{member(alice), member(bob)}})
	g2 := e.createGroup(t, &scim.Group{DisplayName: "Two", Members: []scim.MultiValue{member(alice)}})
	g3 := e.createGroup(t, &scim.Group{DisplayName: "Three", Members: []scim.MultiValue{member(bob)}})

	require.NoError(t, e.users.Delete(e.ctx, alice.ID, ""))
	require.Equal(t, []string{bob.ID}, memberValues(e.getGroup(t, g1.ID)))
	require.Empty(t, e.getGroup(t, g2.ID).Members)
	require.Equal(t, []string{bob.ID}, memberValues(e.getGroup(t, g3.ID)))
	page := e.listGroups(t, all())
	require.Equal(t, 3, page.TotalResults)
	for _, g := range page.Resources {
		require.NotContains(t, memberValues(g), alice.ID, "group %s still lists the deleted user", g.DisplayName)
	}
	require.ElementsMatch(t, []groupRef{{g1.ID, "One", "direct"}, {g3.ID, "Three", "direct"}}, groupRefs(e.getUser(t, bob.ID)))

	// A new user never inherits a deleted user's memberships.
	again := e.createUser(t, user("alice"))
	require.Empty(t, again.Groups)
	require.Empty(t, e.getUser(t, again.ID).Groups)
}

func testSkipMembership(t *testing.T, e *env) {
	// Skipping membership is a hint a store may ignore; what it returns must
	// still be the right resource.
	alice := e.createUser(t, user("alice"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{member(alice)}})
	got, err := e.groups.Get(e.ctx, g.ID, scim.ReadOptions{SkipMembership: true})
	require.NoError(t, err)
	require.Equal(t, g.ID, got.ID)
	require.Equal(t, "Admins", got.DisplayName)
	require.Equal(t, g.Meta.Version, got.Meta.Version)
	u, err := e.users.Get(e.ctx, alice.ID, scim.ReadOptions{SkipMembership: true})
	require.NoError(t, err)
	require.Equal(t, "alice", u.UserName)
	q := all()
	q.SkipMembership = true
	page := e.listGroups(t, q)
	require.Equal(t, 1, page.TotalResults)
	require.Equal(t, []string{g.ID}, groupIDs(page.Resources))
	// A later full read still has the members.
	require.Equal(t, []string{alice.ID}, memberValues(e.getGroup(t, g.ID)))
}

func testMemberPatcher(t *testing.T, e *env) {
	mp, ok := e.groups.(scim.MemberPatcher)
	if !ok {
		t.Log("the group store does not implement scim.MemberPatcher; nothing to check")
		return
	}
	alice := e.createUser(t, user("alice"))
	bob := e.createUser(t, user("bob"))
	carol := e.createUser(t, user("carol"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{member(alice)}})

	got, err := mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(bob), member(carol)}, nil, g.Meta.Version)
	require.NoError(t, err)
	require.Equal(t, g.ID, got.ID)
	require.NotEqual(t, g.Meta.Version, got.Meta.Version, "adding members is a write")
	read := e.getGroup(t, g.ID)
	require.Equal(t, got.Meta.Version, read.Meta.Version)
	require.ElementsMatch(t, []string{alice.ID, bob.ID, carol.ID}, memberValues(read))
	require.Equal(t, []groupRef{{g.ID, "Admins", "direct"}}, groupRefs(e.getUser(t, bob.ID)))
	for _, m := range read.Members {
		if m.Value == bob.ID {
			require.Equal(t, member(bob), m, "PatchMembers stores the member as given")
		}
	}

	// No-ops keep the version: adding a member, removing a non-member.
	v := read.Meta.Version
	got, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(alice)}, nil, "")
	require.NoError(t, err)
	require.Equal(t, v, got.Meta.Version, "adding an existing member changes nothing")
	got, err = mp.PatchMembers(e.ctx, g.ID, nil, []string{"no-such-member"}, "")
	require.NoError(t, err)
	require.Equal(t, v, got.Meta.Version, "removing a non-member changes nothing")
	got, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(bob)}, []string{"no-such-member"}, v)
	require.NoError(t, err)
	require.Equal(t, v, got.Meta.Version)
	read = e.getGroup(t, g.ID)
	require.Equal(t, v, read.Meta.Version)
	require.Len(t, read.Members, 3, "an existing member is not added twice")

	// Remove.
	got, err = mp.PatchMembers(e.ctx, g.ID, nil, []string{alice.ID}, v)
	require.NoError(t, err)
	require.NotEqual(t, v, got.Meta.Version)
	require.ElementsMatch(t, []string{bob.ID, carol.ID}, memberValues(e.getGroup(t, g.ID)))
	require.Empty(t, e.getUser(t, alice.ID).Groups)

	// Preconditions and unknown groups.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(alice)}, nil, v)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed, "the version before the removal is stale")
	require.ElementsMatch(t, []string{bob.ID, carol.ID}, memberValues(e.getGroup(t, g.ID)), "a failed precondition changes nothing")
	_, err = mp.PatchMembers(e.ctx, "no-such-group", []scim.MultiValue{member(alice)}, nil, "")
	require.ErrorIs(t, err, scim.ErrNotFound)

	// Add and remove at once.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(alice)}, []string{bob.ID, carol.ID}, "")
	require.NoError(t, err)
	require.Equal(t, []string{alice.ID}, memberValues(e.getGroup(t, g.ID)))
	require.Empty(t, e.getUser(t, bob.ID).Groups)
	require.Equal(t, []groupRef{{g.ID, "Admins", "direct"}}, groupRefs(e.getUser(t, alice.ID)))

	// A removed member may come back; deleting the user removes it again.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{member(bob)}, nil, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, g.ID)))
	require.NoError(t, e.users.Delete(e.ctx, bob.ID, ""))
	require.Equal(t, []string{alice.ID}, memberValues(e.getGroup(t, g.ID)))
}
