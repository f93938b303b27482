package memstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// A group written with ReplaceKeepingMembers keeps its member list as
// stored, untouched (the same storage, not a copy), whatever g.Members
// says, and the write costs the same whatever the group's size.
func TestReplaceKeepingMembers(t *testing.T) {
	ctx := context.Background()
	_, groups := New()
	ms := make([]scim.MultiValue, 10000)
	for i := range ms {
		ms[i] = scim.MultiValue{Value: fmt.Sprintf("m%05d", i)}
	}
	g, err := groups.Create(ctx, &scim.Group{DisplayName: "big", Members: ms})
	require.NoError(t, err)
	p := groups.b.partition(ctx, false)
	chunk := &p.groups[g.ID].members.chunks[0][0]

	got, err := groups.ReplaceKeepingMembers(ctx, &scim.Group{ID: g.ID, DisplayName: "renamed", Members: ms[:1]}, g.Meta.Version)
	require.NoError(t, err)
	require.Equal(t, "renamed", got.DisplayName)
	require.Nil(t, got.Members)
	require.NotEqual(t, g.Meta.Version, got.Meta.Version)
	require.Same(t, chunk, &p.groups[g.ID].members.chunks[0][0], "the member list was rewritten")
	read, err := groups.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, read.Members, len(ms))
	page, err := groups.List(ctx, &scim.Query{Filter: mustGroupFilter(t, `displayName eq "renamed" and members eq "m09999"`), StartIndex: 1, Count: 1})
	require.NoError(t, err)
	require.Equal(t, 1, page.TotalResults)

	allocs := testing.AllocsPerRun(20, func() {
		_, _ = groups.ReplaceKeepingMembers(ctx, &scim.Group{ID: g.ID, DisplayName: "again"}, "")
	})
	require.Less(t, allocs, 20.0, "a rename of a group of %d members", len(ms))

	_, err = groups.ReplaceKeepingMembers(ctx, &scim.Group{ID: g.ID, DisplayName: "x"}, g.Meta.Version)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)
	_, err = groups.ReplaceKeepingMembers(ctx, &scim.Group{ID: "nope", DisplayName: "x"}, "")
	require.ErrorIs(t, err, scim.ErrNotFound)
}

func mustGroupFilter(t *testing.T, expr string) *scim.Filter {
	t.Helper()
	f, err := scim.ParseGroupFilter(expr)
	require.NoError(t, err)
	return f
}
