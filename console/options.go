package console

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

// Option configures a [Console].
type Option func(*config)

type config struct {
	scimURL    func(*http.Request) string
	scimHander http.Handler
	records    RecordSource
	events     EventSource
	templates  fs.FS
	stylesheet string
	csrfKey    []byte
	logger     *slog.Logger
	secure     bool
}

func newConfig(opts []Option) config {
	c := config{scimURL: defaultSCIMURL, logger: discardLogger}
	for _, o := range opts {
		o(&c)
	}
	if len(c.csrfKey) == 0 {
		c.csrfKey = []byte(randomToken(32))
	}
	return c
}

// defaultSCIMURL guesses the SCIM base URL from the request: the same
// host, at /scim/v2.
func defaultSCIMURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/scim/v2"
}

// WithSCIMURL sets the SCIM base URL the Setup page tells admins to paste
// into their identity provider, such as "https://api.example.com/scim/v2".
// The default is /scim/v2 on the host of the console's request.
func WithSCIMURL(url string) Option {
	url = strings.TrimSuffix(url, "/")
	return func(c *config) { c.scimURL = func(*http.Request) string { return url } }
}

// WithSCIMURLFunc is [WithSCIMURL] for an application whose SCIM base URL
// depends on the request (one host per customer, say).
func WithSCIMURLFunc(fn func(*http.Request) string) Option {
	return func(c *config) {
		if fn != nil {
			c.scimURL = fn
		}
	}
}

// WithSCIMHandler gives the Check page the SCIM handler to run its
// requests against: the handler the application mounts at the SCIM base
// URL, with paths relative to it ("/Users"), authenticating with the
// connections' credentials. The requests are served in-process, through
// h's authentication, with a credential made for the check and revoked
// after it. Without it (the default) the Check page says that it is not
// set up.
func WithSCIMHandler(h http.Handler) Option {
	return func(c *config) { c.scimHander = h }
}

// WithRecords gives the Activity page the provisioning log to show. Without
// it (the default) the page says that no log is kept.
func WithRecords(s RecordSource) Option {
	return func(c *config) { c.records = s }
}

// WithEvents gives the Activity page the provisioning events to show.
// Without it (the default) the page shows none.
func WithEvents(s EventSource) Option {
	return func(c *config) { c.events = s }
}

// WithTemplates replaces the console's templates with those of fsys with
// the same file names (*.html at its root: layout.html, setup.html,
// directory.html, activity.html, check.html, secret.html, message.html).
// A template defined there with {{define "name"}} replaces the console's
// template of that name, so an application can change the header alone
// ("header") or a whole page. By default the embedded templates are used.
func WithTemplates(fsys fs.FS) Option {
	return func(c *config) { c.templates = fsys }
}

// WithStylesheet adds the application's stylesheet at url to every page,
// after the console's own, so it can set the console's CSS custom
// properties (--console-accent, --console-bg, --console-fg, --console-font…)
// or restyle anything. It must be served from the console's origin, which
// the Content-Security-Policy allows. By default there is none.
func WithStylesheet(url string) Option {
	return func(c *config) { c.stylesheet = url }
}

// WithCSRFKey sets the key of the HMAC that makes CSRF tokens. Replicas
// behind one load balancer need the same key, so that a form served by one
// is accepted by another. By default each Console makes a random key, so
// forms rendered before a restart are refused after it.
func WithCSRFKey(key []byte) Option {
	return func(c *config) { c.csrfKey = append([]byte(nil), key...) }
}

// WithSecureCookies marks the console's CSRF cookie Secure (sent over
// HTTPS only) and names it with the __Host- prefix, which stops a sibling
// subdomain from setting it. Use it whenever the console is served over
// HTTPS; the default (off) lets it work on http://localhost.
func WithSecureCookies() Option {
	return func(c *config) { c.secure = true }
}

// WithLogger sets the logger for errors the console does not show to the
// admin (a store's error, say). It never logs a secret. By default nothing
// is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}
