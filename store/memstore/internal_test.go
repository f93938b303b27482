package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFoldKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"alice@example.com", "ALICE@Example.COM"},
		{"sam", "ſam"},            // long s folds to s
		{"kelvin", "\u212Aelvin"}, // Kelvin sign
		{"straße", "STRAßE"},
		{"Ωmega", "ωMEGA"},
	} {
		require.True(t, strings.EqualFold(c.a, c.b), "test case %q %q", c.a, c.b)
		assert.Equal(t, foldKey(c.a), foldKey(c.b), "%q and %q", c.a, c.b)
	}
	for _, c := range []struct{ a, b string }{{"alice", "alicE "}, {"ß", "ss"}, {"a", "á"}} {
		assert.NotEqual(t, foldKey(c.a), foldKey(c.b), "%q and %q", c.a, c.b)
	}
	// The common case shares the string instead of allocating a key.
	s := strings.Repeat("x", 20) + "@example.com"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = foldKey(s) }))
}

// rec is a positioned record for testing order.
type rec struct{ id, pos int }

func (r *rec) setPos(p int) { r.pos = p }

func TestOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o order[*rec]
	var model []*rec // live records in order
	next := 0
	check := func() {
		t.Helper()
		require.Equal(t, len(model), o.size())
		for k := 1; k <= len(model)+1; k++ {
			var got []*rec
			o.page(k, 3, func(r *rec) { got = append(got, r) })
			want := model[min(k-1, len(model)):min(k-1+3, len(model))]
			require.Len(t, got, len(want), "page at %d", k)
			if len(want) > 0 {
				require.Equal(t, want, got, "page at %d", k)
			}
		}
		for i, r := range o.slots {
			if r != nil {
				require.Equal(t, i, r.pos, "pos of %d", r.id)
			}
		}
	}
	for round := range 40 {
		for range rng.IntN(60) {
			r := &rec{id: next}
			next++
			o.push(r)
			model = append(model, r)
		}
		for range rng.IntN(len(model) + 1) {
			i := rng.IntN(len(model))
			o.remove(model[i].pos)
			model = append(model[:i], model[i+1:]...)
		}
		check()
		if round%10 == 9 {
			require.True(t, o.holes < 32 || o.holes*2 < len(o.slots), "compaction keeps holes bounded: %d of %d", o.holes, len(o.slots))
		}
	}
	for len(model) > 0 {
		o.remove(model[0].pos)
		model = model[1:]
	}
	check()
}

func TestMemberCompactionKeepsOrder(t *testing.T) {
	ctx := context.Background()
	_, gs := New()
	var ms []scim.MultiValue
	for i := range 100 {
		ms = append(ms, scim.MultiValue{Value: fmt.Sprintf("m%03d", i), Type: "User"})
	}
	g, err := gs.Create(ctx, &scim.Group{DisplayName: "G", Members: ms})
	require.NoError(t, err)
	var remove []string
	for i := range 100 {
		if i%5 != 0 {
			remove = append(remove, ms[i].Value)
		}
	}
	_, err = gs.PatchMembers(ctx, g.ID, nil, remove, "")
	require.NoError(t, err)
	l := &gs.b.partition(ctx, false).groups[g.ID].members
	require.Less(t, l.slots, 100, "80 removals out of 100 compact the member list")
	require.Equal(t, 20, l.size())
	got, err := gs.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	var want []scim.MultiValue
	for i := 0; i < 100; i += 5 {
		want = append(want, ms[i])
	}
	require.Equal(t, want, got.Members, "members keep their order")

	// The index still points at the right slots.
	_, err = gs.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: "new"}}, []string{"m050", "M095"}, "")
	require.NoError(t, err)
	got, err = gs.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, got.Members, 19)
	require.Equal(t, "m090", got.Members[17].Value)
	require.Equal(t, "new", got.Members[18].Value)
}

