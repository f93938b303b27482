package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim/connections"
)

func TestSetupPageShowsURLAndSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.admin(t, "acme").get("/")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(r.body, e.srv.URL+"/scim/v2") {
		t.Errorf("the setup page does not show the SCIM URL %s/scim/v2", e.srv.URL)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if got := r.header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	// No inline script or style in the page.
	for _, bad := range []string{"<script>", "<style", " style=", " onclick="} {
		if strings.Contains(r.body, bad) {
			t.Errorf("the page has inline code %q", bad)
		}
	}
	for _, asset := range []string{"/assets/console.css", "/assets/console.js"} {
		if a := e.admin(t, "").get(asset); a.status != http.StatusOK || a.body == "" {
			t.Errorf("%s: status %d", asset, a.status)
		}
	}
}

func TestNoTenantShowsNothing(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	a.createConnection("Acme Entra ID")
	for _, path := range []string{"/", "/setup", "/directory", "/activity", "/check"} {
		r := e.admin(t, "").get(path)
		if r.status != http.StatusForbidden {
			t.Errorf("%s without a tenant: status %d, want 403", path, r.status)
		}
		if strings.Contains(r.body, "Acme Entra ID") {
			t.Errorf("%s without a tenant shows a connection", path)
		}
	}
}

func TestCreateConnectionShowsWorkingSecretOnce(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	r := a.post("/connections", url.Values{"name": {"Acme Entra ID"}, "provider": {"entra-id"}})
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no secret on the page")
	}
	token := m[1]
	if !strings.HasPrefix(token, "scimkit_tok_") {
		t.Errorf("secret %q is not a token", token)
	}
	if r.header.Get("Location") != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the secret page redirects or may be cached: %v", r.header)
	}
	for k, vs := range r.header {
		for _, v := range vs {
			if strings.Contains(v, token) {
				t.Errorf("header %s carries the secret", k)
			}
		}
	}
	if st, _ := e.scim(t, token, http.MethodGet, "/Users", nil); st != http.StatusOK {
		t.Errorf("the token is refused by the SCIM handler: %d", st)
	}
	// The Setup page lists the connection and never the secret again.
	setup := a.get("/setup")
	if !strings.Contains(setup.body, "Acme Entra ID") {
		t.Error("the setup page does not list the connection")
	}
	if strings.Contains(setup.body, token) {
		t.Error("the setup page shows the secret again")
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("the secret was logged")
	}
}

func TestRotateAndRevoke(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	connID, old := a.createConnection("Acme")
	creds, _ := e.mgr.Credentials(context.Background(), "acme", connID)
	oldID := creds[0].ID

	r := a.post("/credentials/"+oldID+"/rotate", url.Values{"grace": {"0"}})
	m := secretRE.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("rotate: status %d, secret shown %v", r.status, m != nil)
	}
	fresh := m[1]
	for _, tok := range []string{old, fresh} {
		if st, _ := e.scim(t, tok, http.MethodGet, "/Users", nil); st != http.StatusOK {
			t.Errorf("after rotation a token is refused: %d", st)
		}
	}
	r = a.post("/credentials/"+oldID+"/revoke", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "../../") {
		t.Fatalf("revoke: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	if st, _ := e.scim(t, old, http.MethodGet, "/Users", nil); st != http.StatusUnauthorized {
		t.Errorf("the revoked token still works: %d", st)
	}
	if st, _ := e.scim(t, fresh, http.MethodGet, "/Users", nil); st != http.StatusOK {
		t.Errorf("the new token stopped working: %d", st)
	}
	if page := a.get("/setup?done=revoked"); !strings.Contains(page.body, "was revoked") {
		t.Error("no notice after revoking")
	}
	// Disable refuses every token; enable brings them back.
	a.post("/connections/"+connID+"/disable", nil)
	if st, _ := e.scim(t, fresh, http.MethodGet, "/Users", nil); st == http.StatusOK {
		t.Error("a disabled connection's token works")
	}
	a.post("/connections/"+connID+"/enable", nil)
	if st, _ := e.scim(t, fresh, http.MethodGet, "/Users", nil); st != http.StatusOK {
		t.Errorf("an enabled connection's token is refused: %d", st)
	}
	// Delete needs the confirmation.
	if r := a.post("/connections/"+connID+"/delete", nil); r.status != http.StatusBadRequest {
		t.Errorf("delete without confirmation: %d", r.status)
	}
	if r := a.post("/connections/"+connID+"/delete", url.Values{"confirm": {"yes"}}); r.status != http.StatusSeeOther {
		t.Errorf("delete: %d", r.status)
	}
	if _, err := e.mgr.Get(context.Background(), "acme", connID); err == nil {
		t.Error("the connection was not deleted")
	}
}

