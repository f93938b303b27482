package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// A benchmark data set: users in a tenant of their own, seeded once per
// test binary run and shared by the benchmarks.
type dataset struct {
	db     *sql.DB
	tenant string
	ids    []string
	users  *sqlstore.UserStore
	groups *sqlstore.GroupStore
	h      http.Handler
}

var (
	datasetsMu sync.Mutex
	datasets   = map[string]*dataset{}
)

// benchDB returns the database of a dialect for a benchmark: the test run's
// PostgreSQL database, or a new SQLite file, which lives as long as b.
func benchDB(b *testing.B, dl string) *sql.DB {
	if dl == "postgres" {
		return postgresDB(b)
	}
	return sqliteDB(b)
}

// users returns a data set of n users named user<i>@example.com.
func usersDataset(b *testing.B, dl string, d sqlstore.Dialect, n int) *dataset {
	datasetsMu.Lock()
	defer datasetsMu.Unlock()
	key := fmt.Sprint(dl, n)
	if ds := datasets[key]; ds != nil {
		return ds
	}
	db := benchDB(b, dl)
	ds := seed(b, db, d, n)
	if dl == "postgres" {
		// As autovacuum would after a bulk import: statistics for the
		// planner, and the visibility map for index-only counts.
		_, err := db.Exec("VACUUM ANALYZE")
		require.NoError(b, err)
		datasets[key] = ds
	}
	return ds
}

func seed(b *testing.B, db *sql.DB, d sqlstore.Dialect, n int) *dataset {
	tenant := "bench-" + uniquePrefix()
	ids, err := sqlstore.SeedUsers(context.Background(), db, d, tenant, "user%d@example.com", n)
	require.NoError(b, err)
	users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
	// Members that name nothing are accepted: the benchmarks measure
	// adding members, not looking them up.
	return &dataset{db: db, tenant: tenant, ids: ids, users: users, groups: groups, h: scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers())}
}

func forEachBenchDialect(b *testing.B, f func(b *testing.B, dl string, d sqlstore.Dialect)) {
	for _, dl := range dialects {
		b.Run(dl.name, func(b *testing.B) {
			if dl.name == "postgres" {
				postgresDB(b) // skips without a server
			}
			f(b, dl.name, dl.d)
		})
	}
}

func serve(b *testing.B, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	return w
}

// BenchmarkUserNameLookup finds one user by userName, as identity
// providers do before every create, among 1,000 and 100,000 users: an
// index seek, so the time should not grow with the number of users.
func BenchmarkUserNameLookup(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		for _, n := range []int{1000, 100000} {
			ds := usersDataset(b, dl, d, n)
			name := fmt.Sprintf("USER%d@example.com", n/2)
			f, err := scim.ParseUserFilter(`userName eq "` + name + `"`)
			require.NoError(b, err)
			b.Run(fmt.Sprintf("store/users=%d", n), func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					page, err := ds.users.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 100})
					if err != nil || page.TotalResults != 1 {
						b.Fatal(err, page)
					}
				}
			})
			target := "/Users?filter=" + url.QueryEscape(`userName eq "`+name+`"`)
			b.Run(fmt.Sprintf("handler/users=%d", n), func(b *testing.B) {
				for b.Loop() {
					serve(b, ds.h, "GET", target, "")
				}
			})
		}
	})
}