func TestReadsDoNotCreatePartitions(t *testing.T) {
	type key struct{}
	us, gs := New(WithPartition(func(ctx context.Context) string { s, _ := ctx.Value(key{}).(string); return s }))
	ctx := context.WithValue(context.Background(), key{}, "nobody")
	_, err := us.Get(ctx, "x", scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	_, err = gs.Get(ctx, "x", scim.ReadOptions{})
	require.ErrorIs(t, err, scim.ErrNotFound)
	page, err := us.List(ctx, &scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	require.Zero(t, page.TotalResults)
	require.NotNil(t, page.Resources)
	require.ErrorIs(t, us.Delete(ctx, "x", ""), scim.ErrNotFound)
	require.Empty(t, *us.b.parts.Load(), "reads of an unknown tenant allocate nothing")
	_, err = us.Create(ctx, &scim.User{UserName: "a"})
	require.NoError(t, err)
	require.Len(t, *us.b.parts.Load(), 1)
}

// fixture fills a store with users u000…, each with a work email, and groups
// g00… whose members are every tenth user (g00 also has member "GROUP-X").
func fixture(t *testing.T, users, groups int) (*UserStore, *GroupStore, []*scim.User, []*scim.Group) {
	ctx := context.Background()
	us, gs := New()
	var uu []*scim.User
	for i := range users {
		u, err := us.Create(ctx, &scim.User{
			UserName:   fmt.Sprintf("u%03d", i),
			ExternalID: fmt.Sprintf("ext%03d", i),
			Emails:     []scim.MultiValue{{Value: fmt.Sprintf("u%03d@example.com", i), Type: "work"}},
		})
		require.NoError(t, err)
		uu = append(uu, u)
	}
	var gg []*scim.Group
	for i := range groups {
		g := &scim.Group{DisplayName: fmt.Sprintf("g%02d", i), ExternalID: fmt.Sprintf("gext%02d", i)}
		for j := i % 10; j < users; j += 10 {
			g.Members = append(g.Members, scim.MultiValue{Value: uu[j].ID, Type: "User"})
		}
		if i == 0 {
			g.Members = append(g.Members, scim.MultiValue{Value: "GROUP-X", Type: "Group"})
		}
		g, err := gs.Create(ctx, g)
		require.NoError(t, err)
		gg = append(gg, g)
	}
	return us, gs, uu, gg
}

func TestIndexedFiltersDoNotScan(t *testing.T) {
	ctx := context.Background()
	us, gs, uu, gg := fixture(t, 100, 20)
	listUsers := func(expr string) int {
		f, err := scim.ParseUserFilter(expr)
		require.NoError(t, err, expr)
		page, err := us.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 1000})
		require.NoError(t, err)
		return page.TotalResults
	}
	listGroups := func(expr string) int {
		f, err := scim.ParseGroupFilter(expr)
		require.NoError(t, err, expr)
		page, err := gs.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 1000, ReadOptions: scim.ReadOptions{SkipMembership: true}})
		require.NoError(t, err)
		return page.TotalResults
	}
	u7, g3 := uu[7], gg[3]
	for _, c := range []struct {
		users   bool
		expr    string
		want    int
		indexed bool
	}{
		{true, `userName eq "U007"`, 1, true},
		{true, `externalId eq "ext007"`, 1, true},
		{true, `id eq "` + u7.ID + `"`, 1, true},
		{true, `userName eq "u007" and emails co "example"`, 1, true},
		{true, `emails co "example" and externalId eq "ext008"`, 1, true},
		{true, `userName eq "u007" or externalId eq "ext009"`, 2, true},
		{true, `userName eq "u007" or emails co "u009"`, 2, false},
		{true, `userName co "u00"`, 10, false},
		{true, `emails[type eq "work" and value co "u01"]`, 10, false},
		{false, `displayName eq "G03"`, 1, true},
		{false, `externalId eq "gext03"`, 1, true},
		{false, `members eq "` + u7.ID + `"`, 2, true},
		{false, `members eq "` + strings.ToUpper(u7.ID) + `"`, 2, true}, // members.value is not caseExact
		{false, `members[value eq "` + u7.ID + `"]`, 2, true},
		{false, `members[value eq "group-x" and type eq "Group"]`, 1, true},
		{false, `id eq "` + g3.ID + `" and members eq "` + uu[13].ID + `"`, 1, true},
		{false, `id eq "` + g3.ID + `" and members eq "` + u7.ID + `"`, 0, true},
		{false, `members eq "` + u7.ID + `" or displayName eq "g00"`, 3, true},
		{false, `displayName sw "g0"`, 10, false},
		{false, `not (members eq "` + u7.ID + `")`, 18, false},
	} {
		before := us.b.scans.Load()
		var got int
		if c.users {
			got = listUsers(c.expr)
		} else {
			got = listGroups(c.expr)
		}
		assert.Equal(t, c.want, got, c.expr)
		scanned := us.b.scans.Load() != before
		assert.Equal(t, !c.indexed, scanned, "scanned for %s", c.expr)
	}
}

