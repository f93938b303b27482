package connections_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
)

// discardWriter keeps the status and throws the body away, reusing its
// header map, so the numbers are the handler's own.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}

// seedUsers creates n users in the tenant of ctx and returns their ids.
func seedUsers(b *testing.B, ctx context.Context, users scim.UserStore, n int) []string {
	ids := make([]string, n)
	active := true
	for i := range n {
		u, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("user%05d@example.com", i), DisplayName: fmt.Sprintf("User %d", i),
			Active: &active, Emails: []scim.MultiValue{{Value: fmt.Sprintf("user%05d@example.com", i), Type: "work", Primary: true}}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	return ids
}

// benchSetup returns two handlers on memstores seeded alike: fixed, with
// WithBearerToken, and conn, authenticated by a connection store; the
// user ids and token of each; and conn's Authenticator.
type benchSetup struct {
	fixed, conn, tenant http.Handler
	fixedIDs, connIDs   []string
	fixedTok, connTok   string
	a                   *connections.Authenticator
}

func newBenchSetup(b *testing.B) *benchSetup {
	const n = 10000
	s := &benchSetup{fixedTok: "a-fixed-token-of-some-length-0123456789"}
	fixedUsers, fixedGroups := memstore.New()
	s.fixedIDs = seedUsers(b, context.Background(), fixedUsers, n)
	s.fixed = scim.NewHandler(fixedUsers, fixedGroups, scim.WithBearerToken(s.fixedTok))

	store := memstore.NewConnections()
	m := connections.NewManager(store)
	c, err := m.Create(context.Background(), "acme", "Acme", connections.ProviderEntraID)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := m.IssueToken(context.Background(), "acme", c.ID, 0)
	if err != nil {
		b.Fatal(err)
	}
	s.connTok = tok.Secret.Reveal()
	connUsers, connGroups := memstore.New()
	s.connIDs = seedUsers(b, scim.ContextWithTenant(context.Background(), "acme"), connUsers, n)
	s.a = connections.NewAuthenticator(store)
	s.conn = scim.NewHandler(connUsers, connGroups, scim.WithAuthenticator(s.a))
	// The same data served for tenant "acme" by an authenticator that
	// checks nothing: what serving a tenant costs the handler itself.
	s.tenant = scim.NewHandler(connUsers, connGroups, scim.WithAuthenticator(scim.AuthenticatorFunc(
		func(r *http.Request) (context.Context, error) {
			return scim.ContextWithTenant(r.Context(), "acme"), nil
		})))
	return s
}

// reportCPU reports the process's CPU time per operation since start as
// cpu-ns/op: on a machine other jobs share, it varies less than the wall
// time of ns/op, which includes waiting for a core.
func reportCPU(b *testing.B, start time.Duration) {
	if cpu := processCPU() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func requests(ids []string, token string) []*http.Request {
	reqs := make([]*http.Request, 256)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/Users/"+ids[(i*7919)%len(ids)], nil)
		reqs[i].Header.Set("Authorization", "Bearer "+token)
	}
	return reqs
}

// BenchmarkAuthenticatedGet compares GET /Users/{id} on memstore through a
// handler with a fixed WithBearerToken against one whose requests are
// authenticated by the connection store (token parsed and checked, the
// credential looked up, SHA-256 compared, tenant and connection put in the
// context, the request given that context), called directly: the
// handler's own cost, without net/http's. handler=tenant-only serves the
// same tenant through an authenticator that checks nothing, which
// separates what serving a tenant costs the handler (a derived request
// and context) from what the connection store adds; authenticate=connections
// is the authentication step alone.
func BenchmarkAuthenticatedGet(b *testing.B) {
	s := newBenchSetup(b)
	run := func(b *testing.B, h http.Handler, reqs []*http.Request) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		i := 0
		start := processCPU()
		for b.Loop() {
			w.status = 0
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
			i++
		}
		reportCPU(b, start)
	}
	b.Run("handler=token", func(b *testing.B) { run(b, s.fixed, requests(s.fixedIDs, s.fixedTok)) })
	b.Run("handler=tenant-only", func(b *testing.B) { run(b, s.tenant, requests(s.connIDs, "unchecked")) })
	b.Run("handler=connections", func(b *testing.B) { run(b, s.conn, requests(s.connIDs, s.connTok)) })

	req := httptest.NewRequest(http.MethodGet, "/Users", nil)
	req.Header.Set("Authorization", "Bearer "+s.connTok)
	b.Run("authenticate=connections", func(b *testing.B) {
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			if _, err := s.a.Authenticate(req); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}

// BenchmarkAuthenticatedGetHTTP is BenchmarkAuthenticatedGet over
// loopback HTTP with a keep-alive client, as an identity provider's
// requests arrive: the cost of a request as a server sees it, against
// which the connection store's share (authenticate=connections) is small.
// Compare the two handlers in runs side by side, several times over.
func BenchmarkAuthenticatedGetHTTP(b *testing.B) {
	s := newBenchSetup(b)
	run := func(b *testing.B, h http.Handler, ids []string, token string) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		reqs := make([]*http.Request, 256)
		for i := range reqs {
			reqs[i], _ = http.NewRequest(http.MethodGet, srv.URL+"/Users/"+ids[(i*7919)%len(ids)], nil)
			reqs[i].Header.Set("Authorization", "Bearer "+token)
		}
		b.ReportAllocs()
		i := 0
		start := processCPU()
		for b.Loop() {
			res, err := client.Do(reqs[i%len(reqs)])
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
			i++
		}
		reportCPU(b, start)
	}
	b.Run("handler=token", func(b *testing.B) { run(b, s.fixed, s.fixedIDs, s.fixedTok) })
	b.Run("handler=connections", func(b *testing.B) { run(b, s.conn, s.connIDs, s.connTok) })
}