// BenchmarkAddMember adds one member to a group of 100 and of 100,000
// members: single-row inserts, so the time should not grow with the
// group.
func BenchmarkAddMember(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		ds := usersDataset(b, dl, d, 100000)
		for _, n := range []int{100, 100000} {
			ctx := context.Background()
			g, err := ds.groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("group of %d %s", n, uniquePrefix())})
			require.NoError(b, err)
			require.NoError(b, sqlstore.SeedMembers(ctx, ds.db, d, ds.tenant, g.ID, ds.ids[:n]))
			i := 0
			b.Run(fmt.Sprintf("store/members=%d", n), func(b *testing.B) {
				for b.Loop() {
					i++
					m := scim.MultiValue{Value: fmt.Sprintf("new-member-%d-%d", n, i)}
					if _, err := ds.groups.PatchMembers(ctx, g.ID, []scim.MultiValue{m}, nil, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("handler/members=%d", n), func(b *testing.B) {
				for b.Loop() {
					i++
					body := fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[{"value":"new-member-%d-%d"}]}]}`,
						scim.PatchOpSchema, n, i)
					serve(b, ds.h, "PATCH", "/Groups/"+g.ID+"?excludedAttributes=members", body)
				}
			})
		}
	})
}

// BenchmarkGetUser reads one user by id among 10,000, all members of one
// group and the first 1,000 of 100 groups of 10 as well, as in the
// comparison's data set (issue 15):
// the store alone, and the handler with the JSON response.
func BenchmarkGetUser(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		ds := usersDataset(b, dl, d, 10000)
		ctx := context.Background()
		seedGroupsOnce(b, ds, d)
		b.Run("store", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := ds.users.Get(ctx, ds.ids[i%len(ds.ids)], scim.ReadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("handler", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				serve(b, ds.h, "GET", "/Users/"+ds.ids[i%len(ds.ids)], "")
			}
		})
	})
}

var groupsSeeded sync.Map

// seedGroupsOnce adds the groups of BenchmarkGetUser to ds, once.
func seedGroupsOnce(b *testing.B, ds *dataset, d sqlstore.Dialect) {
	if _, done := groupsSeeded.LoadOrStore(ds, true); done {
		return
	}
	ctx := context.Background()
	all, err := ds.groups.Create(ctx, &scim.Group{DisplayName: "All Employees"})
	require.NoError(b, err)
	require.NoError(b, sqlstore.SeedMembers(ctx, ds.db, d, ds.tenant, all.ID, ds.ids))
	for i := 0; i+10 <= len(ds.ids) && i < 1000; i += 10 {
		g, err := ds.groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprint("Team ", i/10)})
		require.NoError(b, err)
		require.NoError(b, sqlstore.SeedMembers(ctx, ds.db, d, ds.tenant, g.ID, ds.ids[i:i+10]))
	}
	_, err = ds.db.Exec("ANALYZE")
	require.NoError(b, err)
}

// BenchmarkListPage lists a page of 100 users of 100,000, with their
// groups: the first page and one near the end, which should cost about
// the same (issue 15).
func BenchmarkListPage(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		ds := usersDataset(b, dl, d, 100000)
		for _, start := range []int{1, 90001} {
			b.Run(fmt.Sprintf("store/startIndex=%d", start), func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					page, err := ds.users.List(ctx, &scim.Query{StartIndex: start, Count: 100})
					if err != nil || len(page.Resources) != 100 {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("handler/startIndex=%d", start), func(b *testing.B) {
				for b.Loop() {
					serve(b, ds.h, "GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), "")
				}
			})
		}
	})
}

// BenchmarkPatchActive disables and enables a user through the handler
// with Entra ID's body, which changes no multi-valued attribute.
func BenchmarkPatchActive(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		ds := usersDataset(b, dl, d, 1000)
		i := 0
		b.Run("handler", func(b *testing.B) {
			for b.Loop() {
				i++
				v := "False"
				if i%2 == 0 {
					v = "True"
				}
				serve(b, ds.h, "PATCH", "/Users/"+ds.ids[i%len(ds.ids)],
					`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"`+v+`"}]}`)
			}
		})
	})
}

// BenchmarkRenameGroup renames a group of 100,000 members through the
// handler, as Entra ID does, asking for the group without its members.
func BenchmarkRenameGroup(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		ds := usersDataset(b, dl, d, 100000)
		ctx := context.Background()
		g, err := ds.groups.Create(ctx, &scim.Group{DisplayName: "rename " + uniquePrefix()})
		require.NoError(b, err)
		require.NoError(b, sqlstore.SeedMembers(ctx, ds.db, d, ds.tenant, g.ID, ds.ids))
		i := 0
		b.Run("handler/members=100000", func(b *testing.B) {
			for b.Loop() {
				i++
				serve(b, ds.h, "PATCH", "/Groups/"+g.ID+"?excludedAttributes=members",
					fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"renamed %d"}]}`, i))
			}
		})
	})
}
