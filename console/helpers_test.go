package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/store/memstore"
)

// env is a SCIM server with connections and the console mounted at
// /admin/, whose admin's tenant is the X-Test-Tenant header (the test's
// stand-in for an application's sign-in).
type env struct {
	srv     *httptest.Server
	store   *memstore.Connections
	mgr     *connections.Manager
	users   *memstore.UserStore
	groups  *memstore.GroupStore
	logs    *syncBuffer
	records *fakeRecords
	events  *fakeEvents
	// log is the provisioning log the SCIM handler writes every request
	// to, as it is served.
	log *memstore.RequestLog
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, opts ...console.Option) *env {
	t.Helper()
	return buildEnv(t, false, opts)
}

// newLoggedEnv is newEnv with the library's own provisioning log (e.log)
// and event feed (the user store's) behind the Activity page, through
// FromRequestLog and FromEventLog, instead of the fakes.
func newLoggedEnv(t *testing.T, opts ...console.Option) *env {
	t.Helper()
	return buildEnv(t, true, opts)
}

func buildEnv(t *testing.T, real bool, opts []console.Option) *env {
	t.Helper()
	e := &env{store: memstore.NewConnections(), logs: &syncBuffer{}, records: &fakeRecords{}, events: &fakeEvents{},
		log: memstore.NewRequestLog(1000)}
	e.users, e.groups = memstore.New()
	e.mgr = connections.NewManager(e.store)
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(e.logs, t.Output()), nil))
	// The record is written before the response returns, so a test reads
	// it at once (an application puts a provlog.Queue in between).
	writeLog := scim.RequestLoggerFunc(func(ctx context.Context, rec *scim.RequestRecord) {
		_ = e.log.Write(ctx, []scim.RequestRecord{*rec})
	})
	scimHandler := scim.NewHandler(e.users, e.groups, scim.WithAuthenticator(connections.NewAuthenticator(e.store)),
		scim.WithLogger(logger), scim.WithRequestLog(writeLog))
	sources := []console.Option{console.WithRecords(e.records), console.WithEvents(e.events)}
	if real {
		sources = []console.Option{console.WithRecords(console.FromRequestLog(e.log)), console.WithEvents(console.FromEventLog(e.users))}
	}
	opts = append(append([]console.Option{console.WithSCIMHandler(scimHandler), console.WithLogger(logger)}, sources...), opts...)
	c := console.New(e.mgr, e.users, e.groups, func(r *http.Request) (string, bool) {
		t := r.Header.Get("X-Test-Tenant")
		return t, t != ""
	}, opts...)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scimHandler))
	mux.Handle("/admin/", http.StripPrefix("/admin", c))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// admin is a browser-like client of the console, signed in for tenant.
type admin struct {
	t      *testing.T
	e      *env
	tenant string
	client *http.Client
}

func (e *env) admin(t *testing.T, tenant string) *admin {
	jar, _ := cookiejar.New(nil)
	return &admin{t: t, e: e, tenant: tenant, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (a *admin) do(method, path string, form url.Values) response {
	a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.e.srv.URL+"/admin"+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.tenant != "" {
		req.Header.Set("X-Test-Tenant", a.tenant)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (a *admin) get(path string) response { a.t.Helper(); return a.do(http.MethodGet, path, nil) }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the Setup page's forms.
func (a *admin) csrf() string {
	a.t.Helper()
	r := a.get("/setup")
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		a.t.Fatalf("no CSRF token on the setup page (status %d)", r.status)
	}
	return m[1]
}

// post sends form with a valid CSRF token.
func (a *admin) post(path string, form url.Values) response {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", a.csrf())
	return a.do(http.MethodPost, path, form)
}

var secretRE = regexp.MustCompile(`id="secret" class="mono" type="text" readonly value="([^"]+)"`)

// createConnection creates a connection named name and returns its id and
// token, read from the page as an admin would.
func (a *admin) createConnection(name string) (id, token string) {
	a.t.Helper()
	r := a.post("/connections", url.Values{"name": {name}, "provider": {"entra-id"}})
	if r.status != http.StatusOK {
		a.t.Fatalf("create connection: status %d: %s", r.status, r.body)
	}
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil {
		a.t.Fatalf("no secret on the page: %s", r.body)
	}
	conns, err := a.e.mgr.List(context.Background(), a.tenant)
	if err != nil || len(conns) == 0 {
		a.t.Fatalf("no connection stored: %v", err)
	}
	return conns[len(conns)-1].ID, m[1]
}

// scim sends a SCIM request with token and returns the status and body.
func (e *env) scim(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if m, ok := body.(map[string]any); ok && m["schemas"] == nil {
		if strings.HasPrefix(path, "/Groups") {
			m["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}
		} else {
			m["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
		}
	}
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// createUser provisions a user in tenant directly in the store.
func (e *env) createUser(t *testing.T, tenant string, u *scim.User) *scim.User {
	t.Helper()
	got, err := e.users.Create(scim.ContextWithTenant(context.Background(), tenant), u)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// fakeRecords and fakeEvents hold records and events per tenant, and
// remember the tenants they were asked for.
type fakeRecords struct {
	mu    sync.Mutex
	by    map[string][]console.Record
	asked []string
}

func (f *fakeRecords) add(tenant string, r console.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string][]console.Record{}
	}
	f.by[tenant] = append([]console.Record{r}, f.by[tenant]...)
}

func (f *fakeRecords) Records(_ context.Context, q console.RecordQuery) ([]console.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q.Tenant)
	var out []console.Record
	for _, r := range f.by[q.Tenant] {
		if q.FailuresOnly && !r.Failed() {
			continue
		}
		if q.User != "" && r.Target != q.User && r.TargetName != q.User {
			continue
		}
		if !q.Since.IsZero() && r.Time.Before(q.Since) || !q.Until.IsZero() && !r.Time.Before(q.Until) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

type fakeEvents struct {
	mu sync.Mutex
	by map[string][]console.Event
}

func (f *fakeEvents) add(tenant string, ev console.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string][]console.Event{}
	}
	f.by[tenant] = append([]console.Event{ev}, f.by[tenant]...)
}

func (f *fakeEvents) RecentEvents(_ context.Context, tenant string, limit int) ([]console.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.by[tenant]
	return evs[:min(limit, len(evs))], nil
}
