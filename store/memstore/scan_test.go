package memstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// A scan that no index answers does not hold the tenant's lock while it
// evaluates: between chunks, a write and a read of the same tenant go
// through, and a cancelled request stops the scan. The test pauses the scan
// between two chunks and writes meanwhile; a scan that held the lock
// throughout would never pause there, and the test fails instead of
// hanging.
func TestScanReleasesLock(t *testing.T) {
	users, groups := New()
	ctx := scim.ContextWithTenant(context.Background(), "t")
	var members []scim.MultiValue
	for i := range 3 * scanChunk {
		u, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("user%04d", i)})
		require.NoError(t, err)
		if i < 10 {
			members = append(members, scim.MultiValue{Value: u.ID})
		}
	}
	g, err := groups.Create(ctx, &scim.Group{DisplayName: "team", Members: members})
	require.NoError(t, err)
	f, err := scim.ParseUserFilter(`userName co "user"`)
	require.NoError(t, err)

	paused, resume := make(chan struct{}), make(chan struct{})
	scanPaused = func() {
		scanPaused = nil // pause once
		close(paused)
		<-resume
	}
	t.Cleanup(func() { scanPaused = nil })
	type result struct {
		page *scim.Page[scim.User]
		err  error
	}
	done := make(chan result, 1)
	go func() {
		page, err := users.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 10})
		done <- result{page, err}
	}()
	select {
	case <-paused:
	case r := <-done:
		t.Fatalf("the scan never paused between chunks (err %v)", r.err)
	}
	p := users.b.partition(ctx, false)
	require.True(t, p.mu.TryLock(), "the scan holds the tenant's lock between chunks")
	p.mu.Unlock()
	// A write and a read of the same tenant complete while the scan is
	// paused: a new user, and a rename of the group.
	_, err = users.Create(ctx, &scim.User{UserName: "late"})
	require.NoError(t, err)
	g.DisplayName = "renamed"
	_, err = groups.Replace(ctx, g, "")
	require.NoError(t, err)
	got, err := groups.Get(ctx, g.ID, scim.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, "renamed", got.DisplayName)
	close(resume)
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 3*scanChunk, r.page.TotalResults, "the users that existed when the scan began")
	require.Len(t, r.page.Resources, 10)
}

// A scan stops with the context's error when the request is gone.
func TestScanStopsWhenCancelled(t *testing.T) {
	users, groups := New()
	ctx, cancel := context.WithCancel(scim.ContextWithTenant(context.Background(), "t"))
	for i := range 2 * scanChunk {
		_, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("user%04d", i)})
		require.NoError(t, err)
		_, err = groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("group%04d", i)})
		require.NoError(t, err)
	}
	scanPaused = func() { cancel() }
	t.Cleanup(func() { scanPaused = nil })
	uf, err := scim.ParseUserFilter(`userName co "user"`)
	require.NoError(t, err)
	_, err = users.List(ctx, &scim.Query{Filter: uf, StartIndex: 1, Count: 10})
	require.ErrorIs(t, err, context.Canceled)
	gf, err := scim.ParseGroupFilter(`displayName co "group"`)
	require.NoError(t, err)
	_, err = groups.List(ctx, &scim.Query{Filter: gf, StartIndex: 1, Count: 10})
	require.ErrorIs(t, err, context.Canceled)
	err = users.LendUsers(ctx, &scim.Query{Filter: uf, StartIndex: 1, Count: 10}, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// userIndexed and groupIndexed decide as userCandidates and
// groupCandidates do, without the lock.
func TestIndexedAgreesWithCandidates(t *testing.T) {
	p := newPartition()
	for _, expr := range []string{
		`userName eq "a"`, `userName co "a"`, `id eq "x" or userName eq "b"`, `id eq "x" or title eq "b"`,
		`title eq "t" and externalId eq "e"`, `name.givenName eq "a"`, `emails[type eq "work"].value eq "a"`,
		`userName eq ""`, `not (userName eq "a")`, `groups eq "g"`,
	} {
		f, err := scim.ParseUserFilter(expr)
		require.NoError(t, err)
		_, want := p.userCandidates(f.Expr)
		require.Equal(t, want, userIndexed(f.Expr), expr)
	}
	for _, expr := range []string{
		`displayName eq "a"`, `members eq "u"`, `members.value eq "u"`, `members.display eq "u"`,
		`members[value eq "u"]`, `members[type eq "User"]`, `id eq "g" and members eq "u"`,
		`displayName co "a" or id eq "g"`, `externalId eq "e" or displayName eq "d"`, `members co "u"`,
	} {
		f, err := scim.ParseGroupFilter(expr)
		require.NoError(t, err)
		_, want := p.groupCandidates(f.Expr)
		require.Equal(t, want, groupIndexed(f.Expr), expr)
	}
}
