package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// testUserLender checks that a user store's optional scim.UserLender lends
// exactly what Get and List return.
func testUserLender(t *testing.T, e *env) {
	lender, ok := e.users.(scim.UserLender)
	if !ok {
		t.Log("the user store does not implement scim.UserLender; nothing to check")
		return
	}
	var ids []string
	var us []*scim.User
	for i := range 7 {
		u := fullUser(fmt.Sprintf("lent%d", i), e.managerID(t))
		if i%2 == 1 {
			u = e.user(fmt.Sprintf("lent%d", i))
		}
		u = e.createUser(t, u)
		ids, us = append(ids, u.ID), append(us, u)
	}
	e.createGroup(t, &scim.Group{DisplayName: "Odd", Members: e.members(us[1], us[3], us[5])})
	e.createGroup(t, &scim.Group{DisplayName: "Low", Members: e.members(us[0], us[1])})

	for _, id := range ids {
		for _, skip := range []bool{false, true} {
			opts := scim.ReadOptions{SkipMembership: skip}
			want, err := e.users.Get(e.ctx, id, opts)
			require.NoError(t, err)
			s := &snapshotSink{skipMembership: skip}
			require.NoError(t, lender.LendUser(e.ctx, id, opts, s), "LendUser(%s, %+v)", id, opts)
			require.Equal(t, []string{snapshot(want, want.Groups, skip)}, s.users, "LendUser(%s, %+v) lends what Get returns", id, opts)
			require.Empty(t, s.pages, "LendUser announces no page")
		}
	}
	s := &snapshotSink{}
	err := lender.LendUser(e.ctx, "no-such-user", scim.ReadOptions{}, s)
	require.True(t, errors.Is(err, scim.ErrNotFound), "LendUser of a missing user: %v, want an error wrapping scim.ErrNotFound", err)
	require.Empty(t, s.users, "LendUser of a missing user calls no sink")

	queries := map[string]*scim.Query{
		"all":             all(),
		"page 2 of 3":     {StartIndex: 4, Count: 3},
		"count 0":         {StartIndex: 1, Count: 0},
		"past the end":    {StartIndex: 100, Count: 10},
		"filter":          {Filter: userFilter(t, `userName sw "lent" and not (userName eq "lent2")`), StartIndex: 2, Count: 3},
		"groups filter":   {Filter: userFilter(t, `groups.display eq "Odd"`), StartIndex: 1, Count: 10},
		"sort descending": {SortBy: "userName", SortDescending: true, StartIndex: 1, Count: 5},
		"skip membership": {StartIndex: 1, Count: 10, ReadOptions: scim.ReadOptions{SkipMembership: true}},
		"no match":        {Filter: userFilter(t, `userName eq "nobody"`), StartIndex: 1, Count: 10},
	}
	for name, q := range queries {
		page := e.listUsers(t, q)
		want := make([]string, len(page.Resources))
		for i, u := range page.Resources {
			want[i] = snapshot(u, u.Groups, q.SkipMembership)
		}
		s := &snapshotSink{skipMembership: q.SkipMembership}
		require.NoError(t, lender.LendUsers(e.ctx, q, s), "LendUsers (%s)", name)
		require.Equal(t, [][2]int{{page.TotalResults, len(page.Resources)}}, s.pages, "LendUsers (%s) calls LentPage once with the total and the page size of List", name)
		if len(want) == 0 {
			want = nil
		}
		require.Equal(t, want, s.users, "LendUsers (%s) lends the page that List returns, in order", name)
	}
}

// snapshotSink records what it is lent as JSON text, taken during the call
// since the lent values are only borrowed.
type snapshotSink struct {
	// skipMembership leaves groups out, as the read asked.
	skipMembership bool
	pages          [][2]int
	users          []string
}

func (s *snapshotSink) LentPage(total, n int) { s.pages = append(s.pages, [2]int{total, n}) }

func (s *snapshotSink) LentUser(u *scim.User, groups []scim.MultiValue) {
	s.users = append(s.users, snapshot(u, groups, s.skipMembership))
}

// snapshot renders u, with groups as its groups, as JSON text: empty lists
// as none and groups in the order of their values, which are what a store
// may choose freely; without membership, groups are left out.
func snapshot(u *scim.User, groups []scim.MultiValue, skipMembership bool) string {
	c := stripUser(u)
	c.ID, c.Meta = u.ID, u.Meta
	if !skipMembership && len(groups) > 0 {
		c.Groups = slices.Clone(groups)
		slices.SortFunc(c.Groups, func(a, b scim.MultiValue) int { return strings.Compare(a.Value, b.Value) })
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "json: " + err.Error()
	}
	return string(b)
}