// allocated returns the bytes that fn allocates per call, over n calls.
func allocated(n int, fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		fn()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

func TestBigGroupsAreNotCopied(t *testing.T) {
	const size = 20_000
	ctx := context.Background()
	us, gs := New()
	u, err := us.Create(ctx, &scim.User{UserName: "alice"})
	require.NoError(t, err)
	members := make([]scim.MultiValue, size)
	for i := range members {
		members[i] = scim.MultiValue{Value: fmt.Sprintf("member-%06d", i), Type: "User"}
	}
	members[size/2].Value = u.ID
	g, err := gs.Create(ctx, &scim.Group{DisplayName: "Everyone", Members: members})
	require.NoError(t, err)
	listCost := size * 64 // bytes a copy of the member list would cost, at least

	// The first add starts a new chunk of slots rather than copying the
	// members to a bigger slice.
	first := allocated(1, func() {
		if _, err := gs.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: "first"}}, nil, ""); err != nil {
			panic(err)
		}
	})
	assert.Less(t, first, uint64(listCost/2), "the first add to a group of %d allocates %d bytes", size, first)
	i := 0
	perPatch := allocated(200, func() {
		i++
		v := fmt.Sprintf("new-%d", i)
		_, err := gs.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: v}}, []string{v}, "")
		if err != nil {
			panic(err)
		}
	})
	assert.Less(t, perPatch, uint64(4096), "PatchMembers allocates %d bytes on a group of %d", perPatch, size)

	perGet := allocated(50, func() {
		if _, err := gs.Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}); err != nil {
			panic(err)
		}
	})
	assert.Less(t, perGet, uint64(4096), "Get with SkipMembership allocates %d bytes", perGet)

	// Entra's membership check: "id eq … and members eq …".
	f, err := scim.ParseGroupFilter(fmt.Sprintf(`id eq "%s" and members eq "%s"`, g.ID, u.ID))
	require.NoError(t, err)
	q := &scim.Query{Filter: f, StartIndex: 1, Count: 10, ReadOptions: scim.ReadOptions{SkipMembership: true}}
	page, err := gs.List(ctx, q)
	require.NoError(t, err)
	require.Equal(t, 1, page.TotalResults)
	require.Nil(t, page.Resources[0].Members)
	perList := allocated(50, func() {
		if _, err := gs.List(ctx, q); err != nil {
			panic(err)
		}
	})
	assert.Less(t, perList, uint64(4096), "the membership check allocates %d bytes", perList)

	// A user's groups come from the reverse index.
	perUser := allocated(50, func() {
		if _, err := us.Get(ctx, u.ID, scim.ReadOptions{}); err != nil {
			panic(err)
		}
	})
	assert.Less(t, perUser, uint64(4096), "Get of a member of a big group allocates %d bytes", perUser)

	// A full read does copy, once.
	full := allocated(5, func() {
		if _, err := gs.Get(ctx, g.ID, scim.ReadOptions{}); err != nil {
			panic(err)
		}
	})
	assert.Greater(t, full, uint64(listCost), "sanity check of the measurement")
}

func TestSortByMultiValuedSubAttribute(t *testing.T) {
	ctx := context.Background()
	us, gs := New()
	a, err := us.Create(ctx, &scim.User{UserName: "a"})
	require.NoError(t, err)
	b, err := us.Create(ctx, &scim.User{UserName: "b"})
	require.NoError(t, err)
	gb, err := gs.Create(ctx, &scim.Group{DisplayName: "has b", Members: []scim.MultiValue{{Value: b.ID}}})
	require.NoError(t, err)
	ga, err := gs.Create(ctx, &scim.Group{DisplayName: "has a", Members: []scim.MultiValue{{Value: a.ID}}})
	require.NoError(t, err)
	want := []string{ga.ID, gb.ID}
	if b.ID < a.ID {
		want = []string{gb.ID, ga.ID}
	}
	page, err := gs.List(ctx, &scim.Query{SortBy: "members.value", StartIndex: 1, Count: 10, ReadOptions: scim.ReadOptions{SkipMembership: true}})
	require.NoError(t, err)
	require.Equal(t, want, []string{page.Resources[0].ID, page.Resources[1].ID})

	upage, err := us.List(ctx, &scim.Query{SortBy: "groups.value", SortDescending: true, StartIndex: 1, Count: 10})
	require.NoError(t, err)
	wantUsers := []string{a.ID, b.ID}
	if ga.ID < gb.ID {
		wantUsers = []string{b.ID, a.ID}
	}
	require.Equal(t, wantUsers, []string{upage.Resources[0].ID, upage.Resources[1].ID})
}

