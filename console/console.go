package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// TenantFunc tells the console which tenant the admin who sent r manages.
// It returns ok false when the request has no tenant (the admin is not
// signed in, or manages none): the console then answers 403 and shows no
// data.
type TenantFunc func(r *http.Request) (tenant string, ok bool)

// Console is the provisioning console, an http.Handler. Make one with
// [New].
type Console struct {
	mgr     *connections.Manager
	users   scim.UserStore
	groups  scim.GroupStore
	tenant  TenantFunc
	cfg     config
	tmpl    *template.Template
	mux     *http.ServeMux
	origins *http.CrossOriginProtection
}

// New returns the console for the connections that mgr manages and the
// users and groups of the stores (read with the tenant in the context, as
// [scim.ContextWithTenant] puts it), serving each request for the tenant
// that tenant returns. It panics if mgr, users, groups or tenant is nil,
// or if a template given with [WithTemplates] does not parse.
func New(mgr *connections.Manager, users scim.UserStore, groups scim.GroupStore, tenant TenantFunc, opts ...Option) *Console {
	if mgr == nil || users == nil || groups == nil || tenant == nil {
		panic("console: New needs a connections.Manager, a UserStore, a GroupStore and a TenantFunc")
	}
	c := &Console{mgr: mgr, users: users, groups: groups, tenant: tenant, cfg: newConfig(opts)}
	c.tmpl = parseTemplates(c.cfg.templates)
	c.origins = http.NewCrossOriginProtection()
	c.origins.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.forbidden(w, r, "This form was sent from another site, and was refused.")
	}))
	c.routes()
	return c
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", c.setupPage)
	m.HandleFunc("GET /setup", c.setupPage)
	m.HandleFunc("POST /connections", c.createConnection)
	m.HandleFunc("POST /connections/{id}/tokens", c.issueToken)
	m.HandleFunc("POST /connections/{id}/disable", c.setDisabled(true))
	m.HandleFunc("POST /connections/{id}/enable", c.setDisabled(false))
	m.HandleFunc("POST /connections/{id}/delete", c.deleteConnection)
	m.HandleFunc("POST /credentials/{id}/rotate", c.rotateCredential)
	m.HandleFunc("POST /credentials/{id}/revoke", c.revokeCredential)
	m.HandleFunc("GET /directory", c.directoryPage)
	m.HandleFunc("GET /activity", c.activityPage)
	m.HandleFunc("GET /check", c.checkPage)
	m.HandleFunc("POST /check", c.runCheck)
	m.HandleFunc("GET /assets/{file}", c.asset)
	m.HandleFunc("/", c.notFound)
	c.mux = m
}

// ServeHTTP serves the console's pages for the tenant of r.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if strings.HasPrefix(r.URL.Path, "/assets/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// Assets are the same for everyone and hold no data.
		c.mux.ServeHTTP(w, r)
		return
	}
	tenant, ok := c.tenant(r)
	if !ok || tenant == "" {
		c.forbidden(w, r, "You are not signed in as the admin of an organisation, so there is nothing to show.")
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), tenantKey{}, tenant))
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The console's forms are small.
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := c.origins.Check(r); err != nil {
			c.forbidden(w, r, "This form was sent from another site, and was refused.")
			return
		}
		if !c.validCSRF(r, tenant) {
			c.forbidden(w, r, "This form has expired or did not come from this page. Reload the page and try again.")
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// maxFormBytes bounds the body of a form sent to the console.
const maxFormBytes = 64 << 10

type tenantKey struct{}

// tenantOf returns the tenant ServeHTTP resolved for r.
func tenantOf(r *http.Request) string {
	t, _ := r.Context().Value(tenantKey{}).(string)
	return t
}

// storeContext returns r's context with the tenant where the stores read it.
func storeContext(r *http.Request) context.Context {
	return scim.ContextWithTenant(r.Context(), tenantOf(r))
}

// contentSecurityPolicy allows the console's own stylesheet and script and
// nothing inline; the page cannot be framed, and forms post only to the
// console's origin.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " +
	"connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// asset serves the embedded stylesheet and script.
func (c *Console) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// page is what every template receives.
type page struct {
	// Title is the page's title; Nav names the tab that is current.
	Title, Nav string
	// Base is the relative path from the request's URL to the console's
	// root, such as "./" or "../../", ending in a slash.
	Base string
	// Tenant is the tenant the admin manages.
	Tenant string
	// CSRF is the token every form that changes something carries.
	CSRF string
	// Stylesheet is the application's extra stylesheet, or "".
	Stylesheet string
	// Notice is a message about what the last action did; Error, one about
	// what went wrong.
	Notice, Error string
	// Data is the page's own data.
	Data any
}

// newPage returns the page of r, setting the CSRF cookie if r has none.
func (c *Console) newPage(w http.ResponseWriter, r *http.Request, title, nav string, data any) *page {
	return &page{
		Title: title, Nav: nav, Base: baseOf(r.URL.Path), Tenant: tenantOf(r),
		CSRF: c.csrfToken(w, r, tenantOf(r)), Stylesheet: c.cfg.stylesheet, Data: data,
	}
}

// baseOf returns the relative path from path (the request's path below the
// console's root) back to the root.
func baseOf(path string) string {
	n := strings.Count(strings.TrimPrefix(path, "/"), "/")
	if n == 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

// render writes template name with p, or a generic error page if it fails.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		c.cfg.logger.ErrorContext(r.Context(), "console: rendering a page", "template", name, "error", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Pages show the tenant's data, and sometimes a secret: no cache keeps them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// forbidden answers 403 with a page that shows no data.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	p := &page{Title: "Not allowed", Base: baseOf(r.URL.Path), Stylesheet: c.cfg.stylesheet, Error: msg}
	c.render(w, r, http.StatusForbidden, "message.html", p)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "Not found", "", nil)
	p.Error = "There is no such page."
	c.render(w, r, http.StatusNotFound, "message.html", p)
}

// failed shows a page for an error of the console's stores: a generic
// message, the details in the log only.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.cfg.logger.ErrorContext(r.Context(), "console: "+what, "tenant", tenantOf(r), "error", err)
	p := c.newPage(w, r, "Something went wrong", "", nil)
	p.Error = "Something went wrong while " + what + ". Try again; if it keeps failing, contact support."
	c.render(w, r, http.StatusInternalServerError, "message.html", p)
}

// seeOther redirects to the console's root (or another page) with a
// notice code; the redirect is relative, so it works under any prefix.
func seeOther(w http.ResponseWriter, r *http.Request, to, notice string) {
	loc := baseOf(r.URL.Path) + to
	if notice != "" {
		loc += "?done=" + notice
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusSeeOther)
}

// parseTemplates parses the embedded templates, then those of override,
// which replace the embedded ones of the same name.
func parseTemplates(override fs.FS) *template.Template {
	t := template.Must(template.New("console").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))
	if override != nil {
		t = template.Must(t.ParseFS(override, "*.html"))
	}
	return t
}

// randomToken returns n random bytes, hex-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hexString(b)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, x := range b {
		out[2*i], out[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(out)
}

var discardLogger = slog.New(slog.DiscardHandler)
