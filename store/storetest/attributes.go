package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/attrtest"
)

// testAttributeGuard fills every field of User, EnterpriseUser and Group by
// reflection, with values that name their field, and checks that a store
// that keeps every attribute keeps each one, filters on each one, and
// sorts by each one: a field a store forgets (a column, a line of its
// codec, a case of its filter translation) fails here with its name, and
// so does one the store reads from the wrong place. A store that declares
// what it keeps (scim.AttributeKeeper) is checked on that by the round
// trip, filter and sort tests instead. References follow the Store
// contract: a manager and a member are users of the store, a member's type
// is "User"; a password never reaches a store that does not declare it.
func testAttributeGuard(t *testing.T, e *env) {
	var ids [2]string
	refs := func(t *testing.T) [2]string {
		if ids[0] == "" {
			ids[0] = e.createUser(t, e.user("guard.reference.a")).ID
			ids[1] = e.createUser(t, e.user("guard.reference.b")).ID
			if strings.ToLower(ids[1]) < strings.ToLower(ids[0]) {
				ids[0], ids[1] = ids[1], ids[0]
			}
		}
		return ids
	}
	t.Run("User", func(t *testing.T) {
		if e.userKeeps != nil {
			t.Log("the user store declares what it keeps; the round trip, filter and sort tests check that")
			return
		}
		guardStore(t, e, guardOps[scim.User]{
			kind:   "User",
			skip:   []string{"User.ID", "User.Groups", "User.Meta", "User.Extensions", "User.Password"},
			values: map[string][2]string{"User.Enterprise.Manager.Value": refs(t)},
			create: e.createUser,
			get:    e.getUser,
			list:   e.listUsers,
			parse:  func(s string) (*scim.Filter, error) { return scim.ParseUserFilter(s) },
			id:     func(u *scim.User) string { return u.ID },
		})
	})
	t.Run("Group", func(t *testing.T) {
		if e.groupKeeps != nil {
			t.Log("the group store declares what it keeps; the round trip, filter and sort tests check that")
			return
		}
		guardStore(t, e, guardOps[scim.Group]{
			kind: "Group",
			skip: []string{"Group.ID", "Group.Meta", "Group.Extensions"},
			values: map[string][2]string{
				"Group.Members[0].Value": refs(t),
				"Group.Members[0].Type":  {"User", ""},
			},
			create: e.createGroup,
			get:    e.getGroup,
			list:   e.listGroups,
			parse:  func(s string) (*scim.Filter, error) { return scim.ParseGroupFilter(s) },
			id:     func(g *scim.Group) string { return g.ID },
		})
	})
}

type guardOps[R scim.Resource] struct {
	kind string
	skip []string // set by the store, or checked by other tests
	// values gives a field the values of its two variants where the Store
	// contract asks for particular ones; an empty second value means the
	// field has no other value to be told apart by.
	values map[string][2]string
	create func(*testing.T, *R) *R
	get    func(*testing.T, string) *R
	list   func(*testing.T, *scim.Query) *scim.Page[R]
	parse  func(string) (*scim.Filter, error)
	id     func(*R) string
}

// guardLeaf is a field with its attribute's canonical path, empty for a
// field no filter can name (the write-only password).
type guardLeaf struct {
	attrtest.Leaf
	path string
}

