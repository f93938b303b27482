package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/store/memstore"
)

// chromiumPath returns the browser to drive, failing the test when there
// is none, unless browser tests are turned off.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("SCIMKIT_BROWSER_TESTS") == "off" {
		t.Skip("SCIMKIT_BROWSER_TESTS=off: browser tests are turned off")
	}
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("no Chromium at %s (install Debian's package with `apt-get install -y chromium`, set $CHROMIUM, "+
			"or set SCIMKIT_BROWSER_TESTS=off to skip browser tests): %v", path, err)
	}
	return path
}

// stack is an application with SCIM and the console mounted, as an
// application would mount them: SCIM at /scim/v2, the console at
// /settings/scim/ for the signed-in admin of tenant "acme".
type stack struct {
	srv    *httptest.Server
	conns  *memstore.Connections
	mgr    *connections.Manager
	users  *memstore.UserStore
	groups *memstore.GroupStore
	log    *memstore.RequestLog // the provisioning log
}

const tenant = "acme"

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{conns: memstore.NewConnections(), log: memstore.NewRequestLog(1000)}
	s.users, s.groups = memstore.New()
	s.mgr = connections.NewManager(s.conns)
	scimOpts, consoleOpts := activityOptions(t, s)
	scimHandler := scim.NewHandler(s.users, s.groups, append([]scim.Option{scim.WithAuthenticator(connections.NewAuthenticator(s.conns))}, scimOpts...)...)
	c := console.New(s.mgr, s.users, s.groups, func(*http.Request) (string, bool) { return tenant, true },
		append([]console.Option{console.WithSCIMHandler(scimHandler)}, consoleOpts...)...)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scimHandler))
	mux.Handle("/settings/scim/", http.StripPrefix("/settings/scim", c))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stack) console(path string) string { return s.srv.URL + "/settings/scim/" + path }

// browser starts a headless Chromium with a fresh profile and returns its
// context. Every JavaScript dialog (an alert from injected markup), page
// error and Content-Security-Policy violation fails the test.
func startBrowser(t *testing.T, origin string) (context.Context, *browserLog) {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	bl := &browserLog{}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			bl.add("a JavaScript dialog opened: " + ev.Message)
		case *runtime.EventExceptionThrown:
			bl.add("a script failed: " + ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				bl.add("browser error: " + ev.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatalf("enabling the browser log: %v", err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		for _, p := range bl.take() {
			t.Errorf("in the browser: %s", p)
		}
	})
	return ctx, bl
}

// browserLog collects what went wrong in the browser.
type browserLog struct {
	mu       sync.Mutex
	problems []string
}

func (b *browserLog) add(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

func (b *browserLog) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// expect removes the problems that contain want, failing the test if
// there is none: what a step was meant to provoke.
func (b *browserLog) expect(t *testing.T, want string) {
	t.Helper()
	found := false
	for _, p := range b.take() {
		if strings.Contains(p, want) {
			found = true
		} else {
			b.add(p)
		}
	}
	if !found {
		t.Errorf("the browser reported no %q", want)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("in the browser: %v", err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("in the browser: %v", err)
	}
	return v
}

// waitFor waits until the JavaScript expression cond is true, through
// page loads (during which it cannot be evaluated).
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("in the browser: %s never held", cond)
}

// Widths the screenshots are taken at.
var widths = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 900, false},
	{"phone", 390, 844, true},
}

