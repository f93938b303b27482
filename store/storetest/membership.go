package storetest

import (
	"testing"

	"github.com/scimkit/scim"
)

func testMembership(t *testing.T, e *env) {
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	carol := e.createUser(t, e.user("carol"))
	admins := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{e.member(alice), e.member(bob)}})
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(admins), "Create result")
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))

	e.requireGroups(t, e.getUser(t, alice.ID), ref(admins.ID, "Admins"))
	e.requireGroups(t, e.getUser(t, bob.ID), ref(admins.ID, "Admins"))
	e.requireGroups(t, e.getUser(t, carol.ID))

	staff := e.createGroup(t, &scim.Group{DisplayName: "Staff", Members: []scim.MultiValue{e.member(alice)}})
	e.requireGroups(t, e.getUser(t, alice.ID), ref(admins.ID, "Admins"), ref(staff.ID, "Staff"))

	// List returns the back-reference too.
	page := e.listUsers(t, all())
	require.Equal(t, 3, page.TotalResults)
	for _, u := range page.Resources {
		switch u.ID {
		case alice.ID:
			e.requireGroups(t, u, ref(admins.ID, "Admins"), ref(staff.ID, "Staff"))
		case carol.ID:
			e.requireGroups(t, u)
		}
	}

	// Renaming a group renames the back-reference.
	a := e.getGroup(t, admins.ID)
	a.DisplayName = "Administrators"
	_, err := e.replaceGroup(e.ctx, a, a.Meta.Version)
	require.NoError(t, err)
	e.requireGroups(t, e.getUser(t, alice.ID), ref(admins.ID, "Administrators"), ref(staff.ID, "Staff"))
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)), "rename keeps members")

	// Replacing the members moves the back-references.
	a = e.getGroup(t, admins.ID)
	a.Members = []scim.MultiValue{e.member(carol), e.member(bob)}
	_, err = e.replaceGroup(e.ctx, a, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{carol.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))
	e.requireGroups(t, e.getUser(t, alice.ID), ref(staff.ID, "Staff"))
	e.requireGroups(t, e.getUser(t, carol.ID), ref(admins.ID, "Administrators"))

	// Replacing a user keeps its memberships (Groups is read-only).
	c := e.getUser(t, carol.ID)
	c.Groups = nil
	c = e.withLabel(c, "Carol")
	replaced, err := e.replaceUser(e.ctx, c, "")
	require.NoError(t, err)
	e.requireGroups(t, replaced, ref(admins.ID, "Administrators"))
	require.ElementsMatch(t, []string{carol.ID, bob.ID}, memberValues(e.getGroup(t, admins.ID)))

	// Deleting a group removes the back-references.
	require.NoError(t, e.groups.Delete(e.ctx, staff.ID, ""))
	e.requireGroups(t, e.getUser(t, alice.ID))
	require.NoError(t, e.groups.Delete(e.ctx, admins.ID, ""))
	e.requireGroups(t, e.getUser(t, bob.ID))
	e.requireGroups(t, e.getUser(t, carol.ID))

	// Emptying a group's members removes them all.
	g := e.createGroup(t, &scim.Group{DisplayName: "Temp", Members: []scim.MultiValue{e.member(alice), e.member(bob)}})
	g.Members = nil
	_, err = e.replaceGroup(e.ctx, g, "")
	require.NoError(t, err)
	require.Empty(t, e.getGroup(t, g.ID).Members)
	e.requireGroups(t, e.getUser(t, alice.ID))
}

func testDeleteUserLeavesGroups(t *testing.T, e *env) {
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	g1 := e.createGroup(t, &scim.Group{DisplayName: "One", Members: []scim.MultiValue{e.member(alice), e.member(bob)}})
	g2 := e.createGroup(t, &scim.Group{DisplayName: "Two", Members: []scim.MultiValue{e.member(alice)}})
	g3 := e.createGroup(t, &scim.Group{DisplayName: "Three", Members: []scim.MultiValue{e.member(bob)}})

	require.NoError(t, e.users.Delete(e.ctx, alice.ID, ""))
	require.Equal(t, []string{bob.ID}, memberValues(e.getGroup(t, g1.ID)))
	require.Empty(t, e.getGroup(t, g2.ID).Members)
	require.Equal(t, []string{bob.ID}, memberValues(e.getGroup(t, g3.ID)))
	page := e.listGroups(t, all())
	require.Equal(t, 3, page.TotalResults)
	for _, g := range page.Resources {
		require.NotContains(t, memberValues(g), alice.ID, "group %s still lists the deleted user", g.DisplayName)
	}
	e.requireGroups(t, e.getUser(t, bob.ID), ref(g1.ID, "One"), ref(g3.ID, "Three"))

	// A new user never inherits a deleted user's memberships.
	again := e.createUser(t, e.user("alice"))
	e.requireGroups(t, again)
	e.requireGroups(t, e.getUser(t, again.ID))
}

