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
