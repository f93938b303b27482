// Package provlogtest is a conformance suite for [provlog.Store]
// implementations: call [Run] from a test of the store's package.
package provlogtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
)

// Run tests the store that newStore returns, a new empty one for every
// subtest: filters, newest-first order, paging, and paging while records
// are written concurrently.
func Run(t *testing.T, newStore func(t *testing.T) provlog.Store) {
	t.Run("Filters", func(t *testing.T) { testFilters(t, newStore(t)) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, newStore(t)) })
	t.Run("PagingUnderConcurrentWrites", func(t *testing.T) { testConcurrentPaging(t, newStore(t)) })
	t.Run("BadCursor", func(t *testing.T) {
		_, err := newStore(t).Query(context.Background(), provlog.Query{Cursor: "not a cursor"})
		if !errors.Is(err, provlog.ErrBadCursor) {
			t.Fatalf("Query with a bad cursor: %v, want ErrBadCursor", err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func record(i int, tenant string) scim.RequestRecord {
	r := scim.RequestRecord{
		Time:      epoch.Add(time.Duration(i) * time.Second),
		RequestID: fmt.Sprintf("req-%d", i),
		Tenant:    tenant,
		Client:    scim.ClientOkta,
		Method:    "POST",
		Path:      "/Users",
		Action:    scim.ActionUserCreate,
		TargetID:  fmt.Sprintf("id-%d", i),
		Status:    201,
		Duration:  time.Millisecond,
	}
	r.TargetName = fmt.Sprintf("user%d@example.com", i)
	return r
}

func write(t *testing.T, s provlog.Store, recs ...scim.RequestRecord) {
	t.Helper()
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func query(t *testing.T, s provlog.Store, q provlog.Query) provlog.Page {
	t.Helper()
	p, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return p
}

func ids(p provlog.Page) []string {
	out := make([]string, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.RequestID
	}
	return out
}

func wantIDs(t *testing.T, what string, p provlog.Page, want ...string) {
	t.Helper()
	if got := ids(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func testFilters(t *testing.T, s provlog.Store) {
	var recs []scim.RequestRecord
	for i := 0; i < 6; i++ {
		recs = append(recs, record(i, "acme"))
	}
	recs[2].Status, recs[2].ScimType, recs[2].Detail = 409, "uniqueness", "taken"
	recs[4].Status, recs[4].Action = 400, scim.ActionUserPatch
	recs[5].ConnectionID = "conn-2"
	other := record(10, "globex")
	other.TargetName = "user1@example.com"
	write(t, s, append(recs, other)...)

	wantIDs(t, "tenant acme", query(t, s, provlog.Query{Tenant: "acme"}), "req-5", "req-4", "req-3", "req-2", "req-1", "req-0")
	wantIDs(t, "tenant globex", query(t, s, provlog.Query{Tenant: "globex"}), "req-10")
	wantIDs(t, "tenant empty", query(t, s, provlog.Query{}))
	wantIDs(t, "all tenants", query(t, s, provlog.Query{AllTenants: true, Limit: 2}), "req-10", "req-5")
	wantIDs(t, "failures", query(t, s, provlog.Query{Tenant: "acme", FailuresOnly: true}), "req-4", "req-2")
	wantIDs(t, "action", query(t, s, provlog.Query{Tenant: "acme", Action: scim.ActionUserPatch}), "req-4")
	wantIDs(t, "connection", query(t, s, provlog.Query{Tenant: "acme", ConnectionID: "conn-2"}), "req-5")
	wantIDs(t, "since/until", query(t, s, provlog.Query{Tenant: "acme", Since: epoch.Add(time.Second), Until: epoch.Add(3 * time.Second)}), "req-2", "req-1")
	wantIDs(t, "target id", query(t, s, provlog.Query{Tenant: "acme", Target: "id-3"}), "req-3")
	wantIDs(t, "target name in any case", query(t, s, provlog.Query{Tenant: "acme", Target: "USER1@example.com"}), "req-1")
	wantIDs(t, "target across tenants", query(t, s, provlog.Query{AllTenants: true, Target: "user1@example.com"}), "req-10", "req-1")
}

func testPaging(t *testing.T, s provlog.Store) {
	// Records with equal times are ordered by when they were written.
	var recs []scim.RequestRecord
	for i := 0; i < 7; i++ {
		r := record(i, "")
		r.Time = epoch.Add(time.Duration(i/2) * time.Second)
		recs = append(recs, r)
	}
	write(t, s, recs[:4]...)
	write(t, s, recs[4:]...)
	var got []string
	q := provlog.Query{Limit: 3}
	pages := 0
	for {
		p := query(t, s, q)
		pages++
		got = append(got, ids(p)...)
		if p.Next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		q.Cursor = p.Next
	}
	want := []string{"req-6", "req-5", "req-4", "req-3", "req-2", "req-1", "req-0"}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("pages of 3: got %v in %d pages, want %v in 3", got, pages, want)
	}
	if p := query(t, s, provlog.Query{Limit: 7}); p.Next != "" || len(p.Records) != 7 {
		t.Errorf("a page that holds everything: %d records, next %q", len(p.Records), p.Next)
	}
}

// testConcurrentPaging pages through a tenant's records while other
// records are written: every record written before the first page is seen
// exactly once, in order.
func testConcurrentPaging(t *testing.T, s provlog.Store) {
	const before = 300
	var recs []scim.RequestRecord
	for i := 0; i < before; i++ {
		recs = append(recs, record(i, "acme"))
	}
	write(t, s, recs...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := before; ctx.Err() == nil && i < before+5000; i++ {
			r := record(i, "acme")
			if i%3 == 0 {
				r.Time = epoch.Add(time.Duration(i%before) * time.Second) // an old time, written late
			}
			if err := s.Write(ctx, []scim.RequestRecord{r}); err != nil && ctx.Err() == nil {
				t.Errorf("Write: %v", err)
				return
			}
		}
	}()
	seen := map[string]bool{}
	var last *scim.RequestRecord
	q := provlog.Query{Tenant: "acme", Limit: 17}
	for {
		p := query(t, s, q)
		for i := range p.Records {
			r := &p.Records[i]
			if seen[r.RequestID] {
				t.Fatalf("record %s returned twice", r.RequestID)
			}
			seen[r.RequestID] = true
			if last != nil && r.Time.After(last.Time) {
				t.Fatalf("record %s (%v) after %s (%v): not newest first", r.RequestID, r.Time, last.RequestID, last.Time)
			}
			last = r
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	cancel()
	wg.Wait()
	for i := 0; i < before; i++ {
		if id := fmt.Sprintf("req-%d", i); !seen[id] {
			t.Errorf("record %s, written before paging began, was skipped", id)
		}
	}
}

func testRoundTrip(t *testing.T, s provlog.Store) {
	r := record(1, "acme")
	r.ConnectionID, r.UserAgent, r.Query = "conn-1", "Okta SCIM Client 1.0.0", "count=1"
	r.Method, r.Path, r.Action = "POST", "/Bulk", scim.ActionBulk
	r.Status, r.ScimType, r.Detail = 400, "invalidValue", "bad"
	r.Body = `{"Operations":[]}`
	r.Duration = 1234567 * time.Nanosecond
	r.Operations = []scim.BulkOperationRecord{{Method: "POST", Path: "/Users", BulkID: "b1", Action: scim.ActionUserCreate,
		TargetID: "u1", TargetName: "ann", Status: 409, ScimType: "uniqueness", Detail: "taken"}}
	write(t, s, r)
	p := query(t, s, provlog.Query{Tenant: "acme"})
	if len(p.Records) != 1 {
		t.Fatalf("got %d records, want 1", len(p.Records))
	}
	got := p.Records[0]
	if !got.Time.Equal(r.Time) {
		t.Errorf("Time: got %v, want %v", got.Time, r.Time)
	}
	got.Time = r.Time
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
}
