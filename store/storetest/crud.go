package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCreateAssignsIDAndMeta(t *testing.T, e *env) {
	before := time.Now()
	seen := map[string]bool{}
	for i := range 10 {
		u := e.user("user" + string(rune('a'+i)))
		u.ID = "client-supplied-id"
		got := e.createUser(t, u)
		require.NotEmpty(t, got.ID)
		require.NotEqual(t, "client-supplied-id", got.ID, "Create must ignore the client's id")
		require.False(t, seen[got.ID], "id %q assigned twice", got.ID)
		seen[got.ID] = true
		require.NotEmpty(t, got.Meta.Version)
		require.False(t, got.Meta.Created.IsZero(), "Created not set")
		require.False(t, got.Meta.LastModified.IsZero(), "LastModified not set")
		require.False(t, got.Meta.LastModified.Before(got.Meta.Created), "LastModified before Created")
		require.WithinRange(t, got.Meta.Created, before.Add(-time.Second), time.Now().Add(time.Second))

		read := e.getUser(t, got.ID)
		require.Equal(t, got.ID, read.ID)
		require.Equal(t, got.Meta.Version, read.Meta.Version)
		require.True(t, got.Meta.Created.Equal(read.Meta.Created))
	}
	_, err := e.users.Get(e.ctx, "client-supplied-id", scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)

	g := &scim.Group{ID: "client-supplied-id", DisplayName: "Admins"}
	got := e.createGroup(t, g)
	require.NotEmpty(t, got.ID)
	require.NotEqual(t, "client-supplied-id", got.ID)
	require.NotEmpty(t, got.Meta.Version)
	require.False(t, got.Meta.Created.IsZero())
	require.False(t, got.Meta.LastModified.IsZero())
	require.WithinRange(t, got.Meta.Created, before.Add(-time.Second), time.Now().Add(time.Second))
	require.Equal(t, got.Meta.Version, e.getGroup(t, got.ID).Meta.Version)
	got2 := e.createGroup(t, g)
	require.NotEqual(t, got.ID, got2.ID)
}

