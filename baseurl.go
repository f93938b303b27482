package scim

import (
	"net/http"
	"strings"
)

// The base URL of the SCIM root, for meta.location, Location headers and
// $ref values: configured with WithBaseURL, or derived from each request.

// baseURL returns the absolute URL of the SCIM root for r.
func (h *handler) baseURL(r *http.Request) string {
	if h.cfg.baseURL != "" {
		return h.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := header(r, "X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if fh := header(r, "X-Forwarded-Host"); fh != "" {
		host = fh
	}
	// http.StripPrefix leaves RequestURI as it was: what it removed is the
	// mount prefix.
	prefix := ""
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	// An absolute-form request-target (RFC 9112 §3.2.2) starts with the
	// scheme and authority, which are not part of the prefix.
	if i := strings.Index(raw, "://"); i >= 0 && !strings.HasPrefix(raw, "/") {
		raw = raw[i+3:]
		if j := strings.IndexByte(raw, '/'); j >= 0 {
			raw = raw[j:]
		} else {
			raw = ""
		}
	}
	if esc := r.URL.EscapedPath(); strings.HasSuffix(raw, esc) {
		prefix = strings.TrimSuffix(raw[:len(raw)-len(esc)], "/")
	}
	// Nearly every request of a deployment has the same base: keep the
	// last one built rather than concatenating it again.
	if c := h.base.Load(); c != nil && c.scheme == scheme && c.host == host && c.prefix == prefix {
		return c.url
	}
	c := &baseURLCache{scheme: scheme, host: host, prefix: prefix, url: scheme + "://" + host + prefix}
	// The parts are substrings of the request: keep copies of them only.
	c.scheme, c.host, c.prefix = c.url[:len(scheme)], c.url[len(scheme)+3:len(scheme)+3+len(host)], c.url[len(c.url)-len(prefix):]
	h.base.Store(c)
	return c.url
}

// baseURLCache is the base URL last derived from a request, with the parts
// it was built from.
type baseURLCache struct{ scheme, host, prefix, url string }
