package sqlstore_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// Events benchmarks: the cost of recording events (the outbox rows and the
// per-tenant counter) on the writes identity providers make, against the
// same writes without events; reading the feed; and a member add on a
// large group, which must stay as cheap as on a small one.
//
//	go test ./store/sqlstore -run '^$' -bench BenchmarkEvents -benchtime 2000x

var benchDialects = []struct {
	name string
	d    sqlstore.Dialect
}{{"sqlite", sqlstore.SQLite}, {"postgres", sqlstore.Postgres}}

func benchHandler(b *testing.B, dl string, d sqlstore.Dialect, events bool) (http.Handler, *sqlstore.UserStore) {
	opts := []sqlstore.Option{}
	if !events {
		opts = append(opts, sqlstore.WithEventRetention(0))
	}
	users, groups := newStores(benchDB(b, dl), d, opts...)
	return scim.NewHandler(users, groups, scim.WithoutAuthentication()), users
}

func serveOK(b *testing.B, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	if w.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	return w
}

func onOff(events bool) string {
	if events {
		return "events"
	}
	return "no-events"
}

func BenchmarkEventsWrite(b *testing.B) {
	for _, dl := range benchDialects {
		for _, op := range []string{"post", "patch"} {
			for _, events := range []bool{false, true} {
				b.Run(dl.name+"/"+op+"/"+onOff(events), func(b *testing.B) {
					h, _ := benchHandler(b, dl.name, dl.d, events)
					var id string
					if op == "patch" {
						w := serveOK(b, h, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p","active":true}`)
						loc := w.Header().Get("Location")
						id = loc[strings.LastIndexByte(loc, '/')+1:]
					}
					b.ReportAllocs()
					b.ResetTimer()
					cpu := processCPU()
					for i := 0; b.Loop(); i++ {
						if op == "post" {
							serveOK(b, h, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+strconv.Itoa(i)+`","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"u`+strconv.Itoa(i)+`@example.com","type":"work"}],"active":true}`)
						} else {
							serveOK(b, h, http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"n`+strconv.Itoa(i)+`"}]}`)
						}
					}
					if c := processCPU() - cpu; c > 0 {
						b.ReportMetric(float64(c.Nanoseconds())/float64(b.N), "cpu-ns/op")
					}
				})
			}
		}
	}
}

// BenchmarkEventsRead reads a feed of 10,000 events in pages of 100 and
// reports events per second.
func BenchmarkEventsRead(b *testing.B) {
	for _, dl := range benchDialects {
		b.Run(dl.name, func(b *testing.B) {
			h, users := benchHandler(b, dl.name, dl.d, true)
			const n = 10000
			// Seed through the handler in bulk requests of 100 creates.
			for i := 0; i < n; i += 100 {
				var ops []string
				for j := i; j < i+100; j++ {
					ops = append(ops, `{"method":"POST","path":"/Users","bulkId":"b`+strconv.Itoa(j)+`","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"r`+strconv.Itoa(j)+`"}}`)
				}
				serveOK(b, h, http.MethodPost, "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(ops, ",")+`]}`)
			}
			ctx := context.Background()
			b.ResetTimer()
			read := 0
			for b.Loop() {
				for after := int64(0); ; {
					evs, err := users.Events(ctx, after, 100)
					require.NoError(b, err)
					if len(evs) == 0 {
						break
					}
					read += len(evs)
					after = evs[len(evs)-1].Cursor
				}
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEventsMemberAdd adds one member to a group of 100 or 100,000
// members through the member fast path, with events, as Entra ID does
// (excludedAttributes=members: a response with the members would read
// them all).
func BenchmarkEventsMemberAdd(b *testing.B) {
	for _, dl := range benchDialects {
		for _, size := range []int{100, 100000} {
			b.Run(dl.name+"/"+strconv.Itoa(size), func(b *testing.B) {
				db := benchDB(b, dl.name)
				tenant := "members-" + uniquePrefix()
				ctx := context.Background()
				ids, err := sqlstore.SeedUsers(ctx, db, dl.d, tenant, "m%d@example.com", size)
				require.NoError(b, err)
				users, groups := sqlstore.New(db, dl.d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
				g, err := groups.Create(ctx, &scim.Group{DisplayName: "big"})
				require.NoError(b, err)
				require.NoError(b, sqlstore.SeedMembers(ctx, db, dl.d, tenant, g.ID, ids))
				extra, err := sqlstore.SeedUsers(ctx, db, dl.d, tenant, "x%d@example.com", 5000)
				require.NoError(b, err)
				h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					serveOK(b, h, http.MethodPatch, "/Groups/"+g.ID+"?excludedAttributes=members", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+extra[i%len(extra)]+`"}]}]}`)
				}
			})
		}
	}
}

// BenchmarkEventsOverhead measures the overhead of events on one database
// with the machine's noise shared: two stores on the same database and
// partition, one recording events and one not, serve the same
// writes alternately, request by request (the order within each pair
// alternates too). The per-request times are grouped in blocks of 50
// pairs; the reported figures are the medians of the block means
// (off-µs, on-µs) and the median of the blocks' on/off ratios, as
// overhead-%; cpu-overhead-% is the same of this process's CPU time (on
// SQLite, all of a write's work; on PostgreSQL, the client's share), which
// other jobs on a loaded machine disturb less than wall time.
//
//	go test ./store/sqlstore -run '^$' -bench BenchmarkEventsOverhead -benchtime 3000x
func BenchmarkEventsOverhead(b *testing.B) {
	for _, dl := range benchDialects {
		for _, op := range []string{"post", "patch"} {
			b.Run(dl.name+"/"+op, func(b *testing.B) {
				eventsOverhead(b, benchDB(b, dl.name), dl.d, op, nil)
			})
		}
	}
}

// BenchmarkEventsOverheadCheckpointed is BenchmarkEventsOverhead on SQLite
// with the WAL checkpointed every 11 pairs, between requests, rather than
// by the commit that takes the WAL past 1,000 pages: that commit pays for
// the pages of both variants' writes, and whichever variant it falls on
// is charged with them. The figures leave checkpoints out, so they show
// the writes' own cost (checkpoints cost in proportion to WAL pages,
// which TestEventsWALFramesSQLite counts).
func BenchmarkEventsOverheadCheckpointed(b *testing.B) {
	for _, op := range []string{"post", "patch"} {
		b.Run("sqlite/"+op, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "scim.db")
			sqliteFile(b, path) // migrated
			db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path)+"&_pragma=wal_autocheckpoint(0)")
			require.NoError(b, err)
			defer db.Close()
			db.SetMaxOpenConns(8)
			// The first write after a checkpoint restarts the WAL; with an
			// odd period, it is each variant's in turn.
			eventsOverhead(b, db, sqlstore.SQLite, op, func(i int) {
				if i%11 == 10 {
					_, err := db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
					require.NoError(b, err)
				}
			})
		})
	}
}

// eventsOverhead serves op alternately through a recording store and a
// non-recording one on db (see BenchmarkEventsOverhead), calling
// afterPair, if not nil, after each pair of requests, outside the timing.
func eventsOverhead(b *testing.B, db *sql.DB, d sqlstore.Dialect, op string, afterPair func(i int)) {
	var hs [2]http.Handler // off, on
	var ids [2]string
	// Both stores serve one tenant, so that their writes land side by side
	// in every index keyed by tenant: with two tenants, the store whose key
	// sorts last appends at those indexes' right edge, which made a POST
	// 15 points cheaper on SQLite than the same POST of the other store.
	tenant := byTenant(uniquePrefix())
	for i, events := range []bool{false, true} {
		opts := []sqlstore.Option{tenant}
		if !events {
			opts = append(opts, sqlstore.WithEventRetention(0))
		}
		users, groups := sqlstore.New(db, d, opts...)
		hs[i] = scim.NewHandler(users, groups, scim.WithoutAuthentication())
		w := serveOK(b, hs[i], http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p`+strconv.Itoa(i)+`","active":true}`)
		loc := w.Header().Get("Location")
		ids[i] = loc[strings.LastIndexByte(loc, '/')+1:]
	}
	write := func(v, i int) {
		if op == "post" {
			n := strconv.Itoa(i) + "-" + strconv.Itoa(v)
			serveOK(b, hs[v], http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+n+`","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"u`+n+`@example.com","type":"work"}],"active":true}`)
		} else {
			serveOK(b, hs[v], http.MethodPatch, "/Users/"+ids[v], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"n`+strconv.Itoa(i)+`"}]}`)
		}
	}
	const block = 50
	var sums, cpus [2]time.Duration
	var means [2][]float64
	var ratios, cpuRatios []float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for k := range 2 {
			v := (i + k) % 2
			start, cpu := time.Now(), processCPU()
			write(v, i)
			sums[v] += time.Since(start)
			cpus[v] += processCPU() - cpu
		}
		if afterPair != nil {
			afterPair(i)
		}
		if (i+1)%block == 0 {
			for v := range 2 {
				means[v] = append(means[v], float64(sums[v].Microseconds())/block)
			}
			ratios = append(ratios, float64(sums[1])/float64(sums[0]))
			if cpus[0] > 0 {
				cpuRatios = append(cpuRatios, float64(cpus[1])/float64(cpus[0]))
			}
			sums, cpus = [2]time.Duration{}, [2]time.Duration{}
		}
	}
	if len(ratios) == 0 {
		return
	}
	b.ReportMetric(median(means[0]), "off-µs")
	b.ReportMetric(median(means[1]), "on-µs")
	b.ReportMetric(100*(median(ratios)-1), "overhead-%")
	if len(cpuRatios) > 0 {
		b.ReportMetric(100*(median(cpuRatios)-1), "cpu-overhead-%")
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
