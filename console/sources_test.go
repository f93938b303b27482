package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// A record of the library's request log reaches the Activity page with
// every field it shows.
func TestFromRequestLogMapsEveryField(t *testing.T) {
	log := memstore.NewRequestLog(100)
	ctx := context.Background()
	failed := scim.RequestRecord{
		Time: t0.Add(time.Minute), RequestID: "req-1", Tenant: "acme", ConnectionID: "conn-1",
		Client: scim.ClientEntraID, UserAgent: "Azure Active Directory SCIM Client",
		Method: "POST", Path: "/Users", Action: scim.ActionUserCreate,
		TargetName: "grace@acme.example", Status: 409, ScimType: "uniqueness",
		Detail: "userName grace@acme.example is taken", Duration: 3 * time.Millisecond,
		Body: `{"userName":"grace@acme.example"}`,
	}
	ok := scim.RequestRecord{
		Time: t0, Tenant: "acme", Client: scim.ClientOkta, Method: "GET", Path: "/Users",
		Query: "filter=userName+eq+%22ada%40acme.example%22", Action: scim.ActionUsersList, Status: 200,
	}
	patch := scim.RequestRecord{
		Time: t0.Add(-time.Minute), Tenant: "acme", Client: scim.ClientOther, Method: "PATCH", Path: "/Users/u1",
		Action: scim.ActionUserDeactivate, TargetID: "u1", TargetName: "alan@acme.example", Status: 200,
	}
	if err := log.Write(ctx, []scim.RequestRecord{patch, ok, failed}); err != nil {
		t.Fatal(err)
	}
	got, err := console.FromRequestLog(log).Records(ctx, console.RecordQuery{Tenant: "acme", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []console.Record{
		{Time: failed.Time, Client: "Microsoft Entra ID", Method: "POST", Path: "/Users", Action: "user.create",
			TargetName: "grace@acme.example", Status: 409, ScimType: "uniqueness",
			Detail: "userName grace@acme.example is taken", Duration: 3 * time.Millisecond},
		{Time: ok.Time, Client: "Okta", Method: "GET", Path: "/Users?filter=userName+eq+%22ada%40acme.example%22",
			Action: "users.list", Status: 200},
		{Time: patch.Time, Method: "PATCH", Path: "/Users/u1", Action: "user.deactivate", Target: "u1",
			TargetName: "alan@acme.example", Status: 200},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records:\n got %+v\nwant %+v", got, want)
	}
	if !got[0].Failed() || got[1].Failed() {
		t.Error("Failed does not follow the status")
	}
	if h := console.Hint(got[0]); !strings.Contains(h, "A user with this userName already exists") {
		t.Errorf("the 409's hint: %q", h)
	}
}

// queryRecorder is a RequestLog that remembers the queries it was asked
// and answers each with the next of its pages.
type queryRecorder struct {
	asked []provlog.Query
	pages []provlog.Page
}

func (r *queryRecorder) Query(_ context.Context, q provlog.Query) (provlog.Page, error) {
	r.asked = append(r.asked, q)
	if len(r.pages) == 0 {
		return provlog.Page{}, nil
	}
	p := r.pages[0]
	r.pages = r.pages[1:]
	return p, nil
}

func TestFromRequestLogPassesTheFiltersOn(t *testing.T) {
	r := &queryRecorder{}
	since, until := t0.Add(-time.Hour), t0
	_, err := console.FromRequestLog(r).Records(context.Background(), console.RecordQuery{
		Tenant: "acme", FailuresOnly: true, Since: since, Until: until, User: "Grace@Acme.example", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := provlog.Query{Tenant: "acme", FailuresOnly: true, Since: since, Until: until, Target: "Grace@Acme.example", Limit: 100}
	if len(r.asked) != 1 || !reflect.DeepEqual(r.asked[0], want) {
		t.Errorf("asked %+v, want %+v", r.asked, want)
	}
	if r.asked[0].AllTenants {
		t.Error("asked for all tenants")
	}
}

// A limit larger than a store's page is read a page at a time, with the
// store's cursor; a record of another tenant that a store wrongly returns
// is not shown.
func TestFromRequestLogPagesAndKeepsToTheTenant(t *testing.T) {
	page := func(n int, tenant, next string) provlog.Page {
		p := provlog.Page{Next: next}
		for i := range n {
			p.Records = append(p.Records, scim.RequestRecord{Tenant: tenant, Status: 200, TargetName: fmt.Sprint(i)})
		}
		return p
	}
	r := &queryRecorder{pages: []provlog.Page{page(provlog.MaxLimit, "acme", "c1"), page(10, "globex", "c2"), page(300, "acme", "c3")}}
	got, err := console.FromRequestLog(r).Records(context.Background(), console.RecordQuery{Tenant: "acme", Limit: 1200})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1200 {
		t.Errorf("%d records, want 1200", len(got))
	}
	if len(r.asked) != 3 {
		t.Fatalf("%d queries: %+v", len(r.asked), r.asked)
	}
	for i, want := range []struct {
		cursor string
		limit  int
	}{{"", provlog.MaxLimit}, {"c1", 200}, {"c2", 200}} {
		if q := r.asked[i]; q.Cursor != want.cursor || q.Limit != want.limit || q.Tenant != "acme" {
			t.Errorf("query %d: %+v, want cursor %q limit %d", i, q, want.cursor, want.limit)
		}
	}
}

func TestFromRequestLogError(t *testing.T) {
	boom := errors.New("database is down")
	src := console.FromRequestLog(failingLog{boom})
	if _, err := src.Records(context.Background(), console.RecordQuery{Tenant: "acme", Limit: 10}); !errors.Is(err, boom) {
		t.Errorf("error %v", err)
	}
}

type failingLog struct{ err error }

func (f failingLog) Query(context.Context, provlog.Query) (provlog.Page, error) {
	return provlog.Page{}, f.err
}

// The filters select in a real log: tenant, failures, user (a userName in
// any case, or an id) and time.
func TestFromRequestLogFilters(t *testing.T) {
	log := memstore.NewRequestLog(100)
	ctx := context.Background()
	recs := []scim.RequestRecord{
		{Time: t0.Add(-2 * time.Hour), Tenant: "acme", Method: "POST", Path: "/Users", TargetID: "u1", TargetName: "ada@acme.example", Status: 201},
		{Time: t0.Add(-time.Minute), Tenant: "acme", Method: "POST", Path: "/Users", TargetName: "grace@acme.example", Status: 409, ScimType: "uniqueness"},
		{Time: t0, Tenant: "globex", Method: "POST", Path: "/Users", TargetName: "ada@acme.example", Status: 409, ScimType: "uniqueness"},
		{Time: t0, Tenant: "", Method: "GET", Path: "/Users", Status: 401},
	}
	if err := log.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	src := console.FromRequestLog(log)
	names := func(q console.RecordQuery) []string {
		t.Helper()
		q.Limit = 10
		got, err := src.Records(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got {
			out = append(out, fmt.Sprintf("%s %d", r.TargetName, r.Status))
		}
		return out
	}
	for _, c := range []struct {
		q    console.RecordQuery
		want []string
	}{
		{console.RecordQuery{Tenant: "acme"}, []string{"grace@acme.example 409", "ada@acme.example 201"}},
		{console.RecordQuery{Tenant: "globex"}, []string{"ada@acme.example 409"}},
		{console.RecordQuery{Tenant: "acme", FailuresOnly: true}, []string{"grace@acme.example 409"}},
		{console.RecordQuery{Tenant: "acme", User: "ADA@acme.example"}, []string{"ada@acme.example 201"}},
		{console.RecordQuery{Tenant: "acme", User: "u1"}, []string{"ada@acme.example 201"}},
		{console.RecordQuery{Tenant: "acme", Since: t0.Add(-time.Hour)}, []string{"grace@acme.example 409"}},
		{console.RecordQuery{Tenant: "acme", Until: t0.Add(-time.Hour)}, []string{"ada@acme.example 201"}},
		{console.RecordQuery{Tenant: "initech"}, nil},
	} {
		if got := names(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.q, got, c.want)
		}
	}
}

// The event feed's events reach the Activity page newest first, named and
// summarised, for the tenant asked only.
func TestFromEventLogMapsEvents(t *testing.T) {
	e := newLoggedEnv(t)
	acme := e.admin(t, "acme")
	_, tok := acme.createConnection("Acme")
	_, m := e.scim(t, tok, "POST", "/Users", map[string]any{"userName": "ada@acme.example", "displayName": "Ada"})
	ada := m["id"].(string)
	_, m = e.scim(t, tok, "POST", "/Groups", map[string]any{"displayName": "Engineering"})
	eng := m["id"].(string)
	e.scim(t, tok, "PATCH", "/Groups/"+eng, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "add", "path": "members", "value": []map[string]any{{"value": ada}}}}})
	e.scim(t, tok, "PATCH", "/Users/"+ada, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{
			{"op": "replace", "path": "displayName", "value": "Ada L."},
			{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": map[string]any{"value": "m1"}},
		}})
	e.scim(t, tok, "PATCH", "/Users/"+ada, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}})
	globex := e.admin(t, "globex")
	_, gtok := globex.createConnection("Globex")
	e.scim(t, gtok, "POST", "/Users", map[string]any{"userName": "bob@globex.example"})

	got, err := console.FromEventLog(e.users).RecentEvents(context.Background(), "acme", 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Type, ResourceType, ResourceID, Name, Summary string }
	var rows []row
	for _, ev := range got {
		if ev.Time.IsZero() {
			t.Errorf("%s has no time", ev.Type)
		}
		rows = append(rows, row{ev.Type, ev.ResourceType, ev.ResourceID, ev.Name, ev.Summary})
	}
	want := []row{
		{"user.deactivated", "User", ada, "ada@acme.example", ""},
		{"user.updated", "User", ada, "ada@acme.example", "Changed displayName, manager"},
		{"group.members_added", "Group", eng, "Engineering", "Added 1 member"},
		{"group.created", "Group", eng, "Engineering", ""},
		{"user.created", "User", ada, "ada@acme.example", ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("events:\n got %+v\nwant %+v", rows, want)
	}
	// The limit keeps the newest.
	if got, _ := console.FromEventLog(e.users).RecentEvents(context.Background(), "acme", 2); len(got) != 2 || got[0].Type != "user.deactivated" || got[1].Type != "user.updated" {
		t.Errorf("the newest 2: %+v", got)
	}
	gev, err := console.FromEventLog(e.users).RecentEvents(context.Background(), "globex", 10)
	if err != nil || len(gev) != 1 || gev[0].Name != "bob@globex.example" {
		t.Errorf("globex's events: %+v, %v", gev, err)
	}
	if none, err := console.FromEventLog(e.users).RecentEvents(context.Background(), "initech", 10); err != nil || len(none) != 0 {
		t.Errorf("a tenant without events: %+v, %v", none, err)
	}
}