func TestCreateConnectionRefusesBadName(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	r := a.post("/connections", url.Values{"name": {"bad\x07name"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "without control characters") {
		t.Errorf("status %d", r.status)
	}
	if conns, _ := e.mgr.List(context.Background(), "acme"); len(conns) != 0 {
		t.Error("a connection was created")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	a.get("/setup") // sets the cookie
	count := func() int {
		conns, _ := e.mgr.List(context.Background(), "acme")
		return len(conns)
	}
	form := func(extra map[string]string) url.Values {
		v := url.Values{"name": {"X"}}
		for k, x := range extra {
			v.Set(k, x)
		}
		return v
	}
	// No token.
	if r := a.do(http.MethodPost, "/connections", form(nil)); r.status != http.StatusForbidden {
		t.Errorf("POST without a token: %d", r.status)
	}
	// A made-up token.
	if r := a.do(http.MethodPost, "/connections", form(map[string]string{"csrf": "AAAA"})); r.status != http.StatusForbidden {
		t.Errorf("POST with a wrong token: %d", r.status)
	}
	// Another tenant's token, with this admin's cookie.
	b := e.admin(t, "globex")
	tokB := b.csrf()
	if r := a.do(http.MethodPost, "/connections", form(map[string]string{"csrf": tokB})); r.status != http.StatusForbidden {
		t.Errorf("POST with another session's token: %d", r.status)
	}
	// A valid token without the cookie.
	tok := a.csrf()
	fresh := e.admin(t, "acme")
	if r := fresh.do(http.MethodPost, "/connections", form(map[string]string{"csrf": tok})); r.status != http.StatusForbidden {
		t.Errorf("POST without the cookie: %d", r.status)
	}
	// A valid token and cookie, sent from another site.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/admin/connections", strings.NewReader(form(map[string]string{"csrf": tok}).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Tenant", "acme")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range a.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", resp.StatusCode)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d connections were created by refused POSTs", n)
	}
	// Every state-changing route refuses a POST without a token.
	connID, _ := a.createConnection("Acme")
	creds, _ := e.mgr.Credentials(context.Background(), "acme", connID)
	for _, path := range []string{"/connections", "/connections/" + connID + "/tokens", "/connections/" + connID + "/disable",
		"/connections/" + connID + "/enable", "/connections/" + connID + "/delete", "/credentials/" + creds[0].ID + "/rotate",
		"/credentials/" + creds[0].ID + "/revoke", "/check"} {
		if r := a.do(http.MethodPost, path, url.Values{"confirm": {"yes"}, "connection": {connID}}); r.status != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d", path, r.status)
		}
	}
	after, _ := e.mgr.Credentials(context.Background(), "acme", connID)
	if len(after) != 1 || !after[0].Revoked.IsZero() {
		t.Errorf("refused POSTs changed the credentials: %d, revoked %v", len(after), after[0].Revoked)
	}
	if _, err := e.mgr.Get(context.Background(), "acme", connID); err != nil {
		t.Errorf("refused POSTs deleted the connection: %v", err)
	}
	// And with it, it works.
	if r := a.post("/connections", form(nil)); r.status != http.StatusOK {
		t.Errorf("POST with the token: %d", r.status)
	}
}

func TestCheckRunsAndRevokesItsToken(t *testing.T) {
	e := newEnv(t)
	a := e.admin(t, "acme")
	connID, _ := a.createConnection("Acme")
	r := a.post("/check", url.Values{"connection": {connID}})
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(r.body, "Everything works") || strings.Contains(r.body, `badge bad">Failed`) {
		t.Fatalf("the check did not pass:\n%s", r.body)
	}
	for _, step := range []string{"Look up a user that does not exist", "Look up a group that does not exist", "Create a test user",
		"Deactivate it as Entra ID does", "Delete the test user", "Revoke the temporary token"} {
		if !strings.Contains(r.body, step) {
			t.Errorf("no step %q", step)
		}
	}
	creds, _ := e.mgr.Credentials(context.Background(), "acme", connID)
	if len(creds) != 2 || creds[1].Revoked.IsZero() {
		t.Errorf("the check's token is not revoked: %d credentials", len(creds))
	}
	if page, _ := e.users.List(scimCtx("acme"), allUsers()); page.TotalResults != 0 {
		t.Errorf("the check left %d users", page.TotalResults)
	}
	// A disabled connection is not offered, and cannot be chosen.
	if _, err := e.mgr.SetDisabled(context.Background(), "acme", connID, true); err != nil {
		t.Fatal(err)
	}
	if r := a.post("/check", url.Values{"connection": {connID}}); r.status != http.StatusBadRequest {
		t.Errorf("check on a disabled connection: %d", r.status)
	}
}

func TestCheckWithoutHandler(t *testing.T) {
	e := newEnv(t, withoutSCIMHandler())
	a := e.admin(t, "acme")
	a.createConnection("Acme")
	if r := a.get("/check"); !strings.Contains(r.body, "not set up") {
		t.Error("the check page does not say it is not set up")
	}
}

var _ = connections.ErrNotFound