// shoot saves a full-page screenshot of the current page at each width as
// screenshots/NAME-WIDTH.png, and checks that the page does not scroll
// sideways at that width.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// Every field has a label, the page has a language, a title, one h1
	// and a main landmark.
	unlabelled := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
		.filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.outerHTML)`))
	for _, u := range unlabelled {
		t.Errorf("%s: a field without a label: %s", name, u)
	}
	if ok := run(t, ctx, chromedp.Evaluate[bool](`document.documentElement.lang === 'en' && document.title !== '' &&
		document.querySelectorAll('h1').length === 1 && document.querySelectorAll('main').length === 1`)); !ok {
		t.Errorf("%s: no language, title, single h1 or main", name)
	}
	for _, w := range widths {
		opts := []chromedp.EmulateViewportOption{}
		if w.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		do(t, ctx, chromedp.EmulateViewport(w.width, w.height, opts...))
		overflow := run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if overflow > 0 {
			t.Errorf("%s at %s width scrolls sideways by %dpx", name, w.name, overflow)
		}
		// A value from an identity provider is cut after three lines,
		// and nothing sticks out of its table cell (a long email or id
		// wraps).
		tall := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.clip'))
			.filter(el => el.getBoundingClientRect().height > 3 * parseFloat(getComputedStyle(el).lineHeight) + 2)
			.map(el => el.textContent.slice(0, 60))`))
		for _, v := range tall {
			t.Errorf("%s at %s width: a value is not cut to three lines: %q…", name, w.name, v)
		}
		wide := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('td'))
			.filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.trim().slice(0, 60))`))
		for _, v := range wide {
			t.Errorf("%s at %s width: a table cell's content sticks out of it: %q…", name, w.name, v)
		}
		png := run(t, ctx, chromedp.FullScreenshot(100))
		if err := os.MkdirAll("screenshots", 0o755); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("screenshots", name+"-"+w.name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
}

// scimRequest sends one request as an identity provider would.
func scimRequest(t *testing.T, base, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+"/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "Azure Active Directory SCIM Client")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"

// replayEntra provisions like Microsoft Entra ID: Test connection, a
// lookup then a create per user, a group with members, a deactivation, and
// a create of a userName that exists (refused with 409).
func replayEntra(t *testing.T, base, token string) {
	t.Helper()
	expect := func(want int, method, path string, body any) map[string]any {
		t.Helper()
		got, m := scimRequest(t, base, token, method, path, body)
		if got != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, got, want, m)
		}
		return m
	}
	expect(200, "GET", `/Users?filter=userName+eq+%22a2b0c7f1-0000-4000-8000-000000000001%22`, nil)
	expect(200, "GET", `/Groups?excludedAttributes=members&filter=displayName+eq+%22a2b0c7f1-0000-4000-8000-000000000002%22`, nil)
	users := []struct{ userName, given, family, display string }{
		{"ada.lovelace@acme.example", "Ada", "Lovelace", "Ada Lovelace"},
		{"grace.hopper@acme.example", "Grace", "Hopper", "Grace Hopper"},
		{"alan.turing@acme.example", "Alan", "Turing", "Alan Turing"},
		// An attacker-controlled display name: it must render as text.
		{"mallory@acme.example", "Mallory", "<script>", `<script>alert("pwned")</script> "quoted" ` + "\u202Etxt.exe"},
		// A 10,000-character display name must not break the layout.
		{"long.name@acme.example", "Long", "Name", strings.Repeat("Wolfeschlegelsteinhausenbergerdorff", 286)},
		// Nor hostile or 8,000-character userNames (a filter holds no
		// longer string), which the Activity
		// page shows too (in the log's targets and lookups).
		{`"><img src=x onerror=alert("userName")>@acme.example`, "Eve", "Quote", "Eve Quote"},
		{strings.Repeat("averyveryverylonguserName", 320) + "@acme.example", "Lou", "Long", "Lou Long"},
	}
	var ids []string
	for _, u := range users {
		var quoted bytes.Buffer // a JSON string, as Entra ID quotes it (without \u003c for <)
		enc := json.NewEncoder(&quoted)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(u.userName)
		expect(200, "GET", "/Users?filter="+url.QueryEscape(`userName eq `+strings.TrimSpace(quoted.String())), nil)
		m := expect(201, "POST", "/Users", map[string]any{
			"schemas": []string{userSchema}, "userName": u.userName, "active": true, "displayName": u.display,
			"externalId": strings.Split(u.userName, "@")[0],
			"name":       map[string]string{"givenName": u.given, "familyName": u.family, "formatted": u.given + " " + u.family},
			"emails":     []map[string]any{{"value": u.userName, "type": "work", "primary": true}},
		})
		ids = append(ids, m["id"].(string))
	}
	g := expect(201, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering"})
	// A hostile 10,000-character group name, for the directory's groups
	// and the activity's targets and events.
	expect(201, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": `<img src=x onerror=alert("group")>` + strings.Repeat("Abteilung", 1110)})
	members := []map[string]any{}
	for _, id := range ids[:3] {
		members = append(members, map[string]any{"value": id})
	}
	// A member-only PATCH answers 204 by default, as Entra ID accepts.
	expect(204, "PATCH", "/Groups/"+g["id"].(string), map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Add", "path": "members", "value": members}},
	})
	expect(200, "PATCH", "/Users/"+ids[2], map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
	})
	// The deliberate failure: Grace again, under another externalId.
	expect(409, "POST", "/Users", map[string]any{"schemas": []string{userSchema}, "userName": "Grace.Hopper@acme.example", "externalId": "ghopper2"})
}