func testGetNotFound(t *testing.T, e *env) {
	_, err := e.users.Get(e.ctx, "no-such-user", scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = e.groups.Get(e.ctx, "no-such-group", scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = e.users.Get(e.ctx, "", scim.ReadOptions{SkipMembership: true})
	require.ErrorIs(t, err, scim.ErrNotFound)

	// An id of a form the store never issues names nothing: not found,
	// never a database error.
	for _, id := range []string{"not-an-id", "2819c223-7f76-453a-919d-413861904646", "0", "-1", "007", "1.5", "99999999999999999999999", "a b", "%", "'"} {
		_, err = e.users.Get(e.ctx, id, scim.ReadOptions{})
		require.ErrorIs(t, err, scim.ErrNotFound, "Get user %q", id)
		_, err = e.groups.Get(e.ctx, id, scim.ReadOptions{})
		require.ErrorIs(t, err, scim.ErrNotFound, "Get group %q", id)
		require.ErrorIs(t, e.users.Delete(e.ctx, id, ""), scim.ErrNotFound, "Delete user %q", id)
		require.ErrorIs(t, e.groups.Delete(e.ctx, id, `W/"1"`), scim.ErrNotFound, "Delete group %q", id)
		_, err = e.replaceUser(e.ctx, &scim.User{ID: id, UserName: "ghost"}, "")
		require.ErrorIs(t, err, scim.ErrNotFound, "Replace user %q", id)
	}

	// A user is not a group, and the other way round (unless a store
	// numbers users and groups separately, so that the ids coincide).
	u := e.createUser(t, e.user("alice"))
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins"})
	if u.ID != g.ID {
		_, err = e.groups.Get(e.ctx, u.ID, scim.ReadOptions{})
		require.ErrorIs(t, err, scim.ErrNotFound)
		_, err = e.users.Get(e.ctx, g.ID, scim.ReadOptions{})
		require.ErrorIs(t, err, scim.ErrNotFound)
	}
}

func testUserNameUnique(t *testing.T, e *env) {
	alice := e.createUser(t, e.user("Alice.Smith@example.com"))
	_, err := e.users.Create(e.ctx, e.user("alice.smith@EXAMPLE.COM"))
	require.ErrorIs(t, err, scim.ErrConflict, "userName is unique case-insensitively")
	require.Equal(t, 1, e.listUsers(t, all()).TotalResults, "a conflicting Create must store nothing")

	bob := e.createUser(t, e.user("bob"))
	b := e.withLabel(bob, "changed")
	b.UserName = "ALICE.SMITH@example.com"
	_, err = e.replaceUser(e.ctx, b, "")
	require.ErrorIs(t, err, scim.ErrConflict, "Replace to another user's userName")
	again := e.getUser(t, bob.ID)
	require.Equal(t, "bob", again.UserName, "a conflicting Replace must change nothing")
	require.Equal(t, "User bob", e.labelOf(again))
	require.Equal(t, bob.Meta.Version, again.Meta.Version)

	// A user may change the case of its own userName.
	a := *alice
	a.UserName = "alice.smith@example.com"
	got, err := e.replaceUser(e.ctx, &a, "")
	require.NoError(t, err, "Replace with the user's own userName in another case")
	require.Equal(t, "alice.smith@example.com", got.UserName)

	// A deleted user's userName is free again, in any case.
	require.NoError(t, e.users.Delete(e.ctx, alice.ID, ""))
	reborn := e.createUser(t, e.user("ALICE.smith@example.com"))
	require.NotEqual(t, alice.ID, reborn.ID)

	// Renaming frees the old userName.
	b = e.getUser(t, bob.ID)
	b.UserName = "robert"
	_, err = e.replaceUser(e.ctx, b, "")
	require.NoError(t, err)
	e.createUser(t, e.user("Bob"))
	_, err = e.users.Create(e.ctx, e.user("ROBERT"))
	require.ErrorIs(t, err, scim.ErrConflict)
}

func testReplaceIfVersion(t *testing.T, e *env) {
	u := e.createUser(t, e.user("alice"))

	stale := e.withLabel(u, "stale")
	_, err := e.replaceUser(e.ctx, stale, `W/"no-such-version"`)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)
	got := e.getUser(t, u.ID)
	require.Equal(t, "User alice", e.labelOf(got), "a failed precondition must change nothing")
	require.Equal(t, u.Meta.Version, got.Meta.Version)

	time.Sleep(10 * time.Millisecond) // so that a new LastModified differs on any clock
	next := e.withLabel(u, "Alice")
	replaced, err := e.replaceUser(e.ctx, next, u.Meta.Version)
	require.NoError(t, err, "Replace with the current version")
	require.Equal(t, u.ID, replaced.ID)
	require.Equal(t, "Alice", e.labelOf(replaced))
	require.NotEqual(t, u.Meta.Version, replaced.Meta.Version, "Replace must set a new version")
	require.True(t, replaced.Meta.Created.Equal(u.Meta.Created), "Replace must keep Created")
	require.True(t, replaced.Meta.LastModified.After(u.Meta.LastModified), "Replace must set a new LastModified")
	got = e.getUser(t, u.ID)
	require.Equal(t, "Alice", e.labelOf(got))
	require.Equal(t, replaced.Meta.Version, got.Meta.Version)
	require.True(t, got.Meta.Created.Equal(u.Meta.Created))

	// The version Replace returned is the one to use next; the old one is
	// stale now.
	_, err = e.replaceUser(e.ctx, stale, u.Meta.Version)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)
	require.Equal(t, "Alice", e.labelOf(e.getUser(t, u.ID)))

	// An empty ifVersion replaces unconditionally.
	again, err := e.replaceUser(e.ctx, e.withLabel(u, "unconditional"), "")
	require.NoError(t, err)
	require.NotEqual(t, replaced.Meta.Version, again.Meta.Version)
	require.Equal(t, "unconditional", e.labelOf(e.getUser(t, u.ID)))

	// Groups keep the same contract.
	g := e.createGroup(t, &scim.Group{DisplayName: "Admins"})
	gs := *g
	gs.DisplayName = "Stale"
	_, err = e.replaceGroup(e.ctx, &gs, `W/"no-such-version"`)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)
	require.Equal(t, "Admins", e.getGroup(t, g.ID).DisplayName)
	time.Sleep(10 * time.Millisecond)
	gs.DisplayName = "Administrators"
	gr, err := e.replaceGroup(e.ctx, &gs, g.Meta.Version)
	require.NoError(t, err)
	require.NotEqual(t, g.Meta.Version, gr.Meta.Version)
	require.True(t, gr.Meta.Created.Equal(g.Meta.Created))
	require.True(t, gr.Meta.LastModified.After(g.Meta.LastModified))
	require.Equal(t, "Administrators", e.getGroup(t, g.ID).DisplayName)
}

