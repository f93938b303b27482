package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// What a store author needs besides the contract in store.go: Match and
// ApplyQuery for a store that filters, sorts or pages in memory, NewID for
// the ids it assigns, CloneExtensions for the copies it keeps. Filters for
// a store's own tests come from ParseUserFilter and ParseGroupFilter, and
// store/storetest checks the whole contract.

// ApplyQuery filters, sorts and pages all as q says, for a store that
// cannot do so itself. It does not modify all, and skips nil entries.
//
// Resources that match q.Filter (see [Match]) are sorted by q.SortBy, and
// the page holds at most q.Count of them from the 1-based q.StartIndex.
// The sort is stable: ties, and an empty SortBy, keep the order of all,
// which the caller should make stable, for example by id. Strings of
// attributes that are not caseExact sort case-insensitively; a
// multi-valued attribute sorts by its primary (else first) item; resources
// that lack the attribute come last in both directions; attributes of
// extensions that q.Filter's schemas do not define (all of them but the
// Enterprise User extension, without a filter) are compared by the type of
// their values, strings case-insensitively; an unknown SortBy leaves the
// order as it is. A StartIndex below 1 counts as 1; a Count of 0 (or
// below) gives a page with no resources whose TotalResults still counts
// every match. A nil q selects every resource. Page.Resources is never
// nil.
func ApplyQuery[R Resource](all []*R, q *Query) *Page[R] {
	page, _ := ApplyQueryContext(context.Background(), all, q)
	return page
}

// applyCheckEvery is how many resources ApplyQueryContext evaluates between
// two looks at its context.
const applyCheckEvery = 64

// ApplyQueryContext is [ApplyQuery] for long lists: it looks at ctx every
// few resources and, once ctx is done, stops and returns ctx's error and no
// page, so that a costly filter does not keep a store busy after its client
// has gone.
func ApplyQueryContext[R Resource](ctx context.Context, all []*R, q *Query) (*Page[R], error) {
	if q == nil {
		q = &Query{StartIndex: 1, Count: len(all)}
	}
	start := max(q.StartIndex, 1) - 1
	count := max(q.Count, 0)
	page := &Page[R]{Resources: []*R{}}
	var matched []*R
	for i, r := range all {
		if i%applyCheckEvery == 0 && q.Filter != nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if r == nil || !Match(q.Filter, r) {
			continue
		}
		if q.SortBy != "" {
			matched = append(matched, r)
			continue
		}
		// Without sorting, only the page needs keeping.
		if page.TotalResults >= start && len(page.Resources) < count {
			page.Resources = append(page.Resources, r)
		}
		page.TotalResults++
	}
	if q.SortBy == "" {
		return page, nil
	}
	rt := defaultResourceType[R]()
	if q.Filter != nil && q.Filter.rt != nil {
		rt = q.Filter.rt
	}
	sortResources(rt, matched, q.SortBy, q.SortDescending)
	page.TotalResults = len(matched)
	if start < len(matched) {
		n := min(count, len(matched)-start)
		page.Resources = append(page.Resources, matched[start:start+n]...)
	}
	return page, nil
}

// Match reports whether r matches f. A nil filter matches every resource; a
// filter parsed for another resource type matches none.
func Match[R Resource](f *Filter, r *R) bool {
	if f == nil {
		return true
	}
	if r == nil {
		return false
	}
	switch r := any(r).(type) {
	case *User:
		if f.user != nil {
			return f.user(r)
		}
	case *Group:
		if f.group != nil {
			return f.group(r)
		}
	}
	return f.rt == nil && f.Expr == nil
}

// NewID returns a new random (version 4) UUID in lower case, such as
// "2819c223-7f76-453a-919d-413861904646": an id a store can assign to a
// resource it creates.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// CloneExtensions returns a deep copy of e that shares no map or slice with
// it, or nil when e holds no extension: what a store that keeps resources
// in memory (as memstore does) needs on the way in and out, since the
// [Store] contract lets callers change what they pass and get.
func CloneExtensions(e Extensions) Extensions {
	if len(e) == 0 {
		return nil
	}
	out := make(Extensions, len(e))
	for k, v := range e {
		out[k] = deepCopyValue(v).(map[string]any)
	}
	return out
}