func TestConsoleInChromium(t *testing.T) {
	s := newStack(t)
	ctx, blog := startBrowser(t, s.srv.URL)

	// Setup, empty. The first Tab reaches the skip link.
	do(t, ctx, chromedp.Navigate(s.console("")), chromedp.WaitVisible(chromedp.CSS(`#scim-url`)))
	do(t, ctx, chromedp.KeyEvent(kb.Tab))
	if focused := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Skip to content" {
		t.Errorf("the first Tab focuses %q, not the skip link", focused)
	}
	if got := run(t, ctx, chromedp.Value(chromedp.CSS(`#scim-url`))); got != s.srv.URL+"/scim/v2" {
		t.Errorf("SCIM URL shown: %q", got)
	}
	shoot(t, ctx, "setup-empty")

	// Create a connection, from the keyboard's point of view a form.
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#name`), "Acme Entra ID"),
		chromedp.SetValue(chromedp.CSS(`#provider`), "entra-id"),
		chromedp.Click(chromedp.CSS(`form.create button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#secret`)),
	)
	if loc := run(t, ctx, chromedp.Location()); strings.Contains(loc, "scimkit_") {
		t.Errorf("the secret is in the URL: %s", loc)
	}
	// Copy it with the button, and read the clipboard.
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-copy=secret]`)))
	do(t, ctx, chromedp.WaitVisible(chromedp.Search(`//p[@id="secret-status"][contains(., "Copied")]`)))
	token := run(t, ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(token, "scimkit_tok_") {
		t.Fatalf("the clipboard holds %q, not a token", token)
	}
	if shown := run(t, ctx, chromedp.Value(chromedp.CSS(`#secret`))); shown != token {
		t.Errorf("copied %q, shown %q", token, shown)
	}
	shoot(t, ctx, "secret")

	// The identity provider provisions with it.
	replayEntra(t, s.srv.URL, token)

	// Directory: the users, the counts, the deactivated user.
	do(t, ctx, chromedp.Navigate(s.console("directory")), chromedp.WaitVisible(chromedp.CSS(`table`)))
	text := run(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{"ada.lovelace@acme.example", "mallory@acme.example", "Deactivated", `<script>alert("pwned")</script>`} {
		if !strings.Contains(text, want) {
			t.Errorf("the directory does not show %q", want)
		}
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.scripts.length`)); n != 1 {
		t.Errorf("the directory page has %d scripts, want only the console's own", n)
	}
	shoot(t, ctx, "directory")
	do(t, ctx, chromedp.Navigate(s.console("directory?q=hopper")), chromedp.WaitVisible(chromedp.CSS(`table`)))
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "grace.hopper@acme.example") || strings.Contains(text, "ada.lovelace") {
		t.Errorf("searching for hopper shows:\n%s", text)
	}
	do(t, ctx, chromedp.Navigate(s.console("directory?tab=groups")), chromedp.WaitVisible(chromedp.CSS(`table`)))
	shoot(t, ctx, "directory-groups")

	checkActivity(t, ctx, s)

	// Rotate: a new token, the old one still works until revoked.
	do(t, ctx, chromedp.Navigate(s.console("setup")), chromedp.WaitVisible(chromedp.CSS(`.conn`)))
	shoot(t, ctx, "setup")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action$="/rotate"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#secret`)),
	)
	fresh := run(t, ctx, chromedp.Value(chromedp.CSS(`#secret`)))
	if fresh == token || !strings.HasPrefix(fresh, "scimkit_tok_") {
		t.Fatalf("rotation showed %q", fresh)
	}
	for _, tok := range []string{token, fresh} {
		if st, _ := scimRequest(t, s.srv.URL, tok, "GET", "/Users?count=1", nil); st != 200 {
			t.Errorf("after rotation a token is refused: %d", st)
		}
	}
	// Revoke the old one: the second row's Revoke (newest first).
	do(t, ctx,
		chromedp.Navigate(s.console("setup")),
		chromedp.WaitVisible(chromedp.CSS(`.conn`)),
		chromedp.Click(chromedp.CSS(`tbody tr:nth-child(2) form[action$="/revoke"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	if st, _ := scimRequest(t, s.srv.URL, token, "GET", "/Users?count=1", nil); st != 401 {
		t.Errorf("the revoked token gets %d", st)
	}
	if st, _ := scimRequest(t, s.srv.URL, fresh, "GET", "/Users?count=1", nil); st != 200 {
		t.Errorf("the new token gets %d", st)
	}
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Revoked") {
		t.Error("the setup page does not show the revoked token")
	}
	shoot(t, ctx, "setup-rotated")
	// The guides open with a click or the keyboard.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#guide-entra summary`)), chromedp.WaitVisible(chromedp.CSS(`#guide-entra ol`)))
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#guide-entra').scrollIntoView()`))
	shoot(t, ctx, "setup-guide-entra")

	// Check.
	do(t, ctx,
		chromedp.Navigate(s.console("check")),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.check-steps`)),
	)
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Everything works") {
		t.Errorf("the check failed:\n%s", text)
	}
	shoot(t, ctx, "check")

	// A form sent without its CSRF token is refused. (A script could not
	// even send it: the Content-Security-Policy allows no fetch.)
	do(t, ctx,
		chromedp.Navigate(s.console("setup")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.create input[name=csrf]').remove()`),
		chromedp.SendKeys(chromedp.CSS(`#name`), "forged"),
		chromedp.Click(chromedp.CSS(`form.create button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error`)),
	)
	blog.expect(t, "status of 403")
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "did not come from this page") {
		t.Errorf("a form without its CSRF token shows:\n%s", text)
	}
	if conns, _ := s.mgr.List(context.Background(), tenant); len(conns) != 1 {
		t.Errorf("%d connections after a POST without a CSRF token", len(conns))
	}
}
