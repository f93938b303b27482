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

// ifMatch returns the version a write must find, from If-Match: empty when
// the header is absent or "*" (mustExist then reports that the resource
// has to exist).
func ifMatch(r *http.Request) (version string, mustExist bool, present bool) {
	hv := strings.TrimSpace(header(r, "If-Match"))
	if hv == "" {
		return "", false, false
	}
	if hv == "*" {
		return "", true, true
	}
	return hv, false, true
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

// ifVersion returns the version a conditional write passes to the store for
// the If-Match value want: its tag in weak form or, when want lists several
// tags, the current version if one of them matches it (RFC 7232 §3.1).
func ifVersion[R Resource](ctx context.Context, store Store[R], id, want string) (string, error) {
	if !strings.Contains(want, ",") {
		return normalizeETag(want), nil
	}
	cur, err := store.Get(ctx, id, ReadOptions{SkipMembership: true})
	if err != nil {
		return "", err
	}
	if v := metaOf(cur).Version; etagMatches(want, v) {
		return v, nil
	}
	return "", ErrPreconditionFailed
}
