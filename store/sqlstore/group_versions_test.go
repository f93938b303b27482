package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

func versionNumber(t *testing.T, etag string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`))
	require.NoError(t, err, etag)
	return n
}

// Member changes of one group through two store instances (two replicas):
// every change makes one version, whether the changes run one after
// another (each then reports the version that a read finds after it) or
// concurrently (each then reports a version no greater than the one after
// it, and the group's version counts every change); a write with the
// version read before a concurrent member change is refused.
func TestConcurrentMemberVersions(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			var dbA, dbB *sql.DB
			if dl.name == "postgres" {
				dbA, dbB = postgresPool(t), postgresPool(t)
			} else {
				path := filepath.Join(t.TempDir(), "scim.db")
				dbA, dbB = sqliteFile(t, path), sqliteFile(t, path)
			}
			prefix := byTenant(uniquePrefix())
			users, groupsA := sqlstore.New(dbA, dl.d, prefix)
			_, groupsB := sqlstore.New(dbB, dl.d, prefix)
			stores := []*sqlstore.GroupStore{groupsA, groupsB}
			ctx := scim.ContextWithMemberCheck(context.Background())
			const n = 40
			ids := make([]string, n)
			for i := range ids {
				u := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: fmt.Sprint("member", i)}))
				ids[i] = u.ID
			}
			g := must[*scim.Group](t)(groupsA.Create(ctx, &scim.Group{DisplayName: "versions"}))
			v0 := versionNumber(t, g.Meta.Version)

			// One after another, alternating instances.
			prev := v0
			for i := range 10 {
				out, err := stores[i%2].PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: ids[i]}}, nil, "")
				require.NoError(t, err)
				v := versionNumber(t, out.Meta.Version)
				require.Equal(t, prev+1, v, "change %d", i)
				got := must[*scim.Group](t)(stores[(i+1)%2].Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}))
				require.Equal(t, out.Meta.Version, got.Meta.Version, "a read after change %d", i)
				require.False(t, got.Meta.LastModified.Before(g.Meta.LastModified))
				prev = v
			}
			// A change that changes nothing makes no version.
			out, err := groupsB.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: ids[0]}}, nil, "")
			require.NoError(t, err)
			require.Equal(t, prev, versionNumber(t, out.Meta.Version))

			// Concurrently.
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				reported []int
			)
			for i := 10; i < n; i++ {
				wg.Go(func() {
					var add []scim.MultiValue
					var remove []string
					if i%3 == 0 {
						remove = []string{ids[i%10]}
					} else {
						add = []scim.MultiValue{{Value: ids[i]}}
					}
					out, err := stores[i%2].PatchMembers(ctx, g.ID, add, remove, "")
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					reported = append(reported, versionNumber(t, out.Meta.Version))
					mu.Unlock()
				})
			}
			wg.Wait()
			final := must[*scim.Group](t)(groupsA.Get(ctx, g.ID, scim.ReadOptions{}))
			require.Equal(t, prev+n-10, versionNumber(t, final.Meta.Version), "every change made one version")
			require.Len(t, reported, n-10)
			for _, v := range reported {
				require.Greater(t, v, prev)
				require.LessOrEqual(t, v, prev+n-10)
			}
			want := map[string]bool{}
			for i := range n {
				want[ids[i]] = i < 10 || i%3 != 0
			}
			for i := 10; i < n; i++ {
				if i%3 == 0 {
					want[ids[i%10]] = false
				}
			}
			for id, in := range want {
				if !in {
					delete(want, id)
				}
			}
			got := map[string]bool{}
			for _, m := range final.Members {
				got[m.Value] = true
			}
			require.Equal(t, want, got)

			// A stale version is refused after a concurrent member change,
			// by every conditional write, through either instance.
			stale := final.Meta.Version
			_, err = groupsB.PatchMembers(ctx, g.ID, nil, []string{ids[10]}, "")
			require.NoError(t, err)
			_, err = groupsA.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: ids[0]}}, []string{ids[11]}, stale)
			require.ErrorIs(t, err, scim.ErrPreconditionFailed)
			_, err = groupsA.Replace(ctx, &scim.Group{ID: g.ID, DisplayName: "lost"}, stale)
			require.ErrorIs(t, err, scim.ErrPreconditionFailed)
			_, err = groupsA.ReplaceKeepingMembers(ctx, &scim.Group{ID: g.ID, DisplayName: "lost"}, stale)
			require.ErrorIs(t, err, scim.ErrPreconditionFailed)
			require.ErrorIs(t, groupsA.Delete(ctx, g.ID, stale), scim.ErrPreconditionFailed)
			// The current version is accepted, and the write makes the next.
			cur := must[*scim.Group](t)(groupsA.Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}))
			renamed, err := groupsA.ReplaceKeepingMembers(ctx, &scim.Group{ID: g.ID, DisplayName: "renamed"}, cur.Meta.Version)
			require.NoError(t, err)
			require.Equal(t, versionNumber(t, cur.Meta.Version)+1, versionNumber(t, renamed.Meta.Version))
			changed, err := groupsB.PatchMembers(ctx, g.ID, nil, []string{ids[13]}, renamed.Meta.Version)
			require.NoError(t, err)
			require.Equal(t, versionNumber(t, renamed.Meta.Version)+1, versionNumber(t, changed.Meta.Version))
			require.NoError(t, groupsB.Delete(ctx, g.ID, changed.Meta.Version))
		})
	}
}

// A write with If-Match waits for a member change in flight and then
// checks the version that change made: the member change here is held
// open in a transaction that does what the member fast path does (a
// key-share lock on the group's row, one stripe counted).
func TestIfMatchWaitsForMemberChange(t *testing.T) {
	db := postgresDB(t)
	prefix := uniquePrefix()
	_, groups := sqlstore.New(db, sqlstore.Postgres, byTenant(prefix))
	ctx := context.Background()
	g := must[*scim.Group](t)(groups.Create(ctx, &scim.Group{DisplayName: "held"}))
	tenant := prefix + "/"

	for _, write := range []struct {
		name string
		do   func(version string) error
	}{
		{"replace", func(v string) error {
			_, err := groups.Replace(ctx, &scim.Group{ID: g.ID, DisplayName: "held"}, v)
			return err
		}},
		{"patch members", func(v string) error {
			_, err := groups.PatchMembers(ctx, g.ID, nil, []string{"nobody"}, v)
			return err
		}},
		{"delete", func(v string) error { return groups.Delete(ctx, g.ID, v) }},
	} {
		t.Run(write.name, func(t *testing.T) {
			cur := must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}))
			tx, err := db.BeginTx(ctx, nil)
			require.NoError(t, err)
			defer tx.Rollback() //nolint:errcheck // a no-op after Commit
			_, err = tx.ExecContext(ctx, "SELECT 1 FROM scim_groups WHERE tenant = $1 AND id = $2 FOR KEY SHARE", tenant, g.ID)
			require.NoError(t, err)
			_, err = tx.ExecContext(ctx, `INSERT INTO scim_group_versions AS sv (tenant, group_id, stripe, n, last_modified)
VALUES ($1, $2, 3, 1, now()) ON CONFLICT (tenant, group_id, stripe) DO UPDATE SET n = sv.n + 1`, tenant, g.ID)
			require.NoError(t, err)

			done := make(chan error, 1)
			go func() { done <- write.do(cur.Meta.Version) }()
			select {
			case err := <-done:
				t.Fatalf("the write did not wait for the member change: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
			require.NoError(t, tx.Commit())
			require.ErrorIs(t, <-done, scim.ErrPreconditionFailed)
			after := must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}))
			require.Equal(t, versionNumber(t, cur.Meta.Version)+1, versionNumber(t, after.Meta.Version))
		})
	}
}
