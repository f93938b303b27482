package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim/console"
)

func TestActivityShowsFailuresWithHints(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.records.add("acme", console.Record{Time: now.Add(-2 * time.Hour), Client: "entra-id", Method: "POST", Path: "/Users", Action: "user.create", TargetName: "ada@acme.example", Status: 201})
	e.records.add("acme", console.Record{Time: now.Add(-time.Minute), Client: "entra-id", Method: "POST", Path: "/Users", Action: "user.create",
		TargetName: "grace@acme.example", Status: 409, ScimType: "uniqueness", Detail: "userName grace@acme.example is taken"})
	e.events.add("acme", console.Event{Time: now, Type: "user.deactivated", ResourceType: "User", Name: "alan@acme.example", Summary: "active"})
	a := e.admin(t, "acme")

	body := a.get("/activity").body
	for _, want := range []string{"ada@acme.example", "grace@acme.example", `<tr class="failed">`, "409 uniqueness",
		"A user with this userName already exists", "userName grace@acme.example is taken", "user.deactivated", "alan@acme.example"} {
		if !strings.Contains(body, want) {
			t.Errorf("the activity page lacks %q", want)
		}
	}
	if strings.Index(body, "grace@acme.example") > strings.Index(body, "ada@acme.example") {
		t.Error("the log is not newest first")
	}
	if body := a.get("/activity?status=failed").body; strings.Contains(body, "ada@acme.example") || !strings.Contains(body, "grace@acme.example") {
		t.Error("failed only")
	}
	if body := a.get("/activity?status=ok").body; !strings.Contains(body, "ada@acme.example") || strings.Contains(body, "grace@acme.example") {
		t.Error("succeeded only")
	}
	if body := a.get("/activity?user=ada@acme.example").body; !strings.Contains(body, "ada@acme.example") || strings.Contains(body, "grace@acme.example") {
		t.Error("by user")
	}
	if body := a.get("/activity?period=1h").body; strings.Contains(body, "ada@acme.example") || !strings.Contains(body, "grace@acme.example") {
		t.Error("the last hour")
	}
	// An unknown filter value is ignored, not reflected.
	if body := a.get("/activity?status=%3Cscript%3E&period=%3Cx%3E").body; strings.Contains(body, "<script>") || !strings.Contains(body, "ada@acme.example") {
		t.Error("an unknown filter value")
	}
}

func TestActivityWithoutSources(t *testing.T) {
	e := newEnv(t, console.WithRecords(nil), console.WithEvents(nil))
	body := e.admin(t, "acme").get("/activity").body
	if !strings.Contains(body, "keeps no provisioning log") || !strings.Contains(body, "records no provisioning events") {
		t.Error("the activity page does not say that there is no log and no events")
	}
}

// With the library's own request log and event feed behind it, the
// Activity page shows what an identity provider's requests did: the
// failed one highlighted with its SCIM error and hint, and the events;
// and nothing of another tenant.
func TestActivityShowsTheRequestLogAndEvents(t *testing.T) {
	e := newLoggedEnv(t)
	acme, globex := e.admin(t, "acme"), e.admin(t, "globex")
	_, tok := acme.createConnection("Acme Entra ID")
	_, gtok := globex.createConnection("Globex Okta")
	if st, _ := e.scim(t, tok, "POST", "/Users", map[string]any{"userName": "grace@acme.example"}); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st, _ := e.scim(t, tok, "POST", "/Users", map[string]any{"userName": "GRACE@acme.example"}); st != 409 {
		t.Fatalf("duplicate: %d", st)
	}
	if st, _ := e.scim(t, gtok, "POST", "/Users", map[string]any{"userName": "bob@globex.example"}); st != 201 {
		t.Fatalf("globex create: %d", st)
	}
	if st, _ := e.scim(t, gtok, "GET", "/Users/nosuchuser", nil); st != 404 {
		t.Fatalf("globex get: %d", st)
	}

	body := acme.get("/activity").body
	for _, want := range []string{`<tr class="failed">`, "409 uniqueness", "GRACE@acme.example",
		"A user with this userName already exists", "user.create", "user.created", "grace@acme.example"} {
		if !strings.Contains(body, want) {
			t.Errorf("acme's activity lacks %q", want)
		}
	}
	for _, leak := range []string{"bob@globex.example", "nosuchuser", "This user no longer exists here"} {
		if strings.Contains(body, leak) {
			t.Errorf("acme's activity shows globex's %q", leak)
		}
	}
	if n := strings.Count(body, `<tr class="failed">`); n != 1 {
		t.Errorf("%d failed rows, want 1", n)
	}
	if body := acme.get("/activity?status=failed").body; strings.Contains(body, `class="badge ok"`) || !strings.Contains(body, "409 uniqueness") {
		t.Error("failed only does not show just the 409")
	}
	if body := acme.get("/activity?user=grace@ACME.example").body; !strings.Contains(body, "409 uniqueness") || !strings.Contains(body, "201") {
		t.Error("by userName, in any case, does not show both of grace's requests")
	}
	gbody := globex.get("/activity").body
	if !strings.Contains(gbody, "bob@globex.example") || !strings.Contains(gbody, "This user no longer exists here") {
		t.Error("globex's activity lacks its own requests")
	}
	if strings.Contains(gbody, "grace@acme.example") {
		t.Error("globex's activity shows acme's user")
	}
}
