package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// BenchmarkListBigGroups lists a page of 100 groups of 5,000 members each
// (the report's 67 MB body) into a ResponseWriter that discards the body,
// with -benchmem: B/op is what the handler and the store allocate for one
// page; peak-heap-MB is the largest growth of the heap over what it was
// before the first request (the stored groups), sampled as the body is
// written: what a server's memory grows by while it answers.
func BenchmarkListBigGroups(b *testing.B) {
	ctx := context.Background()
	users, groups := memstore.New()
	ms := make([]scim.MultiValue, 5000)
	for i := range ms {
		u, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("user%05d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		ms[i] = scim.MultiValue{Value: u.ID, Display: u.UserName}
	}
	for i := range 100 {
		if _, err := groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("group%03d", i), Members: ms}); err != nil {
			b.Fatal(err)
		}
	}
	for _, perPage := range []int{0, 10000} {
		name := "default"
		opts := []scim.Option{scim.WithoutAuthentication()}
		if perPage > 0 {
			name = fmt.Sprintf("maxPageMembers=%d", perPage)
			opts = []scim.Option{scim.WithoutAuthentication(), scim.WithMaxPageMembers(perPage)}
		}
		h := scim.NewHandler(users, groups, opts...)
		b.Run(name, func(b *testing.B) {
			var peak uint64
			var ms runtime.MemStats
			sampler := &peakWriter{discardWriter: discardWriter{h: http.Header{}}, peak: &peak, ms: &ms}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			b.ResetTimer()
			for b.Loop() {
				sampler.status, sampler.n = 0, 0
				req := httptest.NewRequest("GET", "/Groups?startIndex=1&count=100", nil)
				h.ServeHTTP(sampler, req)
				if sampler.status != http.StatusOK {
					b.Fatalf("status %d", sampler.status)
				}
			}
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(sampler.n), "body-bytes")
		})
	}
}

// peakWriter discards a body and samples the live heap on each write: the
// largest heap seen while a response is being produced.
type peakWriter struct {
	discardWriter
	peak *uint64
	ms   *runtime.MemStats
	k    int
}

func (w *peakWriter) Write(p []byte) (int, error) {
	w.k++
	if w.k%4 == 1 {
		runtime.ReadMemStats(w.ms)
		*w.peak = max(*w.peak, w.ms.HeapAlloc)
	}
	return w.discardWriter.Write(p)
}
