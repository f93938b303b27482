package memstore

import (
	"context"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// The users of a page share one allocation; appending to or changing one
// of them must leave the others and the store as they were.
func TestPageCopiesAreIndependent(t *testing.T) {
	ctx := context.Background()
	us, gs := New()
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		u, err := us.Create(ctx, &scim.User{UserName: name, Name: &scim.Name{GivenName: name},
			Emails: []scim.MultiValue{{Value: name + "@example.com", Type: "work"}}})
		require.NoError(t, err)
		ids = append(ids, u.ID)
	}
	_, err := gs.Create(ctx, &scim.Group{DisplayName: "g", Members: []scim.MultiValue{{Value: ids[0]}, {Value: ids[1]}}})
	require.NoError(t, err)

	page, err := us.List(ctx, &scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	require.Len(t, page.Resources, 3)
	a, b := page.Resources[0], page.Resources[1]
	a.Emails = append(a.Emails, scim.MultiValue{Value: "extra"})
	a.Groups = append(a.Groups, scim.MultiValue{Value: "extra"})
	a.Name.GivenName = "changed"
	require.Equal(t, "b@example.com", b.Emails[0].Value)
	require.Len(t, b.Emails, 1)
	require.Len(t, b.Groups, 1)
	require.Equal(t, "g", b.Groups[0].Display)
	require.Equal(t, "b", b.Name.GivenName)

	again, err := us.Get(ctx, ids[0], scim.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, again.Emails, 1)
	require.Len(t, again.Groups, 1)
	require.Equal(t, "a", again.Name.GivenName)
}

// A user with more values than a box holds inline gets them all.
func TestCopyOfUserWithManyValues(t *testing.T) {
	ctx := context.Background()
	us, _ := New()
	in := &scim.User{UserName: "many"}
	for i := range 6 {
		in.Emails = append(in.Emails, scim.MultiValue{Value: string(rune('a'+i)) + "@example.com"})
		in.Roles = append(in.Roles, scim.MultiValue{Value: string(rune('a' + i))})
	}
	u, err := us.Create(ctx, in)
	require.NoError(t, err)
	got, err := us.Get(ctx, u.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, in.Emails, got.Emails)
	require.Equal(t, in.Roles, got.Roles)
	got.Emails = append(got.Emails, scim.MultiValue{Value: "x"})
	require.Equal(t, in.Roles, got.Roles)
}

// A stored user's pointers point into its own record, after Create and
// after Replace, so that the record is one allocation for a typical user.
func TestStoredUserPointsIntoItsRecord(t *testing.T) {
	ctx := context.Background()
	us, _ := New()
	active := false
	in := &scim.User{UserName: "a", Name: &scim.Name{GivenName: "A"}, Active: &active,
		Emails:     []scim.MultiValue{{Value: "a@example.com", Type: "work"}, {Value: "b@example.com"}},
		Enterprise: &scim.EnterpriseUser{Department: "D", Manager: &scim.Manager{Value: "m"}}}
	u, err := us.Create(ctx, in)
	require.NoError(t, err)
	check := func() {
		t.Helper()
		r := us.b.partition(ctx, false).users[u.ID]
		require.Same(t, &r.in.name, r.u.Name)
		require.Same(t, &r.in.active, r.u.Active)
		require.Same(t, &r.in.emails[0], &r.u.Emails[0])
		require.Len(t, r.u.Emails, 2)
		require.Equal(t, 2, cap(r.u.Emails))
		require.Same(t, &r.in.ent, r.u.Enterprise)
		require.Same(t, &r.in.mgr, r.u.Enterprise.Manager)
	}
	check()
	next := *in
	next.ID = u.ID
	next.Name = &scim.Name{GivenName: "B"}
	_, err = us.Replace(ctx, &next, "")
	require.NoError(t, err)
	check()
	got, err := us.Get(ctx, u.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, "B", got.Name.GivenName)
	require.Equal(t, "m", got.Enterprise.Manager.Value)
	require.False(t, *got.Active)

	// More emails than fit inline are kept in a slice of their own.
	next.Emails = append(next.Emails, scim.MultiValue{Value: "c@example.com"})
	_, err = us.Replace(ctx, &next, "")
	require.NoError(t, err)
	got, err = us.Get(ctx, u.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, got.Emails, 3)
}
