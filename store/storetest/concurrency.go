package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// writers is the number of concurrent writers in each concurrency test.
const writers = 50

// maxRetries bounds the read-modify-write retries of one writer; with
// optimistic concurrency each round lets at least one writer through, so
// writers rounds always suffice.
const maxRetries = 10 * writers

// parallel runs fn(i) for i in [0, n) in n goroutines and fails the test
// with the errors they return. Goroutines must not call t.FailNow, so they
// report errors instead.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start) // all at once, to collide as much as possible
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

func (e *env) createUsers(t *testing.T, prefix string, n int) []*scim.User {
	t.Helper()
	us := make([]*scim.User, n)
	for i := range us {
		us[i] = e.createUser(t, e.user(fmt.Sprintf("%s%02d", prefix, i)))
	}
	return us
}

func testConcurrentCreates(t *testing.T, e *env) {
	ids := make([]string, writers)
	var done atomic.Bool
	var readers sync.WaitGroup
	readErrs := make([]error, 4)
	// Readers run alongside the writers, for the race detector to watch.
	for r := range readErrs {
		readers.Go(func() {
			for !done.Load() {
				page, err := e.users.List(e.ctx, all())
				if err != nil {
					readErrs[r] = err
					return
				}
				for _, u := range page.Resources {
					if _, err := e.users.Get(e.ctx, u.ID, scim.ReadOptions{}); err != nil {
						readErrs[r] = errorf("Get %s during creates: %w", u.ID, err)
						return
					}
				}
			}
		})
	}
	parallel(t, writers, func(i int) error {
		u, err := e.users.Create(e.ctx, e.user(fmt.Sprintf("concurrent%02d", i)))
		if err != nil {
			return errorf("Create %d: %w", i, err)
		}
		ids[i] = u.ID
		return nil
	})
	done.Store(true)
	readers.Wait()
	require.NoError(t, errors.Join(readErrs...))

	seen := map[string]bool{}
	for _, id := range ids {
		require.NotEmpty(t, id)
		require.False(t, seen[id], "id %s assigned twice", id)
		seen[id] = true
		e.getUser(t, id)
	}
	page := e.listUsers(t, all())
	require.Equal(t, writers, page.TotalResults)
	require.ElementsMatch(t, ids, userIDs(page.Resources))
}

func testConcurrentSameUserName(t *testing.T, e *env) {
	var created atomic.Int32
	parallel(t, writers, func(i int) error {
		name := "Same.Name@example.com"
		if i%2 == 1 {
			name = "same.name@EXAMPLE.com"
		}
		_, err := e.users.Create(e.ctx, e.user(name))
		switch {
		case err == nil:
			created.Add(1)
		case !errors.Is(err, scim.ErrConflict):
			return errorf("Create %d: %w, want ErrConflict", i, err)
		}
		return nil
	})
	require.Equal(t, int32(1), created.Load(), "exactly one Create of a userName must succeed")
	require.Equal(t, 1, e.listUsers(t, all()).TotalResults)
}

func testConcurrentReplaceMembers(t *testing.T, e *env) {
	us := e.createUsers(t, "member", writers)
	g := e.createGroup(t, &scim.Group{DisplayName: "Crowded"})
	var conflicts atomic.Int32
	// Each writer adds its user by read-modify-write, as a handler does for
	// PATCH without MemberPatcher: a lost update would lose a member.
	parallel(t, writers, func(i int) error {
		for range maxRetries {
			cur, err := e.groups.Get(e.ctx, g.ID, scim.ReadOptions{})
			if err != nil {
				return errorf("writer %d: Get: %w", i, err)
			}
			cur.Members = append(cur.Members, e.member(us[i]))
			_, err = e.replaceGroup(e.ctx, cur, cur.Meta.Version)
			if errors.Is(err, scim.ErrPreconditionFailed) {
				conflicts.Add(1)
				continue
			}
			if err != nil {
				return errorf("writer %d: Replace: %w", i, err)
			}
			return nil
		}
		return errorf("writer %d: still conflicting after %d tries", i, maxRetries)
	})
	final := e.getGroup(t, g.ID)
	require.ElementsMatch(t, userIDs(us), memberValues(final), "a concurrent Replace lost an update")
	for _, u := range us {
		e.requireGroups(t, e.getUser(t, u.ID), ref(g.ID, "Crowded"))
	}
	t.Logf("%d version conflicts retried", conflicts.Load())
}

func testConcurrentPatchMembers(t *testing.T, e *env) {
	mp, ok := e.groups.(scim.MemberPatcher)
	if !ok {
		t.Log("the group store does not implement scim.MemberPatcher; nothing to check")
		return
	}
	adds := e.createUsers(t, "add", writers)
	removes := e.createUsers(t, "remove", writers/2)
	initial := make([]scim.MultiValue, len(removes))
	for i, u := range removes {
		initial[i] = e.member(u)
	}
	g := e.createGroup(t, &scim.Group{DisplayName: "Crowded", Members: initial})
	parallel(t, writers+len(removes), func(i int) error {
		var err error
		if i < writers {
			_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(adds[i])}, nil, "")
		} else {
			_, err = mp.PatchMembers(e.ctx, g.ID, nil, []string{removes[i-writers].ID}, "")
		}
		if err != nil {
			return errorf("writer %d: %w", i, err)
		}
		return nil
	})
	require.ElementsMatch(t, userIDs(adds), memberValues(e.getGroup(t, g.ID)), "a concurrent PatchMembers lost an update")
	e.requireGroups(t, e.getUser(t, adds[7].ID), ref(g.ID, "Crowded"))
	e.requireGroups(t, e.getUser(t, removes[3].ID))

	// With ifVersion, concurrent writers retry as with Replace.
	more := e.createUsers(t, "more", writers)
	parallel(t, writers, func(i int) error {
		for range maxRetries {
			cur, err := e.groups.Get(e.ctx, g.ID, scim.ReadOptions{SkipMembership: true})
			if err != nil {
				return errorf("writer %d: Get: %w", i, err)
			}
			_, err = mp.PatchMembers(e.ctx, g.ID, []scim.MultiValue{e.member(more[i])}, nil, cur.Meta.Version)
			if errors.Is(err, scim.ErrPreconditionFailed) {
				continue
			}
			if err != nil {
				return errorf("writer %d: PatchMembers: %w", i, err)
			}
			return nil
		}
		return errorf("writer %d: still conflicting after %d tries", i, maxRetries)
	})
	require.ElementsMatch(t, append(userIDs(adds), userIDs(more)...), memberValues(e.getGroup(t, g.ID)))
}