func guardStore[R scim.Resource](t *testing.T, e *env, ops guardOps[R]) {
	all, err := attrtest.Fill(new(R), ops.skip...)
	require.NoError(t, err)
	// A field the filter parser does not know is no attribute: a
	// MultiValue field that an attribute's sub-attributes lack (emails has
	// no $ref, members no primary) stays empty. The scim package's own
	// tests check that every other field is in the schema.
	var leaves []guardLeaf
	for _, l := range all {
		f, err := ops.parse(l.Path + " pr")
		switch {
		case err == nil:
			leaves = append(leaves, guardLeaf{l, strings.TrimSuffix(f.String(), " pr")})
		case !l.Multi:
			leaves = append(leaves, guardLeaf{Leaf: l})
		}
	}
	userName := slices.IndexFunc(leaves, func(l guardLeaf) bool { return l.Field == "User.UserName" })

	// newResource returns a resource with every leaf at variant 0 and
	// changed at variant 1. A user's userName, which must be unique, is
	// tagged; when userName is not the field changed, it sorts the other
	// way round (the resource with the change gets the smaller one), so
	// that a sort on the wrong attribute cannot pass by chance.
	set := func(r *R, l guardLeaf, variant int) {
		if vs, ok := ops.values[l.Field]; ok {
			attrtest.SetValue(r, l.Leaf, vs[variant])
		} else {
			attrtest.Set(r, l.Leaf, variant)
		}
	}
	newResource := func(changed *guardLeaf, tag string, second bool) *R {
		r := new(R)
		for _, l := range leaves {
			set(r, l, 0)
		}
		if changed != nil {
			set(r, *changed, 1)
		}
		if userName >= 0 {
			u := any(r).(*scim.User)
			switch {
			case changed != nil && changed.Field == "User.UserName":
				u.UserName += "/" + tag
			case second:
				u.UserName += "/" + tag + "/a"
			default:
				u.UserName += "/" + tag + "/b"
			}
		}
		return r
	}

	// The store keeps every field.
	want := newResource(nil, "kept", false)
	got := ops.get(t, ops.id(ops.create(t, want)))
	for _, l := range leaves {
		w, _ := attrtest.Get(want, l.Leaf)
		if g, _ := attrtest.Get(got, l.Leaf); g != w {
			t.Errorf("%s: the store gives %v back, want %v: its columns or codec lose the field (or read another)", l.Field, g, w)
		}
	}
	if t.Failed() {
		return
	}

	for i := range leaves {
		l := &leaves[i]
		if vs, ok := ops.values[l.Field]; l.path == "" || ok && vs[1] == "" {
			continue
		}
		// Two pairs of resources that differ in l alone (and the
		// userName tag), created in either order, so that a store whose
		// sort ties them cannot pass whichever way it breaks ties.
		a := ops.create(t, newResource(nil, fmt.Sprint(i, "p"), false))
		b := ops.create(t, newResource(l, fmt.Sprint(i, "p"), true))
		b2 := ops.create(t, newResource(l, fmt.Sprint(i, "q"), true))
		a2 := ops.create(t, newResource(nil, fmt.Sprint(i, "q"), false))

		v, _ := attrtest.Get(a, l.Leaf)
		expr := l.path + " eq " + attrtest.Literal(v)
		f, err := ops.parse(expr)
		require.NoError(t, err, expr)
		page := ops.list(t, &scim.Query{Filter: f, StartIndex: 1, Count: 100000})
		ids := make([]string, len(page.Resources))
		for j, r := range page.Resources {
			ids[j] = ops.id(r)
		}
		if !slices.Contains(ids, ops.id(a)) || slices.Contains(ids, ops.id(b)) || slices.Contains(ids, ops.id(b2)) {
			t.Errorf("%s: List with the filter %s must return the %s that has the value and not those where only %s differs, but returns them: %v, %v: the store filters %s on another attribute",
				l.Field, expr, ops.kind, l.Field, slices.Contains(ids, ops.id(a)), slices.Contains(ids, ops.id(b)), l.path)
		}

		// b sorts after a, except for a bool: its variant 1 is false.
		for _, pair := range [][2]*R{{a, b}, {a2, b2}} {
			first, second := pair[0], pair[1]
			if l.Kind == attrtest.Bool {
				first, second = second, first
			}
			only, err := ops.parse(fmt.Sprintf("id eq %q or id eq %q", ops.id(first), ops.id(second)))
			require.NoError(t, err)
			for _, desc := range []bool{false, true} {
				page := ops.list(t, &scim.Query{Filter: only, SortBy: l.path, SortDescending: desc, StartIndex: 1, Count: 10})
				require.Len(t, page.Resources, 2, "List with the filter %s", only)
				want := []string{ops.id(first), ops.id(second)}
				if desc {
					want[0], want[1] = want[1], want[0]
				}
				if got := []string{ops.id(page.Resources[0]), ops.id(page.Resources[1])}; !slices.Equal(got, want) {
					t.Errorf("%s: List sorted by %s (descending %v) does not order two %ss by it: the store sorts on another attribute", l.Field, l.path, desc, ops.kind)
				}
			}
		}
	}
}
