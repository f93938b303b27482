package sqlstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/sqlstore"
)

// BenchmarkRequestLogOverhead measures the throughput of a handler on
// sqlstore serving what an identity provider sends when it provisions a
// user (look up by userName, create, read, deactivate: four requests per
// op, from parallel clients), with the request log off and on (a
// provlog.Queue in front of the same database's RequestLog). Compare
// log=off and log=on ns/op (run with -count 5 or more, and benchstat, on
// a quiet machine); "dropped" is the queue's drop counter at the end,
// which should stay 0.
//
//	go test ./store/sqlstore -run '^$' -bench RequestLogOverhead -count 6
func BenchmarkRequestLogOverhead(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		db := benchDB(b, dl)
		for _, on := range []bool{false, true} {
			name := "log=off"
			if on {
				name = "log=on"
			}
			b.Run(name, func(b *testing.B) {
				tenant := "bench-log-" + uniquePrefix()
				users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
				opts := []scim.Option{scim.WithoutAuthentication()}
				var q *provlog.Queue
				if on {
					q = provlog.NewQueue(users.RequestLog())
					opts = append(opts, scim.WithRequestLog(q))
				}
				h := scim.NewHandler(users, groups, opts...)
				var n atomic.Int64
				b.SetParallelism(4)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						provisionOne(b, h, fmt.Sprintf("user%d@example.com", n.Add(1)))
					}
				})
				b.StopTimer()
				if q != nil {
					if err := q.Close(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(q.Dropped()), "dropped")
					if q.Failed() != 0 {
						b.Fatalf("%d records failed to be written", q.Failed())
					}
				}
			})
		}
	})
}

// BenchmarkRequestLogOverheadInterleaved is BenchmarkRequestLogOverhead
// made robust to a busy machine: each op provisions one user through the
// handler without the log and one through the handler with it, from
// parallel clients, alternating, and the benchmark reports the time of
// each (off-ns/user, on-ns/user) and the overhead of the log in percent,
// so that load from elsewhere weighs on both alike.
//
//	go test ./store/sqlstore -run '^$' -bench RequestLogOverheadInterleaved -benchtime 2000x
func BenchmarkRequestLogOverheadInterleaved(b *testing.B) {
	forEachBenchDialect(b, func(b *testing.B, dl string, d sqlstore.Dialect) {
		db := benchDB(b, dl)
		tenantOff, tenantOn := "bench-off-"+uniquePrefix(), "bench-on-"+uniquePrefix()
		usersOff, groupsOff := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenantOff }))
		usersOn, groupsOn := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenantOn }))
		q := provlog.NewQueue(usersOn.RequestLog())
		off := scim.NewHandler(usersOff, groupsOff, scim.WithoutAuthentication())
		on := scim.NewHandler(usersOn, groupsOn, scim.WithoutAuthentication(), scim.WithRequestLog(q))
		const clients, round = 4, 25
		var n atomic.Int64
		var offTime, onTime time.Duration
		b.ResetTimer()
		for done := 0; done < b.N; done += round {
			k := min(round, b.N-done)
			for _, h := range []http.Handler{off, on} {
				start := time.Now()
				var wg sync.WaitGroup
				var next atomic.Int64
				for c := 0; c < clients; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(k) {
							provisionOne(b, h, fmt.Sprintf("user%d@example.com", n.Add(1)))
						}
					}()
				}
				wg.Wait()
				if h == off {
					offTime += time.Since(start)
				} else {
					onTime += time.Since(start)
				}
			}
		}
		b.StopTimer()
		if err := q.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(offTime.Nanoseconds())/float64(b.N), "off-ns/user")
		b.ReportMetric(float64(onTime.Nanoseconds())/float64(b.N), "on-ns/user")
		b.ReportMetric(100*(float64(onTime)/float64(offTime)-1), "overhead-%")
		b.ReportMetric(float64(q.Dropped()), "dropped")
		if q.Failed() != 0 {
			b.Fatalf("%d records failed to be written", q.Failed())
		}
	})
}

// provisionOne sends what an identity provider sends to provision one
// user.
func provisionOne(b *testing.B, h http.Handler, userName string) {
	do := func(method, target, body string, want int) string {
		var r *http.Request
		if body == "" {
			r = httptest.NewRequest(method, target, nil)
		} else {
			r = httptest.NewRequest(method, target, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/scim+json")
		}
		r.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Errorf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		return w.Header().Get("Location")
	}
	do("GET", `/Users?filter=userName+eq+%22`+userName+`%22&startIndex=1&count=100`, "", 200)
	loc := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+
		`","name":{"givenName":"Bench","familyName":"User"},"emails":[{"primary":true,"value":"`+userName+`","type":"work"}],"active":true,"password":"bench-pw-123"}`, 201)
	id := loc[strings.LastIndexByte(loc, '/')+1:]
	do("GET", "/Users/"+id, "", 200)
	do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, 200)
}
