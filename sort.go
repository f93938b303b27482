package scim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseSortBy validates the sortBy parameter (RFC 7644 §3.4.2.3) and
// returns the canonical path of the attribute to sort by: a singular
// attribute or sub-attribute ("userName", "name.familyName",
// "meta.lastModified", "urn:…:enterprise:2.0:User:employeeNumber"), or a
// sub-attribute of a multi-valued attribute ("emails.value"), whose
// primary (else first) item is used. A multi-valued or complex attribute
// with a "value" sub-attribute stands for that sub-attribute ("emails"
// gives "emails.value"). Errors are *Error with scimType invalidValue.
func (rt *resourceType) parseSortBy(s string) (string, error) {
	ref, ok := rt.resolvePath(strings.TrimSpace(s))
	if !ok {
		return "", errInvalidValue("cannot sort by %q: there is no such attribute", s)
	}
	if ref.attr.returned() == ReturnedNever {
		return "", errInvalidValue("cannot sort by %q: it is never returned", ref.path())
	}
	if ref.sub == nil && ref.attr.typ() == TypeComplex {
		v := ref.attr.Sub("value")
		if v == nil {
			return "", errInvalidValue("cannot sort by %q: it is a complex attribute; sort by one of its sub-attributes, such as %s.%s",
				ref.path(), ref.path(), exampleSub(ref.attr))
		}
		ref.sub = v
	}
	return ref.path(), nil
}

// sortDefault sorts rs by sortBy against the default schemas, as
// ApplyQuery does when its query has no filter.
func sortDefault[R Resource](rs []*R, sortBy string, desc bool) {
	sortResources(defaultResourceType[R](), rs, sortBy, desc)
}

var (
	defaultUserType  = newResourceType("User", nil)
	defaultGroupType = newResourceType("Group", nil)
)

func defaultResourceType[R Resource]() *resourceType {
	var r *R
	if _, ok := any(r).(*User); ok {
		return defaultUserType
	}
	return defaultGroupType
}

func sortResources[R Resource](rt *resourceType, rs []*R, sortBy string, desc bool) {
	switch rs := any(rs).(type) {
	case []*User:
		sortWith(rt, userView, rs, sortBy, desc)
	case []*Group:
		sortWith(rt, groupView, rs, sortBy, desc)
	}
}

// sortKey is the value a resource sorts by.
type sortKey struct {
	ok   bool // false: the resource lacks the attribute
	kind valueKind
	s    string
	b    bool
	i    int64
	f    float64
	t    time.Time
}

func sortWith[T any](rt *resourceType, v *view[T], rs []*T, path string, desc bool) {
	key, fold := sortKeyFunc(rt, v, path)
	if key == nil || len(rs) < 2 {
		return
	}
	keys := make([]sortKey, len(rs))
	order := make([]int32, len(rs))
	for i, r := range rs {
		order[i] = int32(i)
		if r != nil {
			keys[i] = key(r)
		}
	}
	// An unstable sort on indices, with the input position breaking ties,
	// is stable and moves 4 bytes per swap.
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &keys[i], &keys[j]
		c := 0
		switch {
		case !a.ok || !b.ok:
			c = boolOrder(!a.ok, !b.ok)
		case desc:
			c = compareKeys(b, a, fold)
		default:
			c = compareKeys(a, b, fold)
		}
		if c == 0 {
			c = int(i - j)
		}
		return c
	})
	sorted := make([]*T, len(rs))
	for i, j := range order {
		sorted[i] = rs[j]
	}
	copy(rs, sorted)
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func compareKeys(a, b *sortKey, fold bool) int {
	if a.kind != b.kind {
		if isNumber(a.kind) && isNumber(b.kind) {
			return compareFloat(a.number(), b.number())
		}
		return int(a.kind) - int(b.kind)
	}
	switch a.kind {
	case kindBool:
		return boolOrder(a.b, b.b)
	case kindInteger:
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	case kindDecimal:
		return compareFloat(a.f, b.f)
	case kindTime:
		return a.t.Compare(b.t)
	}
	return compareStrings(a.s, b.s, fold)
}

func isNumber(k valueKind) bool { return k == kindInteger || k == kindDecimal }

