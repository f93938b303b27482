package sqlstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// BenchmarkEventsConcurrentPost: 16 clients create users of one tenant on
// PostgreSQL through the handler, with events recorded and without; it
// reports requests per second. Recording must not make a tenant's writes
// wait for each other's commits. In events+reader a reader reads the feed
// alongside as fast as events come (a consumer woken by every commit):
// each read makes the tenant's writers wait for the commits in flight.
//
//	go test ./store/sqlstore -run '^$' -bench BenchmarkEventsConcurrentPost -benchtime 3000x
func BenchmarkEventsConcurrentPost(b *testing.B) {
	postgresDB(b) // skips without a server
	db := postgresPool(b)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	for _, mode := range []string{"no-events", "events", "events+reader"} {
		events := mode != "no-events"
		b.Run(mode, func(b *testing.B) {
			tenant := "bench-conc-" + uniquePrefix()
			opts := []sqlstore.Option{sqlstore.WithPartition(func(context.Context) string { return tenant })}
			if !events {
				opts = append(opts, sqlstore.WithEventRetention(0))
			}
			users, groups := sqlstore.New(db, sqlstore.Postgres, opts...)
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
			var n atomic.Int64
			if mode == "events+reader" {
				stop, done := make(chan struct{}), make(chan struct{})
				defer func() { close(stop); <-done }()
				go func() {
					defer close(done)
					after := int64(0)
					for {
						select {
						case <-stop:
							return
						default:
						}
						evs, err := users.Events(context.Background(), after, 100)
						if err != nil {
							b.Error(err)
							return
						}
						if len(evs) == 0 {
							time.Sleep(time.Millisecond)
							continue
						}
						after = evs[len(evs)-1].Cursor
					}
				}()
			}
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveOK(b, h, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c`+strconv.FormatInt(n.Add(1), 10)+`"}`)
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
