package storetest

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/scimkit/scim"
)

// refusedMember reports whether err is a store's refusal of a member that
// names nothing: an error wrapping scim.ErrMemberNotFound, or a 400
// invalidValue of the store's own.
func refusedMember(err error) bool {
	if errors.Is(err, scim.ErrMemberNotFound) {
		return true
	}
	var se *scim.Error
	return errors.As(err, &se) && se.Status == http.StatusBadRequest && se.ScimType == scim.ScimTypeInvalidValue
}

func testMemberCheck(t *testing.T, e *env) {
	ctx := scim.ContextWithMemberCheck(e.ctx)
	alice := e.createUser(t, e.user("alice"))
	gone := e.createUser(t, e.user("gone"))
	require.NoError(t, e.users.Delete(e.ctx, gone.ID, ""))
	for _, missing := range []string{scim.NewID(), gone.ID} {
		ghost := scim.MultiValue{Value: missing, Type: "User"}
		ghost = e.sendGroup(&scim.Group{Members: []scim.MultiValue{ghost}}).Members[0]

		_, err := e.groups.Create(ctx, e.sendGroup(&scim.Group{DisplayName: "Ghosts", Members: []scim.MultiValue{e.member(alice), ghost}}))
		require.True(t, refusedMember(err), "Create with member %q that names nothing: got %v, want an error wrapping scim.ErrMemberNotFound", missing, err)
		require.Equal(t, 0, e.listGroups(t, &scim.Query{Filter: groupFilter(t, `displayName eq "Ghosts"`), StartIndex: 1, Count: 10}).TotalResults,
			"a refused Create stores nothing")

		g := e.createGroup(t, &scim.Group{DisplayName: "Team", Members: []scim.MultiValue{e.member(alice)}})
		r := e.getGroup(t, g.ID)
		r.Members = append(r.Members, ghost)
		_, err = e.groups.Replace(ctx, e.sendGroup(r), "")
		require.True(t, refusedMember(err), "Replace adding member %q that names nothing: got %v", missing, err)
		after := e.getGroup(t, g.ID)
		require.Equal(t, g.Meta.Version, after.Meta.Version, "a refused Replace changes nothing")
		require.Equal(t, []string{alice.ID}, memberValues(after))

		if mp, ok := e.groups.(scim.MemberPatcher); ok {
			_, err = mp.PatchMembers(ctx, g.ID, []scim.MultiValue{ghost}, nil, "")
			require.True(t, refusedMember(err), "PatchMembers adding member %q that names nothing: got %v", missing, err)
			require.Equal(t, g.Meta.Version, e.getGroup(t, g.ID).Meta.Version, "a refused PatchMembers changes nothing")
		}
		require.NoError(t, e.groups.Delete(e.ctx, g.ID, ""))
	}

	// Users and, where the store keeps members.type, groups are members.
	bob := e.createUser(t, e.user("bob"))
	g, err := e.groups.Create(ctx, e.sendGroup(&scim.Group{DisplayName: "Staff", Members: e.members(alice)}))
	require.NoError(t, err, "Create with a member that is a user")
	r := e.getGroup(t, g.ID)
	r.Members = e.members(alice, bob)
	_, err = e.groups.Replace(ctx, e.sendGroup(r), "")
	require.NoError(t, err, "Replace adding a member that is a user")
	if e.keepsNested() {
		nested := scim.MultiValue{Value: g.ID, Type: "Group"}
		_, err := e.groups.Create(ctx, e.sendGroup(&scim.Group{DisplayName: "Outer", Members: []scim.MultiValue{nested}}))
		require.NoError(t, err, "Create with a member that is a group")
	}
}

// memberRaceRounds is the number of rounds of testMemberDeleteRace: on
// PostgreSQL without a lock, more than half of them left a member behind.
const memberRaceRounds = 40

// testMemberDeleteRace deletes a user while another writer adds it to a
// group, through a second store instance when the suite has one: whatever
// the order, the user must not be left behind as a member of the group.
func testMemberDeleteRace(t *testing.T, e *env) {
	users2, groups2 := e.users, e.groups
	if e.cfg.second != nil {
		users2, groups2 = e.cfg.second(t, e.users, e.groups)
	}
	ctx := scim.ContextWithMemberCheck(e.ctx)
	mp, patcher := groups2.(scim.MemberPatcher)
	for round := range memberRaceRounds {
		u := e.createUser(t, e.user(fmt.Sprintf("racer%02d", round)))
		g := e.createGroup(t, &scim.Group{DisplayName: fmt.Sprintf("Race %02d", round)})
		m := e.member(u)
		var added error
		parallel(t, 2, func(i int) error {
			if i == 1 {
				// The deletion goes through the first instance on even
				// rounds and the second on odd ones.
				users := e.users
				if round%2 == 1 {
					users = users2
				}
				return users.Delete(e.ctx, u.ID, "")
			}
			switch {
			case round%4 < 2 && patcher:
				_, added = mp.PatchMembers(ctx, g.ID, []scim.MultiValue{m}, nil, "")
			case round%4 == 2:
				var created *scim.Group
				created, added = groups2.Create(ctx, e.sendGroup(&scim.Group{DisplayName: fmt.Sprintf("Race %02d b", round), Members: []scim.MultiValue{m}}))
				if added == nil {
					g = created
				}
			default:
				r := *g
				r.Members = []scim.MultiValue{m}
				_, added = groups2.Replace(ctx, e.sendGroup(&r), "")
			}
			if added != nil && !refusedMember(added) {
				return fmt.Errorf("adding a member while it is deleted: %w", added)
			}
			return nil
		})
		_, err := e.users.Get(e.ctx, u.ID, scim.ReadOptions{})
		require.ErrorIs(t, err, scim.ErrNotFound, "the user was deleted")
		got := e.getGroup(t, g.ID)
		require.NotContains(t, memberValues(got), u.ID, "round %d: the deleted user was left behind as a member (adding it returned %v)", round, added)
		e.requireGroupsOfNone(t, u.ID)
	}
}

// requireGroupsOfNone checks that no group has the member id, through a
// membership filter.
func (e *env) requireGroupsOfNone(t *testing.T, id string) {
	t.Helper()
	page := e.listGroups(t, &scim.Query{Filter: groupFilter(t, `members[value eq "`+id+`"]`), StartIndex: 1, Count: 10})
	require.Equal(t, 0, page.TotalResults, "groups with the deleted member %q", id)
}