func testSkipMembership(t *testing.T, e *env) {
	// Skipping membership is a hint a store may ignore; what it returns must
	// still be the right resource.
	alice := e.createUser(t, e.user("alice"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{e.member(alice)}})
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
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	carol := e.createUser(t, e.user("carol"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: []scim.MultiValue{e.member(alice)}})

	got, err := mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(bob), e.member(carol)}, nil, g.Meta.Version)
	require.NoError(t, err)
	require.Equal(t, g.ID, got.ID)
	require.NotEqual(t, g.Meta.Version, got.Meta.Version, "adding members is a write")
	read := e.getGroup(t, g.ID)
	require.Equal(t, got.Meta.Version, read.Meta.Version)
	require.ElementsMatch(t, []string{alice.ID, bob.ID, carol.ID}, memberValues(read))
	e.requireGroups(t, e.getUser(t, bob.ID), ref(g.ID, "Admins"))
	for _, m := range read.Members {
		if m.Value == bob.ID {
			require.Equal(t, e.member(bob), m, "PatchMembers stores the member as given")
		}
	}

	// No-ops keep the version: adding a member, removing a non-member.
	v := read.Meta.Version
	got, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(alice)}, nil, "")
	require.NoError(t, err)
	require.Equal(t, v, got.Meta.Version, "adding an existing member changes nothing")
	got, err = mp.PatchMembers(e.ctx, g.ID, nil, []string{"no-such-member"}, "")
	require.NoError(t, err)
	require.Equal(t, v, got.Meta.Version, "removing a non-member changes nothing")
	got, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(bob)}, []string{"no-such-member"}, v)
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
	e.requireGroups(t, e.getUser(t, alice.ID))

	// Preconditions and unknown groups.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(alice)}, nil, v)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed, "the version before the removal is stale")
	require.ElementsMatch(t, []string{bob.ID, carol.ID}, memberValues(e.getGroup(t, g.ID)), "a failed precondition changes nothing")
	_, err = mp.PatchMembers(e.ctx, "no-such-group", []scim.MultiValue{e.member(alice)}, nil, "")
	require.ErrorIs(t, err, scim.ErrNotFound)

	// Add and remove at once.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(alice)}, []string{bob.ID, carol.ID}, "")
	require.NoError(t, err)
	require.Equal(t, []string{alice.ID}, memberValues(e.getGroup(t, g.ID)))
	e.requireGroups(t, e.getUser(t, bob.ID))
	e.requireGroups(t, e.getUser(t, alice.ID), ref(g.ID, "Admins"))

	// A removed member may come back; deleting the user removes it again.
	_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(bob)}, nil, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(e.getGroup(t, g.ID)))
	require.NoError(t, e.users.Delete(e.ctx, bob.ID, ""))
	require.Equal(t, []string{alice.ID}, memberValues(e.getGroup(t, g.ID)))
}

func testMemberPreservingReplacer(t *testing.T, e *env) {
	mr, ok := e.groups.(scim.MemberPreservingReplacer)
	if !ok {
		t.Log("the group store does not implement scim.MemberPreservingReplacer; nothing to check")
		return
	}
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins", Members: e.members(alice, bob)})

	// The members given are ignored: the stored ones stay.
	next := e.sendGroup(&scim.Group{ID: g.ID, DisplayName: "Owners", ExternalID: "x"})
	got, err := mr.ReplaceKeepingMembers(e.ctx, next, g.Meta.Version)
	require.NoError(t, err)
	require.Equal(t, g.ID, got.ID)
	require.Equal(t, "Owners", got.DisplayName)
	require.NotEqual(t, g.Meta.Version, got.Meta.Version, "a replace is a write")
	read := e.getGroup(t, g.ID)
	require.Equal(t, got.Meta.Version, read.Meta.Version)
	require.Equal(t, "Owners", read.DisplayName)
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(read), "the members stay")
	e.requireGroups(t, e.getUser(t, alice.ID), ref(g.ID, "Owners"))

	next.DisplayName, next.Members = "Other", e.members(alice)
	_, err = mr.ReplaceKeepingMembers(e.ctx, next, g.Meta.Version)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed, "the version is stale")
	got, err = mr.ReplaceKeepingMembers(e.ctx, next, "")
	require.NoError(t, err)
	read = e.getGroup(t, g.ID)
	require.Equal(t, "Other", read.DisplayName)
	require.ElementsMatch(t, []string{alice.ID, bob.ID}, memberValues(read), "Members given are ignored")
	require.Equal(t, got.Meta.Version, read.Meta.Version)

	_, err = mr.ReplaceKeepingMembers(e.ctx, e.sendGroup(&scim.Group{ID: "no-such-group", DisplayName: "x"}), "")
	require.ErrorIs(t, err, scim.ErrNotFound)
}
