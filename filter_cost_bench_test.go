package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// costTenant seeds a memstore tenant with groups groups of members users
// each (the same users in every group), and returns a handler on it and
// the id of one user.
func costTenant(b *testing.B, groups, members int, opts ...scim.Option) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	us, gs := memstore.New()
	ms := make([]scim.MultiValue, members)
	var first string
	for i := range ms {
		u, err := us.Create(ctx, &scim.User{UserName: fmt.Sprintf("user%05d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		ms[i] = scim.MultiValue{Value: u.ID}
		if i == 0 {
			first = u.ID
		}
	}
	for i := range groups {
		if _, err := gs.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("group%03d", i), Members: ms}); err != nil {
			b.Fatal(err)
		}
	}
	return scim.NewHandler(us, gs, append([]scim.Option{scim.WithoutAuthentication()}, opts...)...), first
}

// memberCoFilter is the filter of the report: n or-ed co terms on
// members.value, none of which matches.
func memberCoFilter(n int) string {
	return orTerms(n, func(i int) string { return fmt.Sprintf(`members.value co "nomatch-%04d"`, i) })
}

func serveCost(h http.Handler, method, target, body string) int {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	return w.status
}

// BenchmarkFilterOverBudget: the report's filter, 1,000 or-ed co terms on
// members.value (it took 20 s on memstore), is refused with 400 before any
// store is asked, at the cost of parsing it.
func BenchmarkFilterOverBudget(b *testing.B) {
	h, _ := costTenant(b, 20, 1000)
	target := "/Groups?filter=" + url.QueryEscape(memberCoFilter(1000))
	b.ResetTimer()
	for b.Loop() {
		if s := serveCost(h, "GET", target, ""); s != http.StatusBadRequest {
			b.Fatalf("status %d", s)
		}
	}
}

// BenchmarkWriteDuringSlowScan measures a PATCH and a GET of a user of a
// tenant while other requests of the same tenant run a slow scan without
// pause (a filter within a raised budget that no index answers, over 100
// groups of 1,000 members), against the same requests on a quiet tenant.
// A scan that held the tenant's lock throughout made every PATCH wait for
// a whole scan, and every GET behind it.
func BenchmarkWriteDuringSlowScan(b *testing.B) {
	for _, scanning := range []bool{false, true} {
		b.Run(fmt.Sprintf("scanning=%v", scanning), func(b *testing.B) {
			h, uid := costTenant(b, 100, 1000, scim.WithMaxFilterCost(1<<30))
			scan := "/Groups?excludedAttributes=members&filter=" + url.QueryEscape(memberCoFilter(20))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if scanning {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if s := serveCost(h, "GET", scan, ""); s != http.StatusOK {
							panic(fmt.Sprintf("scan: status %d", s))
						}
					}
				})
			}
			patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if s := serveCost(h, "PATCH", "/Users/"+uid, strings.Replace(patch, `"x"`, fmt.Sprintf(`"x%d"`, i), 1)); s != http.StatusOK {
					b.Fatalf("PATCH: status %d", s)
				}
				if s := serveCost(h, "GET", "/Users/"+uid, ""); s != http.StatusOK {
					b.Fatalf("GET: status %d", s)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
		})
	}
}