func TestDeleteBumpsGroupVersions(t *testing.T) {
	ctx := context.Background()
	us, gs := New()
	u, err := us.Create(ctx, &scim.User{UserName: "alice"})
	require.NoError(t, err)
	inner, err := gs.Create(ctx, &scim.Group{DisplayName: "inner"})
	require.NoError(t, err)
	g, err := gs.Create(ctx, &scim.Group{DisplayName: "outer", Members: []scim.MultiValue{
		{Value: u.ID, Type: "User"}, {Value: inner.ID, Type: "Group"}, {Value: "other"}}})
	require.NoError(t, err)
	untouched, err := gs.Create(ctx, &scim.Group{DisplayName: "unrelated", Members: []scim.MultiValue{{Value: "other"}}})
	require.NoError(t, err)

	require.NoError(t, us.Delete(ctx, u.ID, ""))
	after, err := gs.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.NotEqual(t, g.Meta.Version, after.Meta.Version)
	require.Equal(t, []string{inner.ID, "other"}, []string{after.Members[0].Value, after.Members[1].Value})
	// A stale read-modify-write cannot bring the deleted user back.
	_, err = gs.Replace(ctx, g, g.Meta.Version)
	require.ErrorIs(t, err, scim.ErrPreconditionFailed)

	// Deleting a group removes it from the groups it is a member of.
	require.NoError(t, gs.Delete(ctx, inner.ID, ""))
	final, err := gs.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.NotEqual(t, after.Meta.Version, final.Meta.Version)
	require.Equal(t, []scim.MultiValue{{Value: "other"}}, final.Members)
	same, err := gs.Get(ctx, untouched.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, untouched.Meta.Version, same.Meta.Version, "a group without the deleted member keeps its version")
}

func TestMemberValuesAreCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	_, gs := New()
	g, err := gs.Create(ctx, &scim.Group{DisplayName: "g", Members: []scim.MultiValue{{Value: "ABC"}, {Value: "abc"}, {Value: "x"}}})
	require.NoError(t, err)
	require.Equal(t, []scim.MultiValue{{Value: "ABC"}, {Value: "x"}}, g.Members, "the later duplicate is dropped; values are kept as sent")
	p, err := gs.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: "aBc"}}, nil, "")
	require.NoError(t, err)
	require.Equal(t, g.Meta.Version, p.Meta.Version, "adding an existing member in another case changes nothing")
	_, err = gs.PatchMembers(ctx, g.ID, nil, []string{"abc"}, "")
	require.NoError(t, err)
	got, err := gs.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []scim.MultiValue{{Value: "x"}}, got.Members)
}

func TestMemberList(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var l memberList
	var model []string // live values in order
	next := 0
	l.set([]scim.MultiValue{{Value: "seed-a"}, {Value: "SEED-A"}, {Value: "seed-b"}})
	model = []string{"seed-a", "seed-b"}
	for range 300 {
		for range rng.IntN(40) {
			v := fmt.Sprintf("v%d", next)
			next++
			require.True(t, l.add(foldKey(v), scim.MultiValue{Value: v}))
			model = append(model, v)
		}
		if len(model) > 0 {
			v := model[rng.IntN(len(model))]
			require.False(t, l.add(foldKey(strings.ToUpper(v)), scim.MultiValue{Value: v}), "duplicate %s", v)
		}
		for range rng.IntN(len(model) + 1) {
			i := rng.IntN(len(model))
			require.True(t, l.remove(foldKey(model[i])))
			model = append(model[:i], model[i+1:]...)
		}
		require.False(t, l.remove("absent"))
		got := l.all()
		require.Len(t, got, len(model))
		for i, m := range got {
			require.Equal(t, model[i], m.Value)
		}
		require.Equal(t, len(model), l.size())
		require.True(t, l.dead < 32 || l.dead*2 < l.slots, "compaction keeps dead slots bounded")
		for _, c := range l.chunks[:max(len(l.chunks)-1, 0)] {
			require.Equal(t, len(c), cap(c), "only the last chunk has room")
		}
		if len(model) > 0 {
			v := model[len(model)/2]
			require.Equal(t, []scim.MultiValue{{Value: v}}, l.with([]string{foldKey(v), "absent"}))
		}
	}
}
