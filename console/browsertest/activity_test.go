package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/provlog"
)

// activityOptions wires the library's own provisioning log and event feed
// into the stack, as an application does: the SCIM handler logs every
// request through a queue into memstore's ring (s.log), the store records
// the events of every change, and the console reads both through
// FromRequestLog and FromEventLog.
func activityOptions(t *testing.T, s *stack) (scimOpts []scim.Option, opts []console.Option) {
	queue := provlog.NewQueue(s.log)
	t.Cleanup(func() { _ = queue.Close(context.Background()) })
	return []scim.Option{scim.WithRequestLog(queue)},
		[]console.Option{console.WithRecords(console.FromRequestLog(s.log)), console.WithEvents(console.FromEventLog(s.users))}
}

// waitLogged waits until the queue has written the replay's failed
// request to the log (it writes in batches, a moment later).
func waitLogged(t *testing.T, s *stack) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := s.log.Query(context.Background(), provlog.Query{Tenant: tenant, FailuresOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Records) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the failed request never reached the provisioning log")
}

// checkActivity looks at the Activity page after the replay: the requests,
// newest first, the failed one highlighted with its hint, and the events.
func checkActivity(t *testing.T, ctx context.Context, s *stack) {
	t.Helper()
	waitLogged(t, s)
	do(t, ctx, chromedp.Navigate(s.console("activity")), chromedp.WaitVisible(chromedp.CSS(`table.log`)))
	failed := run(t, ctx, chromedp.Text(chromedp.CSS(`table.log tbody tr:first-child.failed`)))
	for _, want := range []string{"409", "uniqueness", "A user with this userName already exists", "Grace.Hopper@acme.example",
		"user.create", "Microsoft Entra ID"} {
		if !strings.Contains(failed, want) {
			t.Errorf("the newest request's row (the failed one) lacks %q: %s", want, failed)
		}
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.log tbody tr.failed').length`)); n != 1 {
		t.Errorf("%d failed requests highlighted, want 1", n)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.log tbody tr').length`)); n < 10 {
		t.Errorf("the log shows %d requests", n)
	}
	// The hint is shown in the bad colour, not merely present.
	if c := run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('tr.failed .hint')).color`)); c != "rgb(143, 29, 23)" {
		t.Errorf("the hint's colour is %s", c)
	}
	events := run(t, ctx, chromedp.Text(chromedp.CSS(`section[aria-labelledby=events-h]`)))
	for _, want := range []string{"user.created", "ada.lovelace@acme.example", "group.created", "Engineering",
		"group.members_added", "Added 3 members", "user.deactivated", "alan.turing@acme.example"} {
		if !strings.Contains(events, want) {
			t.Errorf("the recent changes lack %q:\n%s", want, events)
		}
	}
	if first := run(t, ctx, chromedp.Text(chromedp.CSS(`section[aria-labelledby=events-h] tbody tr:first-child`))); !strings.Contains(first, "user.deactivated") {
		t.Errorf("the newest change is not the deactivation: %s", first)
	}
	shoot(t, ctx, "activity")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#status`), "failed"),
		chromedp.Click(chromedp.CSS(`form[role=search] button`)),
	)
	// The form's GET loads a new page: wait for it, not for the table of
	// the old one.
	waitFor(t, ctx, `location.search.includes("status=failed") && document.readyState === "complete"`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`table.log`)))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.log tbody tr:not(.failed)').length`)); n != 0 {
		t.Errorf("failed only shows %d requests that did not fail", n)
	}
	shoot(t, ctx, "activity-failed")
}
