package console_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/scimkit/scim/console"
)

func TestWithTemplatesReplacesOneTemplate(t *testing.T) {
	fsys := fstest.MapFS{"brand.html": {Data: []byte(`{{define "header"}}<header class="top">Our own header for {{.Tenant}}</header>{{end}}`)}}
	e := newEnv(t, console.WithTemplates(fsys))
	body := e.admin(t, "acme").get("/setup").body
	if !strings.Contains(body, "Our own header for acme") {
		t.Error("the replaced header is not used")
	}
	if !strings.Contains(body, "Set up provisioning") {
		t.Error("the rest of the page is gone")
	}
}

func TestWithStylesheet(t *testing.T) {
	e := newEnv(t, console.WithStylesheet("/static/brand.css"))
	body := e.admin(t, "acme").get("/setup").body
	own := strings.Index(body, `assets/console.css"`)
	app := strings.Index(body, `href="/static/brand.css"`)
	if own < 0 || app < own {
		t.Errorf("the application's stylesheet is not linked after the console's (%d, %d)", own, app)
	}
}

func TestSecureCookies(t *testing.T) {
	e := newEnv(t, console.WithSecureCookies())
	r := e.admin(t, "acme").get("/setup")
	ck := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, "__Host-") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("cookie %q", ck)
	}
}