func (k sortKey) number() float64 {
	if k.kind == kindInteger {
		return float64(k.i)
	}
	return k.f
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sortKeyFunc returns how to read the sort key at path from a T, and
// whether strings compare case-insensitively; nil if path cannot be read.
func sortKeyFunc[T any](rt *resourceType, v *view[T], path string) (func(*T) sortKey, bool) {
	ref, ok := rt.resolvePath(path)
	if !ok {
		return unknownExtKey(v, path)
	}
	if ref.sub == nil && ref.attr.typ() == TypeComplex {
		if ref.sub = ref.attr.Sub("value"); ref.sub == nil {
			return nil, false
		}
	}
	fold := !ref.target().CaseExact
	if ref.ext() && ref.schema.ID != v.typedExt {
		if v.ext == nil {
			return nil, false
		}
		urn, name, kind := ref.schema.ID, ref.attr.Name, kindOf(ref.target())
		sub := ""
		if ref.sub != nil {
			sub = ref.sub.Name
		}
		return func(t *T) sortKey { return docKey(v.ext(t)[urn][name], sub, kind) }, fold
	}
	if ref.attr.MultiValued {
		m, ok := v.multis[attrRef{schema: ref.schema, attr: ref.attr}.path()]
		if !ok {
			return nil, false
		}
		key, ok := m.sortKey(ref.sub.Name)
		if !ok {
			return nil, false
		}
		return key, fold
	}
	sc, ok := v.scalars[ref.path()]
	if !ok {
		return nil, false
	}
	return scalarKey(sc), fold
}

// unknownExtKey reads an attribute of an extension that rt does not know
// (ApplyQuery without a filter has only the default schemas) by the type of its values.
func unknownExtKey[T any](v *view[T], path string) (func(*T) sortKey, bool) {
	i := strings.LastIndexByte(path, ':')
	if i < 0 || v.ext == nil || !strings.HasPrefix(strings.ToLower(path), "urn:") {
		return nil, false
	}
	urn := path[:i]
	name, sub, _ := strings.Cut(path[i+1:], ".")
	return func(t *T) sortKey { return docKey(v.ext(t)[urn][name], sub, 255) }, true
}

// docKey returns the sort key of v, a value in canonical document form:
// of its sub-attribute sub if sub is set, of its primary (else first) item
// if it is a list. kind 255 takes the kind from the value's type.
func docKey(v any, sub string, kind valueKind) sortKey {
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return sortKey{}
		}
		v = list[0]
		for _, item := range list {
			if o, ok := item.(map[string]any); ok && o["primary"] == true {
				v = item
				break
			}
		}
	}
	if sub != "" {
		o, _ := v.(map[string]any)
		v = o[sub]
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return sortKey{}
		}
		if kind == kindTime {
			t, err := time.Parse(time.RFC3339Nano, x)
			return sortKey{ok: err == nil, kind: kindTime, t: t}
		}
		return sortKey{ok: true, kind: kindString, s: x}
	case bool:
		return sortKey{ok: true, kind: kindBool, b: x}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && kind != kindDecimal {
			return sortKey{ok: true, kind: kindInteger, i: i}
		}
		f, err := strconv.ParseFloat(string(x), 64)
		return sortKey{ok: err == nil, kind: kindDecimal, f: f}
	case float64:
		return sortKey{ok: true, kind: kindDecimal, f: x}
	case int:
		return sortKey{ok: true, kind: kindInteger, i: int64(x)}
	case int64:
		return sortKey{ok: true, kind: kindInteger, i: x}
	}
	return sortKey{}
}

// scalarKey returns how to read the sort key of a scalar attribute.
func scalarKey[T any](sc scalar[T]) func(*T) sortKey {
	switch sc.kind {
	case kindBool:
		get := sc.boolean
		return func(t *T) sortKey { v, ok := get(t); return sortKey{ok: ok, kind: kindBool, b: v} }
	case kindTime:
		get := sc.time
		return func(t *T) sortKey { v := get(t); return sortKey{ok: !v.IsZero(), kind: kindTime, t: v} }
	}
	get := sc.str
	return func(t *T) sortKey { v := get(t); return sortKey{ok: v != "", kind: kindString, s: v} }
}
