package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
)

// Values an identity provider sends are attacker-controlled: they render
// as text, never as markup, and long ones are wrapped and clipped.
func TestHostileValuesRenderEscaped(t *testing.T) {
	e := newEnv(t)
	const script = `<script>alert(1)</script>`
	const attr = `"><img src=x onerror=alert(2)>`
	const rtl = "\u202Egnp.exe"
	long := strings.Repeat("W", 10000)
	e.createUser(t, "acme", &scim.User{UserName: "x" + script + "@evil.example", DisplayName: attr})
	e.createUser(t, "acme", &scim.User{UserName: "rtl@evil.example", DisplayName: rtl, Emails: []scim.MultiValue{{Value: "'single'@evil.example", Primary: true}}})
	e.createUser(t, "acme", &scim.User{UserName: "long@evil.example", DisplayName: long})
	if _, err := e.groups.Create(scimCtx("acme"), &scim.Group{DisplayName: script + long}); err != nil {
		t.Fatal(err)
	}
	e.records.add("acme", console.Record{Time: time.Now(), Method: "POST", Path: "/Users", Action: "user.create",
		TargetName: script, Status: 409, ScimType: "uniqueness", Detail: attr + long})
	e.events.add("acme", console.Event{Time: time.Now(), Type: "user.created", Name: attr, Summary: script})

	a := e.admin(t, "acme")
	// A connection named by the admin is shown the same way.
	if r := a.post("/connections", url.Values{"name": {script + rtl}}); r.status != http.StatusOK {
		t.Fatalf("create connection: %d", r.status)
	}
	pages := map[string]string{}
	for _, p := range []string{"/setup", "/directory", "/directory?tab=groups", "/activity", "/check", "/directory?q=" + url.QueryEscape(script)} {
		r := a.get(p)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", p, r.status)
		}
		pages[p] = r.body
		for _, raw := range []string{"<script>alert", "<img src=x", "onerror=alert(2)>"} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s contains the raw %q", p, raw)
			}
		}
	}
	escaped := "&lt;script&gt;alert(1)&lt;/script&gt;"
	for p, want := range map[string]string{
		"/directory":            escaped,
		"/directory?tab=groups": escaped,
		"/activity":             escaped,
		"/setup":                escaped,
	} {
		if !strings.Contains(pages[p], want) {
			t.Errorf("%s does not show %q", p, want)
		}
	}
	if !strings.Contains(pages["/directory"], "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;") {
		t.Error("the directory does not show the quoted display name as text")
	}
	// The right-to-left override stays inside an isolating element.
	if !strings.Contains(pages["/directory"], `<bdi class="clip" title="`+rtl+`">`+rtl+`</bdi>`) {
		t.Error("the RTL display name is not isolated in a <bdi>")
	}
	if !strings.Contains(pages["/setup"], `<h3 id="conn-`) || !strings.Contains(pages["/setup"], `class="wrap">&lt;script&gt;alert(1)&lt;/script&gt;`+rtl+`</h3>`) {
		t.Error("the connection's name is not shown escaped in a wrapping heading")
	}
	// The 10,000-character name is in a clipping element, whole (its
	// layout is checked in a real browser, in console/browsertest).
	if !strings.Contains(pages["/directory"], `<bdi class="clip" title="`+long+`">`+long+`</bdi>`) {
		t.Error("the long display name is not in a clipping element")
	}
	if !strings.Contains(pages["/activity"], `class="detail clip"`) {
		t.Error("the long detail is not clipped")
	}
}

// The Activity page shows what identity providers sent through the
// library's own request log and event feed: hostile userNames and group
// names (script, quotes, right-to-left override, 10,000 characters) in
// the log's targets, lookups and errors and in the events render as text,
// in clipping, isolating elements.
func TestHostileValuesOnActivityFromTheRequestLog(t *testing.T) {
	e := newLoggedEnv(t)
	a := e.admin(t, "acme")
	_, tok := a.createConnection("Acme")
	const script = `<script>alert(1)</script>`
	const attr = `"><img src=x onerror=alert(2)>`
	const rtl = "\u202Egnp.exe"
	long := strings.Repeat("W", 10000)
	hostileUser := "x" + script + attr + rtl + "@evil.example"
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/Users?filter=" + url.QueryEscape(`userName eq "x`+script+`"`), nil, 200},
		{"POST", "/Users", map[string]any{"userName": hostileUser, "displayName": attr}, 201},
		{"POST", "/Users", map[string]any{"userName": hostileUser}, 409},
		{"POST", "/Groups", map[string]any{"displayName": script + long}, 201},
		{"POST", "/Groups", map[string]any{"displayName": script + long}, 409},
	} {
		if st, m := e.scim(t, tok, c.method, c.path, c.body); st != c.want {
			t.Fatalf("%s %s: %d, want %d: %v", c.method, c.path, st, c.want, m)
		}
	}
	r := a.get("/activity")
	if r.status != http.StatusOK {
		t.Fatalf("activity: %d", r.status)
	}
	for _, raw := range []string{"<script>alert", "<img src=x", "onerror=alert(2)>"} {
		if strings.Contains(r.body, raw) {
			t.Errorf("the activity page contains the raw %q", raw)
		}
	}
	escapedUser := string(breakableForTest("x&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" + rtl + "@evil.example"))
	for _, want := range []string{
		// The user's target and event, isolated and clipped.
		`<bdi class="clip" title="x&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;` + rtl + `@evil.example">` + escapedUser + `</bdi>`,
		// The lookup's filter, readable and escaped.
		`GET /Users?filter=userName eq &#34;x&lt;script&gt;alert(1)&lt;/script&gt;&#34;`,
		// The 10,000-character group name, whole in a clipping element.
		`<bdi class="clip" title="&lt;script&gt;alert(1)&lt;/script&gt;` + long + `">&lt;script&gt;alert(1)&lt;/script&gt;` + long + `</bdi>`,
		"409 uniqueness", "A group with this displayName already exists",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the activity page lacks %.200q", want)
		}
	}
	// Both sections show the hostile user: the log (its create and its
	// duplicate) and the event.
	if n := strings.Count(r.body, `title="x&lt;script&gt;`); n != 3 {
		t.Errorf("the hostile userName is shown %d times, want 3 (two requests, one event)", n)
	}
}

// breakableForTest inserts <wbr> as the console's breakable does, in text
// that is already escaped.
func breakableForTest(s string) string {
	s = strings.ReplaceAll(s, "@", "@<wbr>")
	return strings.ReplaceAll(s, ".", "<wbr>.")
}