func testReplaceMissing(t *testing.T, e *env) {
	_, err := e.users.Replace(e.ctx, &scim.User{ID: "no-such-user", UserName: "ghost"}, "")
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = e.groups.Replace(e.ctx, &scim.Group{ID: "no-such-group", DisplayName: "Ghosts"}, "")
	require.ErrorIs(t, err, scim.ErrNotFound)

	u := e.createUser(t, e.user("alice"))
	require.NoError(t, e.users.Delete(e.ctx, u.ID, ""))
	_, err = e.replaceUser(e.ctx, u, "")
	require.ErrorIs(t, err, scim.ErrNotFound, "Replace of a deleted user")
	_, err = e.replaceUser(e.ctx, u, u.Meta.Version)
	require.ErrorIs(t, err, scim.ErrNotFound, "Replace of a deleted user with its last version")
	require.Zero(t, e.listUsers(t, all()).TotalResults, "Replace must not re-create a user")
}

func testDeleteIfVersion(t *testing.T, e *env) {
	u := e.createUser(t, e.user("alice"))
	err := e.users.Delete(e.ctx, u.ID, `W/"no-such-version"`)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)
	e.getUser(t, u.ID) // still there
	require.NoError(t, e.users.Delete(e.ctx, u.ID, u.Meta.Version))
	_, err = e.users.Get(e.ctx, u.ID, scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	require.ErrorIs(t, e.users.Delete(e.ctx, u.ID, ""), scim.ErrNotFound, "Delete of a deleted user")
	require.ErrorIs(t, e.users.Delete(e.ctx, "no-such-user", ""), scim.ErrNotFound)
	require.Zero(t, e.listUsers(t, all()).TotalResults)

	g := e.createGroup(t, &scim.Group{DisplayName: "Admins"})
	require.ErrorIs(t, e.groups.Delete(e.ctx, g.ID, `W/"no-such-version"`), scim.ErrPreconditionFailed)
	e.getGroup(t, g.ID)
	require.NoError(t, e.groups.Delete(e.ctx, g.ID, g.Meta.Version))
	_, err = e.groups.Get(e.ctx, g.ID, scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	require.ErrorIs(t, e.groups.Delete(e.ctx, g.ID, ""), scim.ErrNotFound)
	require.ErrorIs(t, e.groups.Delete(e.ctx, "no-such-group", ""), scim.ErrNotFound)
	require.Zero(t, e.listGroups(t, all()).TotalResults)
}

func testEveryWriteNewVersion(t *testing.T, e *env) {
	// Versions must differ between the writes of one resource; different
	// resources may share them (a store may count per resource).
	seen := map[string]string{}
	see := func(id, v, what string) {
		t.Helper()
		require.NotEmpty(t, v, what)
		prev, dup := seen[id+"\x00"+v]
		require.False(t, dup, "%s has version %s, as %s had", what, v, prev)
		seen[id+"\x00"+v] = what
	}
	u := e.createUser(t, e.user("alice"))
	see(u.ID, u.Meta.Version, "create user")
	for i := range 3 {
		label := "Alice " + string(rune('0'+i))
		var err error
		u, err = e.replaceUser(e.ctx, e.withLabel(u, label), u.Meta.Version)
		require.NoError(t, err)
		see(u.ID, u.Meta.Version, "replace user "+label)
		require.Equal(t, u.Meta.Version, e.getUser(t, u.ID).Meta.Version)
	}
	// Replacing with identical content is still a write.
	same, err := e.replaceUser(e.ctx, u, "")
	require.NoError(t, err)
	see(u.ID, same.Meta.Version, "identical replace")

	g := e.createGroup(t, &scim.Group{DisplayName: "Admins"})
	see(g.ID, g.Meta.Version, "create group")
	g.Members = []scim.MultiValue{e.member(u)}
	g, err = e.replaceGroup(e.ctx, g, g.Meta.Version)
	require.NoError(t, err)
	see(g.ID, g.Meta.Version, "replace group")
	g.DisplayName = "Administrators"
	g, err = e.replaceGroup(e.ctx, g, g.Meta.Version)
	require.NoError(t, err)
	see(g.ID, g.Meta.Version, "rename group")
	require.Equal(t, g.Meta.Version, e.getGroup(t, g.ID).Meta.Version)
}

func testStoresCopies(t *testing.T, e *env) {
	mgr := e.managerID(t)
	in := e.sendUser(fullUser("alice", mgr))
	want := fullUser("alice", mgr)
	created, err := e.users.Create(e.ctx, in)
	require.NoError(t, err)

	// Changing what was passed to Create does not change the store. (Each
	// change touches an attribute only if the store keeps it.)
	mutate := func(u *scim.User) {
		u.UserName = "changed"
		u.DisplayName, u.ExternalID, u.Title = "changed", "changed", "changed"
		if u.Name != nil {
			u.Name.GivenName, u.Name.FamilyName = "changed", "changed"
		}
		for _, l := range [][]scim.MultiValue{u.Emails, u.PhoneNumbers, u.Roles} {
			if len(l) > 0 {
				l[0].Value = "changed"
			}
		}
		if len(u.Addresses) > 0 {
			u.Addresses[0].Locality = "changed"
		}
		if u.Enterprise != nil {
			u.Enterprise.EmployeeNumber = "changed"
			if u.Enterprise.Manager != nil {
				u.Enterprise.Manager.Value = "changed"
			}
		}
		if ext := u.Extensions[acmeUserURN]; ext != nil {
			ext["costCenter"] = "changed"
			ext["new"] = "changed"
			if badge, ok := ext["badge"].(map[string]any); ok {
				badge["id"] = "changed"
				badge["floors"].([]any)[0] = json.Number("99")
			}
			if tags, ok := ext["tags"].([]any); ok {
				tags[0] = "changed"
			}
		}
		if u.Active != nil {
			*u.Active = true
		}
	}
	mutate(in)
	e.requireSameUser(t, want, e.getUser(t, created.ID), "after changing the struct passed to Create")

	// Changing what Create or Get returned does not change the store.
	for _, got := range []*scim.User{created, e.getUser(t, created.ID)} {
		mutate(got)
		e.requireSameUser(t, want, e.getUser(t, created.ID), "after changing a returned user")
	}

	// The same for Replace.
	next := e.sendUser(fullUser("alice", mgr))
	next.ID = created.ID
	replaced, err := e.users.Replace(e.ctx, next, "")
	require.NoError(t, err)
	mutate(next)
	mutate(replaced)
	e.requireSameUser(t, want, e.getUser(t, created.ID), "after changing the structs of Replace")

	// And for groups and their members.
	bob := e.createUser(t, e.user("bob"))
	gin := e.sendGroup(&scim.Group{DisplayName: "Admins", ExternalID: "ext-admins", Members: []scim.MultiValue{e.member(bob)},
		Extensions: scim.Extensions{acmeGroupURN: {"code": "A"}}})
	g, err := e.groups.Create(e.ctx, gin)
	require.NoError(t, err)
	wantGroup := e.sendGroup(&scim.Group{DisplayName: "Admins", ExternalID: "ext-admins", Members: []scim.MultiValue{e.member(bob)},
		Extensions: scim.Extensions{acmeGroupURN: {"code": "A"}}})
	mutateGroup := func(g *scim.Group) {
		g.DisplayName, g.ExternalID = "changed", "changed"
		if len(g.Members) > 0 {
			g.Members[0].Value, g.Members[0].Display = "changed", "changed"
		}
		if ext := g.Extensions[acmeGroupURN]; ext != nil {
			ext["code"] = "changed"
		}
	}
	mutateGroup(gin)
	mutateGroup(g)
	read := e.getGroup(t, g.ID)
	e.requireSameGroup(t, wantGroup, read)
	mutateGroup(read)
	read.Members = append(read.Members, scim.MultiValue{Value: "extra"})
	e.requireSameGroup(t, wantGroup, e.getGroup(t, g.ID))

	// Changing a user's returned Groups changes no group.
	u := e.getUser(t, bob.ID)
	e.requireGroups(t, u, ref(g.ID, "Admins"))
	for i := range u.Groups {
		u.Groups[i].Display, u.Groups[i].Value = "changed", "changed"
	}
	e.requireGroups(t, e.getUser(t, bob.ID), ref(g.ID, "Admins"))
}

func testRoundTripUser(t *testing.T, e *env) {
	mgr := e.managerID(t)
	want := fullUser("bjensen@example.com", mgr)
	created := e.createUser(t, fullUser("bjensen@example.com", mgr))
	e.requireSameUser(t, want, created, "Create result")
	assert.Empty(t, created.Groups, "Groups sent by a client are ignored")
	e.requireSameUser(t, want, e.getUser(t, created.ID), "Get after Create")

	q := all()
	q.Filter = userFilter(t, `id eq "`+created.ID+`"`)
	page := e.listUsers(t, q)
	require.Len(t, page.Resources, 1)
	e.requireSameUser(t, want, page.Resources[0], "List after Create")
	var listed bool
	for _, u := range e.listUsers(t, all()).Resources {
		if u.ID == created.ID {
			e.requireSameUser(t, want, u, "List of all after Create")
			listed = true
		}
	}
	require.True(t, listed, "List of all does not have the user")

	// Replace with other values in every attribute, and with some removed.
	next := fullUser("bjensen@example.com", mgr)
	next.ID = created.ID
	next.ExternalID = "ext-other"
	next.Name = &scim.Name{GivenName: "Barbara"}
	next.Emails = []scim.MultiValue{{Value: "barbara@example.org", Type: "work", Display: "Other"}}
	next.Addresses = nil
	next.PhoneNumbers = nil
	active := true
	next.Active = &active
	next.Password = "$2a$10$another.hash"
	next.Enterprise.Manager = nil
	next.Enterprise.Department = "Finance"
	next.Extensions[acmeUserURN] = map[string]any{"costCenter": "CC-8", "remote": false}
	replaced, err := e.replaceUser(e.ctx, next, "")
	require.NoError(t, err)
	e.requireSameUser(t, next, replaced, "Replace result")
	e.requireSameUser(t, next, e.getUser(t, created.ID), "Get after Replace")

	// And back, with the manager again.
	back := fullUser("bjensen@example.com", mgr)
	back.ID = created.ID
	_, err = e.replaceUser(e.ctx, back, "")
	require.NoError(t, err)
	e.requireSameUser(t, want, e.getUser(t, created.ID), "Get after a Replace that restores every attribute")

	// A minimal user comes back minimal: nothing invented.
	minimal := e.createUser(t, &scim.User{UserName: "minimal"})
	e.requireSameUser(t, &scim.User{UserName: "minimal"}, e.getUser(t, minimal.ID))
}

func testRoundTripGroup(t *testing.T, e *env) {
	alice := e.createUser(t, e.user("alice"))
	bob := e.createUser(t, e.user("bob"))
	nested := e.createGroup(t, &scim.Group{DisplayName: "Nested"})
	in := func() *scim.Group {
		g := &scim.Group{
			ID:          "client-supplied-id",
			ExternalID:  "ext-admins",
			DisplayName: "Admins",
			Members: []scim.MultiValue{
				{Value: alice.ID, Display: "Alice", Type: "User", Ref: "https://example.com/scim/v2/Users/" + alice.ID},
				{Value: bob.ID, Type: "User"},
			},
			Extensions: scim.Extensions{acmeGroupURN: {
				"code":   "ADM",
				"size":   json.Number("3"),
				"closed": true,
				"owner":  map[string]any{"value": alice.ID, "tags": []any{"x", json.Number("1.5")}},
			}},
		}
		if e.keepsNested() {
			g.Members = append(g.Members, scim.MultiValue{Value: nested.ID, Display: "Nested", Type: "Group"})
		}
		return g
	}
	created := e.createGroup(t, in())
	e.requireSameGroup(t, in(), created, "Create result")
	e.requireSameGroup(t, in(), e.getGroup(t, created.ID), "Get after Create")
	page := e.listGroups(t, all())
	require.Equal(t, 2, page.TotalResults)
	for _, g := range page.Resources {
		if g.ID == created.ID {
			e.requireSameGroup(t, in(), g, "List after Create")
		}
	}

	next := in()
	next.ID = created.ID
	next.ExternalID = ""
	next.DisplayName = "Administrators"
	next.Members = next.Members[1:2]
	next.Extensions = nil
	replaced, err := e.replaceGroup(e.ctx, next, created.Meta.Version)
	require.NoError(t, err)
	want := in()
	want.ExternalID, want.DisplayName, want.Members, want.Extensions = "", "Administrators", want.Members[1:2], nil
	e.requireSameGroup(t, want, replaced, "Replace result")
	e.requireSameGroup(t, want, e.getGroup(t, created.ID), "Get after Replace")
}
