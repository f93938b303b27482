package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// checkReverseIndex checks that the reverse index of membership (users'
// records for users, memberOf for everything else) holds exactly the
// memberships of the groups' member lists.
func checkReverseIndex(t *testing.T, p *partition) {
	t.Helper()
	want := map[string][]*groupRec{}
	for _, g := range p.groups {
		for k := range g.members.idx {
			want[k] = append(want[k], g)
		}
	}
	got := map[string][]*groupRec{}
	for id, u := range p.users {
		if len(u.groups) > 0 {
			got[id] = slices.Clone(u.groups)
		}
		require.Zero(t, p.memberOf.count(id), "user %s is in memberOf", id)
	}
	for k := range p.memberOf.one {
		p.memberOf.get(k, func(g *groupRec) { got[k] = append(got[k], g) })
	}
	byPos := func(a, b *groupRec) int { return a.pos - b.pos }
	for k := range want {
		slices.SortFunc(want[k], byPos)
	}
	for k := range got {
		slices.SortFunc(got[k], byPos)
	}
	require.Equal(t, want, got)
}

func TestReverseIndexFollowsMembership(t *testing.T) {
	ctx := context.Background()
	us, gs := New()
	rng := rand.New(rand.NewPCG(5, 6))
	var users, groups []string
	for i := range 20 {
		u, err := us.Create(ctx, &scim.User{UserName: fmt.Sprintf("u%d", i)})
		require.NoError(t, err)
		users = append(users, u.ID)
	}
	member := func() string {
		switch rng.IntN(5) {
		case 0:
			if len(groups) > 0 {
				return groups[rng.IntN(len(groups))]
			}
		case 1:
			return fmt.Sprintf("dangling-%d", rng.IntN(5))
		case 2:
			return fmt.Sprintf("DANGLING-%d", rng.IntN(5))
		}
		id := users[rng.IntN(len(users))]
		if rng.IntN(4) == 0 {
			return fmt.Sprintf("%X", id) // the same member, in upper case
		}
		return id
	}
	for step := range 400 {
		switch op := rng.IntN(10); {
		case op < 2 || len(groups) == 0:
			var ms []scim.MultiValue
			for range rng.IntN(6) {
				ms = append(ms, scim.MultiValue{Value: member()})
			}
			g, err := gs.Create(ctx, &scim.Group{DisplayName: fmt.Sprint("g", step), Members: ms})
			require.NoError(t, err)
			groups = append(groups, g.ID)
		case op < 6:
			_, err := gs.PatchMembers(ctx, groups[rng.IntN(len(groups))], []scim.MultiValue{{Value: member()}}, []string{member()}, "")
			require.NoError(t, err)
		case op < 7:
			var ms []scim.MultiValue
			for range rng.IntN(6) {
				ms = append(ms, scim.MultiValue{Value: member()})
			}
			_, err := gs.Replace(ctx, &scim.Group{ID: groups[rng.IntN(len(groups))], DisplayName: "r", Members: ms}, "")
			require.NoError(t, err)
		case op < 8:
			i := rng.IntN(len(groups))
			require.NoError(t, gs.Delete(ctx, groups[i], ""))
			groups = slices.Delete(groups, i, i+1)
		case op < 9:
			i := rng.IntN(len(users))
			require.NoError(t, us.Delete(ctx, users[i], ""))
			users = slices.Delete(users, i, i+1)
			u, err := us.Create(ctx, &scim.User{UserName: fmt.Sprint("n", step)})
			require.NoError(t, err)
			users = append(users, u.ID)
		default:
			id := users[rng.IntN(len(users))]
			u, err := us.Get(ctx, id, scim.ReadOptions{})
			require.NoError(t, err)
			var want []string
			for _, gid := range groups {
				g, err := gs.Get(ctx, gid, scim.ReadOptions{})
				require.NoError(t, err)
				if slices.ContainsFunc(g.Members, func(m scim.MultiValue) bool { return foldKey(m.Value) == id }) {
					want = append(want, gid)
				}
			}
			var got []string
			for _, m := range u.Groups {
				got = append(got, m.Value)
			}
			require.Equal(t, want, got, "groups of %s in creation order", id)
		}
		checkReverseIndex(t, gs.b.partition(ctx, false))
	}
}
