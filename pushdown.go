package scim

import (
	"slices"
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// Helpers for stores that translate filters themselves ("push them down"
// to an index or a database query), for the requests identity providers
// make most: a lookup by one attribute, answered with one indexed query,
// with anything else left to [ApplyQuery].

// References reports whether the filter mentions the attribute at path,
// or any of its sub-attributes: "members" for `members eq "42"`,
// `members[value eq "42"]` and `members.display co "x"`; "name" or
// "name.familyName" for `name.familyName sw "S"`. path is resolved as in a
// filter ("manager" finds the Enterprise User manager), case-insensitively.
// It reports false for a nil filter and for a path that names no attribute.
func (f *Filter) References(path string) bool {
	if f == nil || f.rt == nil || f.Expr == nil {
		return false
	}
	ref, ok := f.rt.resolvePath(path)
	if !ok {
		return false
	}
	found := false
	walkPaths(f.Expr, func(p filter.AttributePath, sub string) {
		if found {
			return
		}
		got, ok := f.rt.resolve(p.URI(), p.AttributeName, "")
		if !ok || got.attr != ref.attr {
			return
		}
		found = ref.sub == nil || strings.EqualFold(sub, ref.sub.Name)
	})
	return found
}

// walkPaths calls fn with the attribute path and the sub-attribute name
// ("" for none) of every comparison in e; a comparison inside a value path
// gets the value path's attribute and its own name as the sub-attribute.
func walkPaths(e filter.Expression, fn func(p filter.AttributePath, sub string)) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		walkPaths(e.Left, fn)
		walkPaths(e.Right, fn)
	case *filter.NotExpression:
		walkPaths(e.Expression, fn)
	case *filter.ValuePath:
		walkComparisons(e.ValueFilter, func(c *filter.AttributeExpression) {
			fn(e.AttributePath, c.AttributePath.AttributeName)
		})
	case *filter.AttributeExpression:
		fn(e.AttributePath, e.AttributePath.SubAttributeName())
	}
}

// Equality is one equality comparison of a filter, in the form a store
// matches to an indexed column.
type Equality struct {
	// Path is the canonical path of the attribute: "userName",
	// "externalId", "id", "members.value", "name.familyName",
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
	// A comparison that selects items of a multi-valued attribute by
	// other sub-attributes has those in brackets, sorted by name, with
	// the values of sub-attributes that are not caseExact in lower case:
	// `emails[type eq "work"].value` for Entra ID's
	// `emails[type eq "Work"].value eq "ada@example.com"`. These are the
	// paths an [AttributeKeeper] declares.
	Path string
	// Value is the value compared with, typed as in [Filter.Expr]: string,
	// bool, int64, float64 or time.Time.
	Value any
	// CaseExact reports that a string Value matches exactly; otherwise
	// it matches case-insensitively (userName, emails.value).
	CaseExact bool
}

// Equalities returns the equality comparisons that every resource the
// filter selects satisfies: the eq comparisons joined to the rest of the
// filter by "and" alone (not under "or" or "not"). A store may narrow its
// candidates with any of them, for example to one indexed query, and then
// let [ApplyQuery] evaluate the whole filter on the few candidates left.
//
// only reports that the filter is nothing but these equalities, so that a
// store that applied every one of them has evaluated the whole filter. A
// nil filter has no equalities and only is true: it selects everything.
//
// The requests identity providers make for lookups all have only set:
// `userName eq "…"`, `externalId eq "…"`, `id eq "…" and members eq "…"`
// (as `members.value`), `emails[type eq "work"].value eq "…"`.
func (f *Filter) Equalities() (eqs []Equality, only bool) {
	if f == nil || f.Expr == nil {
		return nil, true
	}
	only = true
	var walk func(e filter.Expression)
	walk = func(e filter.Expression) {
		if l, ok := e.(*filter.LogicalExpression); ok && l.Operator == filter.AND {
			walk(l.Left)
			walk(l.Right)
			return
		}
		if eq, ok := f.equality(e); ok {
			eqs = append(eqs, eq)
			return
		}
		only = false
	}
	walk(f.Expr)
	return eqs, only
}

// equality returns e as an Equality, if it is one.
func (f *Filter) equality(e filter.Expression) (Equality, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ || f.rt == nil {
			return Equality{}, false
		}
		a := f.Attribute(e.AttributePath)
		return Equality{Path: e.AttributePath.String(), Value: e.CompareValue, CaseExact: a != nil && a.CaseExact}, a != nil
	case *filter.ValuePath:
		attr := f.Attribute(e.AttributePath)
		if attr == nil {
			return Equality{}, false
		}
		// A conjunction of eq comparisons, one of them on "value".
		var value *filter.AttributeExpression
		var conds []string
		ok := true
		var walk func(x filter.Expression)
		walk = func(x filter.Expression) {
			switch x := x.(type) {
			case *filter.LogicalExpression:
				if x.Operator != filter.AND {
					ok = false
					return
				}
				walk(x.Left)
				walk(x.Right)
			case *filter.AttributeExpression:
				if x.Operator != filter.EQ {
					ok = false
					return
				}
				if x.AttributePath.AttributeName == "value" && value == nil {
					value = x
					return
				}
				v := x.CompareValue
				if s, isString := v.(string); isString {
					if sub := attr.Sub(x.AttributePath.AttributeName); sub != nil && !sub.CaseExact {
						v = FoldKey(s)
					}
				}
				var b strings.Builder
				b.WriteString(x.AttributePath.AttributeName + " eq ")
				writeValue(&b, v, false)
				conds = append(conds, b.String())
			default:
				ok = false
			}
		}
		walk(e.ValueFilter)
		if !ok || value == nil {
			return Equality{}, false
		}
		sub := attr.Sub("value")
		path := e.AttributePath.String()
		if len(conds) > 0 {
			slices.Sort(conds)
			path += "[" + strings.Join(conds, " and ") + "]"
		}
		return Equality{Path: path + ".value", Value: value.CompareValue, CaseExact: sub != nil && sub.CaseExact}, true
	}
	return Equality{}, false
}
