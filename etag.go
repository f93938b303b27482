package scim

import (
	"context"
	"net/http"
	"strings"
)

// Versions (RFC 7644 §3.14): matching If-Match and If-None-Match against
// Meta.Version, and the version a conditional write passes to the store.

// etagMatches reports whether an If-Match or If-None-Match header value
// matches version, using weak comparison (RFC 7232 §2.3.2).
func etagMatches(header, version string) bool {
	if version == "" {
		return false
	}
	v := strings.TrimPrefix(version, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == v {
			return true
		}
	}
	return false
}

// ifMatch is the If-Match precondition of a write (RFC 7232 §3.1), one
// helper for PUT, PATCH and DELETE: the header's value, trimmed; empty when
// the header is absent, "*" when any current version will do.
type ifMatch string

// ifMatchOf reads the If-Match header of r.
func ifMatchOf(r *http.Request) ifMatch {
	return ifMatch(strings.TrimSpace(header(r, "If-Match")))
}

// conditional reports whether the write has an If-Match header at all.
func (m ifMatch) conditional() bool { return m != "" }

// check returns ErrPreconditionFailed unless version, the version of the
// resource as the write read it, satisfies m; no header and "*" accept any.
func (m ifMatch) check(version string) error {
	if m == "" || m == "*" || etagMatches(string(m), version) {
		return nil
	}
	return ErrPreconditionFailed
}

// versionRead returns the version a write that read the resource at
// version passes to the store: none without If-Match; version itself when
// m accepts it (so that a change since the read is 412); an error wrapping
// ErrPreconditionFailed when m does not.
func (m ifMatch) versionRead(version string) (string, error) {
	if !m.conditional() {
		return "", nil
	}
	if err := m.check(version); err != nil {
		return "", err
	}
	return version, nil
}

// versionUnread returns the version a write that has not read the resource
// passes to the store: none without If-Match or with "*" (the store's
// ErrNotFound answers a resource that is not there); a single tag in weak
// form, the form stores keep in Meta.Version; for a list of tags, the
// current version if one of them matches it, which takes a read.
func versionUnread[R Resource](ctx context.Context, m ifMatch, store Store[R], id string) (string, error) {
	switch {
	case m == "" || m == "*":
		return "", nil
	case !strings.Contains(string(m), ","):
		return normalizeETag(string(m)), nil
	}
	cur, err := store.Get(ctx, id, ReadOptions{SkipMembership: true})
	if err != nil {
		return "", err
	}
	return m.versionRead(metaOf(cur).Version)
}

// normalizeETag returns a single entity tag of an If-Match value in weak
// form, the form stores keep in Meta.Version.
func normalizeETag(v string) string {
	v = strings.Trim(v, " \t")
	if strings.HasPrefix(v, "W/") {
		return v
	}
	return "W/" + v
}
