package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
)

// An admin of tenant A never sees or changes tenant B's connections, log,
// events or directory.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a, b := e.admin(t, "acme"), e.admin(t, "globex")
	aConn, aToken := a.createConnection("Acme Entra ID")
	bConn, bToken := b.createConnection("Globex Okta")
	aCreds, _ := e.mgr.Credentials(context.Background(), "acme", aConn)
	aCred := aCreds[0].ID

	// Each tenant's IdP provisions a user.
	if st, _ := e.scim(t, aToken, http.MethodPost, "/Users", map[string]any{"userName": "ada@acme.example", "displayName": "Ada Acme"}); st != http.StatusCreated {
		t.Fatalf("create in acme: %d", st)
	}
	if st, _ := e.scim(t, bToken, http.MethodPost, "/Users", map[string]any{"userName": "bob@globex.example", "displayName": "Bob Globex"}); st != http.StatusCreated {
		t.Fatalf("create in globex: %d", st)
	}
	if st, _ := e.scim(t, bToken, http.MethodPost, "/Groups", map[string]any{"displayName": "Globex Engineers"}); st != http.StatusCreated {
		t.Fatalf("group in globex: %d", st)
	}
	e.records.add("acme", console.Record{Time: time.Now(), Method: "POST", Path: "/Users", Action: "user.create", TargetName: "acme-log-entry", Status: 201})
	e.records.add("globex", console.Record{Time: time.Now(), Method: "POST", Path: "/Users", Action: "user.create", TargetName: "globex-log-entry", Status: 409, ScimType: "uniqueness"})
	e.events.add("acme", console.Event{Time: time.Now(), Type: "user.created", Name: "acme-event"})
	e.events.add("globex", console.Event{Time: time.Now(), Type: "user.created", Name: "globex-event"})

	// What B's admin sees holds nothing of A.
	aMarks := []string{"Acme Entra ID", aConn, aCred, "ada@acme.example", "Ada Acme", "acme-log-entry", "acme-event"}
	bMarks := []string{"Globex Okta", bConn, "bob@globex.example", "globex-log-entry", "globex-event", "Globex Engineers"}
	pages := []string{"/setup", "/directory", "/directory?tab=groups", "/directory?q=a", "/directory?q=acme", "/activity", "/activity?status=failed", "/check"}
	for _, p := range pages {
		body := b.get(p).body
		for _, m := range aMarks {
			if strings.Contains(body, m) {
				t.Errorf("globex's %s shows acme's %q", p, m)
			}
		}
		body = a.get(p).body
		for _, m := range bMarks {
			if strings.Contains(body, m) {
				t.Errorf("acme's %s shows globex's %q", p, m)
			}
		}
	}
	// B sees its own.
	if !strings.Contains(b.get("/directory").body, "bob@globex.example") || !strings.Contains(b.get("/activity").body, "globex-log-entry") ||
		!strings.Contains(b.get("/activity").body, "globex-event") || !strings.Contains(b.get("/directory?tab=groups").body, "Globex Engineers") {
		t.Error("globex's admin does not see globex's data")
	}
	e.records.mu.Lock()
	asked := slices.Clone(e.records.asked)
	e.records.mu.Unlock()
	for _, tenant := range asked {
		if tenant != "acme" && tenant != "globex" {
			t.Errorf("the log was asked for tenant %q", tenant)
		}
	}

	// B's admin cannot change A's connection or credential: every attempt
	// is a 404, as for one that does not exist.
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/credentials/" + aCred + "/revoke", nil},
		{"/credentials/" + aCred + "/rotate", url.Values{"grace": {"0"}}},
		{"/connections/" + aConn + "/tokens", nil},
		{"/connections/" + aConn + "/disable", nil},
		{"/connections/" + aConn + "/delete", url.Values{"confirm": {"yes"}}},
	} {
		r := b.post(p.path, p.form)
		if r.status != http.StatusNotFound {
			t.Errorf("globex POST %s: %d, want 404", p.path, r.status)
		}
		if secretRE.MatchString(r.body) {
			t.Errorf("globex POST %s showed a secret", p.path)
		}
	}
	// Nor run the check with A's connection.
	if r := b.post("/check", url.Values{"connection": {aConn}}); r.status != http.StatusBadRequest {
		t.Errorf("globex check on acme's connection: %d", r.status)
	}
	creds, _ := e.mgr.Credentials(context.Background(), "acme", aConn)
	conn, err := e.mgr.Get(context.Background(), "acme", aConn)
	if err != nil || conn.Disabled || len(creds) != 1 || !creds[0].Revoked.IsZero() {
		t.Fatalf("acme's connection was changed by globex's admin: %v %+v %d", err, conn, len(creds))
	}
	if st, _ := e.scim(t, aToken, http.MethodGet, "/Users", nil); st != http.StatusOK {
		t.Errorf("acme's token stopped working: %d", st)
	}
	// The check of B leaves A's directory alone.
	if r := b.post("/check", url.Values{"connection": {bConn}}); !strings.Contains(r.body, "Everything works") {
		t.Errorf("globex's check failed:\n%s", r.body)
	}
	if page, _ := e.users.List(scimCtx("acme"), allUsers()); page.TotalResults != 1 {
		t.Errorf("acme has %d users after globex's check", page.TotalResults)
	}
}

func TestDirectorySearchAndCounts(t *testing.T) {
	e := newEnv(t)
	f := false
	e.createUser(t, "acme", &scim.User{UserName: "ada@acme.example", DisplayName: "Ada Lovelace"})
	e.createUser(t, "acme", &scim.User{UserName: "grace@acme.example", DisplayName: "Grace Hopper", Active: &f})
	e.createUser(t, "acme", &scim.User{UserName: `quote"back\slash@acme.example`, DisplayName: "Odd"})
	a := e.admin(t, "acme")
	body := a.get("/directory").body
	for _, want := range []string{`<span class="n">3</span><span class="l">users</span>`, `<span class="n">1</span><span class="l">deactivated users</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("directory lacks %q", want)
		}
	}
	search := func(q string, extra string) string { return a.get("/directory?q=" + url.QueryEscape(q) + extra).body }
	if b := search("lovelace", ""); !strings.Contains(b, "ada@acme.example") || strings.Contains(b, "grace@acme.example") {
		t.Error("search by displayName")
	}
	if b := search("GRACE@", ""); !strings.Contains(b, "grace@acme.example") || strings.Contains(b, "ada@acme.example") {
		t.Error("search by userName, without regard to case")
	}
	if b := search("", "&deactivated=1"); !strings.Contains(b, "grace@acme.example") || strings.Contains(b, "ada@acme.example") {
		t.Error("deactivated only")
	}
	// Filter syntax in the search box is text, not filter.
	if b := search(`" or userName pr or userName eq "`, ""); strings.Contains(b, "acme.example") {
		t.Error("a search injected a filter")
	}
	if b := search(`quote"back\slash`, ""); !strings.Contains(b, "quote&#34;back\\slash@acme.example") {
		t.Error("a search with a quote and a backslash does not find its user")
	}
}
