package sqlstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// BenchmarkEventsConcurrentPost: 16 clients create users of one tenant on
// PostgreSQL through the handler, with events recorded and without; it
// reports requests per second. Recording must not make a tenant's writes
// wait for each other's commits.
//
//	go test ./store/sqlstore -run '^$' -bench BenchmarkEventsConcurrentPost -benchtime 3000x
func BenchmarkEventsConcurrentPost(b *testing.B) {
	postgresDB(b) // skips without a server
	db := postgresPool(b)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	for _, events := range []bool{false, true} {
		b.Run(onOff(events), func(b *testing.B) {
			tenant := "bench-conc-" + uniquePrefix()
			opts := []sqlstore.Option{sqlstore.WithPartition(func(context.Context) string { return tenant })}
			if !events {
				opts = append(opts, sqlstore.WithEventRetention(0))
			}
			users, groups := sqlstore.New(db, sqlstore.Postgres, opts...)
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
			var n atomic.Int64
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
