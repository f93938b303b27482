package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// ph returns the n-th bind parameter of dialect d.
func ph(d sqlstore.Dialect, n int) string {
	if d == sqlstore.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// tenantStores returns stores on db that keep everything in tenant.
func tenantStores(db *sql.DB, d sqlstore.Dialect, tenant string) (*sqlstore.UserStore, *sqlstore.GroupStore) {
	return sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
}

// offsetPage returns the ids of the page of count users that starts
// offset users into tenant's users in insertion order, and the number of
// the tenant's users, by the plain LIMIT/OFFSET query that the block
// counts replace.
func offsetPage(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenant string, offset, count int) ([]string, int) {
	t.Helper()
	ctx := context.Background()
	var total int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM scim_users WHERE tenant = "+ph(d, 1), tenant).Scan(&total))
	rows, err := db.QueryContext(ctx, "SELECT id FROM scim_users WHERE tenant = "+ph(d, 1)+
		" ORDER BY seq LIMIT "+ph(d, 2)+" OFFSET "+ph(d, 3), tenant, count, offset)
	require.NoError(t, err)
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids, total
}

// requirePage checks the store's page of count users at offset against
// offsetPage.
func requirePage(t *testing.T, db *sql.DB, d sqlstore.Dialect, users *sqlstore.UserStore, tenant string, offset, count int) {
	t.Helper()
	want, total := offsetPage(t, db, d, tenant, offset, count)
	page, err := users.List(context.Background(), &scim.Query{StartIndex: offset + 1, Count: count})
	require.NoError(t, err)
	got := []string{}
	for _, u := range page.Resources {
		got = append(got, u.ID)
	}
	require.Equal(t, total, page.TotalResults, "totalResults at startIndex %d", offset+1)
	require.Equal(t, want, got, "page at startIndex %d, count %d", offset+1, count)
}

// blockStarts returns the offsets at which tenant's blocks start: the
// number of its users with a seq below each multiple of the block size up
// to its last user.
func blockStarts(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenant string) []int {
	t.Helper()
	rows, err := db.Query("SELECT seq FROM scim_users WHERE tenant = "+ph(d, 1)+" ORDER BY seq", tenant)
	require.NoError(t, err)
	defer rows.Close()
	var starts []int
	i, next := 0, int64(0)
	for rows.Next() {
		var seq int64
		require.NoError(t, rows.Scan(&seq))
		for seq >= next {
			starts = append(starts, i)
			next += sqlstore.BlockSize
		}
		i++
	}
	require.NoError(t, rows.Err())
	return starts
}

// requireBlocksMatch checks, in one statement, that scim_user_blocks
// counts exactly the users of tenants in each block.
func requireBlocksMatch(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenants ...string) {
	t.Helper()
	in := make([]string, len(tenants))
	args := make([]any, 0, 2*len(tenants))
	for i := range tenants {
		in[i] = ph(d, i+1)
		args = append(args, tenants[i])
	}
	in2 := make([]string, len(tenants))
	for i := range tenants {
		in2[i] = ph(d, len(tenants)+i+1)
		args = append(args, tenants[i])
	}
	size := fmt.Sprint(sqlstore.BlockSize)
	rows, err := db.Query(`SELECT 'b', tenant, block, CAST(SUM(n) AS BIGINT) FROM scim_user_blocks WHERE tenant IN (`+strings.Join(in, ", ")+`)
GROUP BY tenant, block
UNION ALL SELECT 'u', tenant, seq / `+size+`, CAST(COUNT(*) AS BIGINT) FROM scim_users WHERE tenant IN (`+strings.Join(in2, ", ")+`)
GROUP BY tenant, seq / `+size, args...)
	require.NoError(t, err)
	defer rows.Close()
	counts := map[string]map[string]int64{"b": {}, "u": {}}
	for rows.Next() {
		var src, tenant string
		var block, n int64
		require.NoError(t, rows.Scan(&src, &tenant, &block, &n))
		if n != 0 {
			counts[src][fmt.Sprint(tenant, "/", block)] = n
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, counts["u"], counts["b"], "block counts against the users they count")
}

// fill inserts n bare rows into tenant's users in one statement, to
// take up seqs between the users of other tenants.
func fill(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenant string, n int) {
	t.Helper()
	now := "'2026-01-02T03:04:05.000000Z'"
	if d == sqlstore.Postgres {
		now = "now()"
	}
	_, err := db.Exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < `+ph(d, 1)+`)
INSERT INTO scim_users (tenant, id, version, created, last_modified, user_name, user_name_key, doc, search)
SELECT `+ph(d, 2)+`, 'f' || i || '-' || `+ph(d, 3)+`, 1, `+now+`, `+now+`, 'f' || i || '-' || `+ph(d, 4)+`, 'f' || i || '-' || `+ph(d, 5)+`, '{}', '{}' FROM c`,
		n, tenant, uniquePrefix(), uniquePrefix(), uniquePrefix())
	require.NoError(t, err)
}

// seedInterleaved seeds, in each of rounds rounds, per*(i+1) users into
// the i-th tenant and gap bare rows into the tenant filler, so that the
// tenants' users spread over several blocks, and returns every tenant's
// ids in order.
func seedInterleaved(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenants []string, filler string, rounds, per, gap int) map[string][]string {
	t.Helper()
	ids := map[string][]string{}
	for round := range rounds {
		for ti, tenant := range tenants {
			got, err := sqlstore.SeedUsers(context.Background(), db, d, tenant, fmt.Sprintf("r%d-%%d@example.com", round), per*(ti+1))
			require.NoError(t, err)
			ids[tenant] = append(ids[tenant], got...)
		}
		fill(t, db, d, filler, gap)
	}
	return ids
}

// TestBlockPages: an unfiltered page in the default order, found through
// the block counts, is the page that LIMIT/OFFSET returns, at every block
// boundary and around it, in each of several tenants whose users
// interleave, after users are deleted (one at a time and many in one
// statement), created and moved, and its totalResults is the tenant's
// count.
func TestBlockPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		prefix := uniquePrefix()
		tenants := []string{prefix + "/a", prefix + "/b", prefix + "/c"}
		filler, empty, moved := prefix+"/filler", prefix+"/empty", prefix+"/moved"
		ids := seedInterleaved(t, db, d, tenants, filler, 6, 40, 3000)
		all := append([]string{empty, moved, filler}, tenants...)
		check := func(t *testing.T) {
			t.Helper()
			requireBlocksMatch(t, db, d, all...)
			for _, tenant := range all {
				users, _ := tenantStores(db, d, tenant)
				starts := blockStarts(t, db, d, tenant)
				_, total := offsetPage(t, db, d, tenant, 0, 0)
				offsets := []int{0, 1, total - 1, total, total + 1, total + 1000}
				for _, s := range starts {
					offsets = append(offsets, s-2, s-1, s, s+1)
				}
				for _, o := range offsets {
					if o < 0 {
						continue
					}
					for _, c := range []int{1, 3, 100} {
						requirePage(t, db, d, users, tenant, o, c)
					}
				}
				// count=0 asks for the total alone.
				page, err := users.List(ctx, &scim.Query{StartIndex: 1, Count: 0})
				require.NoError(t, err)
				require.Equal(t, total, page.TotalResults)
				require.Empty(t, page.Resources)
			}
		}
		t.Run("seeded", check)

		// Deletes through the store, one at a time, around a boundary and
		// at the start.
		users, _ := tenantStores(db, d, tenants[0])
		a := ids[tenants[0]]
		for _, i := range []int{0, 1, 2, 39, 40, 41, len(a) - 1} {
			require.NoError(t, users.Delete(ctx, a[i], ""))
		}
		// Many in one statement: most of the filler, every seventh user
		// of tenant b, and all of a block of tenant c.
		_, err := db.ExecContext(ctx, "DELETE FROM scim_users WHERE tenant = "+ph(d, 1)+" AND seq % 5 <> 0", filler)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, "DELETE FROM scim_users WHERE tenant = "+ph(d, 1)+" AND seq % 7 = 0", tenants[1])
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, fmt.Sprintf("DELETE FROM scim_users WHERE tenant = %s AND seq / %d = (SELECT MIN(seq) / %d FROM scim_users WHERE tenant = %s)",
			ph(d, 1), sqlstore.BlockSize, sqlstore.BlockSize, ph(d, 2)), tenants[2], tenants[2])
		require.NoError(t, err)
		t.Run("deleted", check)

		// Created through the store and in bulk.
		for i := range 5 {
			_, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("new%d", i)})
			require.NoError(t, err)
		}
		_, err = sqlstore.SeedUsers(ctx, db, d, tenants[1], "more%d@example.com", 500)
		require.NoError(t, err)
		fill(t, db, d, filler, 2*sqlstore.BlockSize)
		_, err = sqlstore.SeedUsers(ctx, db, d, tenants[1], "last%d@example.com", 50)
		require.NoError(t, err)
		t.Run("created", check)

		// Moved to another tenant by hand.
		_, err = db.ExecContext(ctx, "UPDATE scim_users SET tenant = "+ph(d, 1)+" WHERE tenant = "+ph(d, 2)+" AND seq % 5 = 0", moved, tenants[2])
		require.NoError(t, err)
		t.Run("moved", check)

		// Emptied.
		_, err = db.ExecContext(ctx, "DELETE FROM scim_users WHERE tenant = "+ph(d, 1), tenants[2])
		require.NoError(t, err)
		t.Run("emptied", check)
	})
}

// TestBlockPagesFilteredSorted: pages with a filter or a sort do not use
// the block counts, and still agree with the unfiltered ones where they
// must.
func TestBlockPagesFilteredSorted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		tenant := uniquePrefix()
		_, err := sqlstore.SeedUsers(ctx, db, d, tenant, "user%05d@example.com", 300)
		require.NoError(t, err)
		users, _ := tenantStores(db, d, tenant)
		f, err := scim.ParseUserFilter(`userName sw "user001"`)
		require.NoError(t, err)
		page, err := users.List(ctx, &scim.Query{Filter: f, StartIndex: 2, Count: 5})
		require.NoError(t, err)
		require.Equal(t, 100, page.TotalResults)
		require.Len(t, page.Resources, 5)
		require.Equal(t, "user00101@example.com", page.Resources[0].UserName)
		page, err = users.List(ctx, &scim.Query{SortBy: "userName", SortDescending: true, StartIndex: 1, Count: 2})
		require.NoError(t, err)
		require.Equal(t, 300, page.TotalResults)
		require.Equal(t, "user00299@example.com", page.Resources[0].UserName)
	})
}

// TestBlocksMigration: schema version 6 applies to a database of version
// 5 that holds users of several tenants: it counts them, and from then on
// pages and totals are those of LIMIT/OFFSET.
func TestBlocksMigration(t *testing.T) {
	fresh := map[string]func(t *testing.T) *sql.DB{
		"sqlite": func(t *testing.T) *sql.DB { return sqliteDB(t) },
		"postgres": func(t *testing.T) *sql.DB {
			dsn := os.Getenv(postgresEnv)
			if dsn == "" {
				t.Skipf("PostgreSQL tests skipped: set %s", postgresEnv)
			}
			db, _, cleanup, err := createPostgresDB(dsn)
			require.NoError(t, err)
			t.Cleanup(cleanup)
			return db
		},
	}
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			db := fresh[dl.name](t)
			ctx := context.Background()
			d := dl.d
			// Back to version 5, then users written by a version-5 store.
			down := []string{`DROP TRIGGER scim_user_blocks_insert`, `DROP TRIGGER scim_user_blocks_delete`,
				`DROP TRIGGER scim_user_blocks_update`}
			if d == sqlstore.Postgres {
				down = []string{`DROP TRIGGER scim_user_blocks_insert ON scim_users`, `DROP TRIGGER scim_user_blocks_delete ON scim_users`,
					`DROP TRIGGER scim_user_blocks_move ON scim_users`, `DROP FUNCTION scim_user_blocks_insert()`,
					`DROP FUNCTION scim_user_blocks_delete()`, `DROP FUNCTION scim_user_blocks_move()`}
			}
			down = append(down, `DROP TABLE scim_user_blocks`, `DELETE FROM scim_schema_migrations WHERE version = 6`)
			for _, s := range down {
				_, err := db.ExecContext(ctx, s)
				require.NoError(t, err, s)
			}
			var applied int
			require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM scim_schema_migrations WHERE version = 6").Scan(&applied))
			require.Equal(t, 0, applied)
			tenants := []string{"one", "two"}
			seedInterleaved(t, db, d, tenants, "filler", 5, 30, 4000)
			_, err := db.ExecContext(ctx, "DELETE FROM scim_users WHERE seq % 11 = 0")
			require.NoError(t, err)

			require.NoError(t, sqlstore.Migrate(ctx, db, d))
			require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM scim_schema_migrations WHERE version = 6").Scan(&applied))
			require.Equal(t, 1, applied)
			// Migrating again changes nothing.
			require.NoError(t, sqlstore.Migrate(ctx, db, d))
			tenants = append(tenants, "filler")
			requireBlocksMatch(t, db, d, tenants...)
			for _, tenant := range tenants {
				users, _ := tenantStores(db, d, tenant)
				for _, s := range blockStarts(t, db, d, tenant) {
					for _, o := range []int{s - 1, s, s + 1} {
						if o >= 0 {
							requirePage(t, db, d, users, tenant, o, 10)
						}
					}
				}
				// The triggers count from now on.
				_, err := users.Create(ctx, &scim.User{UserName: "after-migration"})
				require.NoError(t, err)
				requireBlocksMatch(t, db, d, tenants...)
			}
		})
	}
}

// TestBlocksConcurrent: users created and deleted while others page
// through the list. Every page agrees with its own totalResults (both
// come from one statement, and the triggers count in the writing
// transaction), and afterwards the counts are exact.
func TestBlocksConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		prefix := uniquePrefix()
		tenants := []string{prefix + "/x", prefix + "/y"}
		ids := seedInterleaved(t, db, d, tenants, prefix+"/filler", 4, 100, 3000)
		var (
			wg      sync.WaitGroup
			stop    atomic.Bool
			writers sync.WaitGroup
			pages   atomic.Int64
		)
		errs := make(chan error, 64)
		for w := range 4 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				tenant := tenants[w%2]
				users, _ := tenantStores(db, d, tenant)
				mine := ids[tenant][w/2*200 : w/2*200+150]
				for i, id := range mine {
					if err := users.Delete(ctx, id, ""); err != nil {
						errs <- err
						return
					}
					if _, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for r := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				users, _ := tenantStores(db, d, tenants[r%2])
				for i := 0; !stop.Load(); i++ {
					start := 1 + (i*97)%900
					page, err := users.List(ctx, &scim.Query{StartIndex: start, Count: 50})
					if err != nil {
						errs <- err
						return
					}
					// An empty page (past the end) counts the total in a
					// statement of its own, which may see other writes.
					if want := max(0, min(50, page.TotalResults-(start-1))); len(page.Resources) > 0 && len(page.Resources) != want {
						errs <- fmt.Errorf("page at %d: %d users, want %d of totalResults %d", start, len(page.Resources), want, page.TotalResults)
						return
					}
					seen := map[string]bool{}
					for _, u := range page.Resources {
						if seen[u.ID] {
							errs <- fmt.Errorf("page at %d: user %s twice", start, u.ID)
							return
						}
						seen[u.ID] = true
					}
					pages.Add(1)
				}
			}()
		}
		writers.Wait()
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Positive(t, pages.Load())
		requireBlocksMatch(t, db, d, tenants...)
		for _, tenant := range tenants {
			users, _ := tenantStores(db, d, tenant)
			starts := blockStarts(t, db, d, tenant)
			sort.Ints(starts)
			for _, s := range append(starts, 0, 100) {
				requirePage(t, db, d, users, tenant, s, 100)
			}
		}
	})
}