// When the store has discarded older events, the newest it still has are
// shown rather than an error.
func TestFromEventLogAfterRetention(t *testing.T) {
	users, groups := memstore.New(memstore.WithEventRetention(4))
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	ctx := scim.ContextWithTenant(context.Background(), "acme")
	for i := range 13 {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%02d"}`, i)
		req := httptest.NewRequestWithContext(ctx, "POST", "/Users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		if h.ServeHTTP(rec, req); rec.Code != 201 {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	if _, err := users.Events(ctx, 0, 1); !errors.Is(err, scim.ErrCursorExpired) {
		t.Fatalf("the store kept every event (%v): the test tests nothing", err)
	}
	got, err := console.FromEventLog(users).RecentEvents(context.Background(), "acme", 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 4 || len(got) > 8 {
		t.Fatalf("%d events", len(got))
	}
	for i, ev := range got {
		if want := fmt.Sprintf("u%02d", 12-i); ev.Name != want {
			t.Errorf("event %d is of %s, want %s", i, ev.Name, want)
		}
	}
}

// gappyLog is an event feed whose cursors go up by 10, as a store sharing
// one sequence between tenants might.
type gappyLog struct {
	evs   []scim.Event
	reads int
}

func (g *gappyLog) Events(_ context.Context, after int64, limit int) ([]scim.Event, error) {
	g.reads++
	var out []scim.Event
	for _, e := range g.evs {
		if e.Cursor > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (g *gappyLog) LastCursor(context.Context) (int64, error) {
	if len(g.evs) == 0 {
		return 0, nil
	}
	return g.evs[len(g.evs)-1].Cursor, nil
}

func TestFromEventLogWithGapsInCursors(t *testing.T) {
	g := &gappyLog{}
	for i := range 50 {
		snap, _ := json.Marshal(map[string]string{"userName": fmt.Sprint("user", i)})
		g.evs = append(g.evs, scim.Event{Cursor: int64(10 * (i + 1)), Type: scim.EventUserCreated, ResourceType: "User", Snapshot: snap})
	}
	got, err := console.FromEventLog(g).RecentEvents(context.Background(), "acme", 5)
	t.Logf("%d reads for the newest 5 of 50 events spaced 10 apart", g.reads)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range got {
		names = append(names, ev.Name)
	}
	if want := []string{"user49", "user48", "user47", "user46", "user45"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got %q, want %q", names, want)
	}
	all, _ := console.FromEventLog(g).RecentEvents(context.Background(), "acme", 100)
	if len(all) != 50 || all[0].Name != "user49" || all[49].Name != "user0" {
		t.Errorf("reading everything: %d events", len(all))
	}
}

// countingLog counts the reads of an event feed.
type countingLog struct {
	scim.EventLog
	reads int
}

func (c *countingLog) Events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	c.reads++
	return c.EventLog.Events(ctx, after, limit)
}

// On a feed whose cursors have no gaps (memstore's, sqlstore's), the newest
// events take one read after LastCursor, however many events the tenant
// has.
func TestFromEventLogReadsOnceFromAGaplessFeed(t *testing.T) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	ctx := scim.ContextWithTenant(context.Background(), "acme")
	for i := range 200 {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%03d"}`, i)
		req := httptest.NewRequestWithContext(ctx, "POST", "/Users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		if h.ServeHTTP(rec, req); rec.Code != 201 {
			t.Fatalf("create: %d", rec.Code)
		}
	}
	c := &countingLog{EventLog: users}
	got, err := console.FromEventLog(c).RecentEvents(context.Background(), "acme", 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 || got[0].Name != "u199" || got[29].Name != "u170" {
		t.Errorf("%d events, from %v", len(got), got)
	}
	if c.reads != 1 {
		t.Errorf("%d reads of the feed, want 1", c.reads)
	}
}
