package scim

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// patchItemFilter compiles the value filter of a PATCH path
// ("emails[type eq \"work\"]") into a predicate on one item of attr. It is
// a variable so that the engine can use the filter package's
// compileItemFilter once it exists, with the same signature; until then it
// is the small evaluator below. Errors are *Error.
var patchItemFilter = compilePatchItemFilter

// compilePatchItemFilter is a minimal evaluator of value filters on the
// sub-attributes of one item: every comparison operator, and, or, not.
// String comparisons honour each sub-attribute's caseExact.
func compilePatchItemFilter(expr filter.Expression, attr *Attribute) (func(map[string]any) bool, error) {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil {
			return nil, errInvalidFilter("%q is not a sub-attribute of %q", e.AttributePath.String(), attr.Name)
		}
		sa := attr.Sub(e.AttributePath.AttributeName)
		if sa == nil {
			return nil, errInvalidFilter("%q is not a sub-attribute of %q", e.AttributePath.AttributeName, attr.Name)
		}
		return compareItem(sa, e.Operator, filterValue(e.CompareValue))
	case *filter.LogicalExpression:
		l, err := compilePatchItemFilter(e.Left, attr)
		if err != nil {
			return nil, err
		}
		r, err := compilePatchItemFilter(e.Right, attr)
		if err != nil {
			return nil, err
		}
		if e.Operator == filter.AND {
			return func(m map[string]any) bool { return l(m) && r(m) }, nil
		}
		return func(m map[string]any) bool { return l(m) || r(m) }, nil
	case *filter.NotExpression:
		f, err := compilePatchItemFilter(e.Expression, attr)
		if err != nil {
			return nil, err
		}
		return func(m map[string]any) bool { return !f(m) }, nil
	}
	return nil, errInvalidFilter("unsupported value filter on %q", attr.Name)
}

func compareItem(sa *Attribute, op filter.CompareOperator, want any) (func(map[string]any) bool, error) {
	name := sa.Name
	if op == filter.PR {
		return func(m map[string]any) bool { return m[name] != nil }, nil
	}
	fold := func(s string) string {
		if sa.CaseExact {
			return s
		}
		return strings.ToLower(s)
	}
	switch w := want.(type) {
	case nil:
		switch op {
		case filter.EQ:
			return func(m map[string]any) bool { return m[name] == nil }, nil
		case filter.NE:
			return func(m map[string]any) bool { return m[name] != nil }, nil
		}
	case bool:
		switch op {
		case filter.EQ:
			return func(m map[string]any) bool { b, _ := m[name].(bool); return b == w }, nil
		case filter.NE:
			return func(m map[string]any) bool { b, _ := m[name].(bool); return b != w }, nil
		}
	case json.Number:
		wf, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			break
		}
		return func(m map[string]any) bool {
			n, ok := m[name].(json.Number)
			if !ok {
				return false
			}
			f, err := strconv.ParseFloat(string(n), 64)
			return err == nil && cmpOrdered(op, f, wf)
		}, nil
	case string:
		w = fold(w)
		var test func(s string) bool
		switch op {
		case filter.CO:
			test = func(s string) bool { return strings.Contains(s, w) }
		case filter.SW:
			test = func(s string) bool { return strings.HasPrefix(s, w) }
		case filter.EW:
			test = func(s string) bool { return strings.HasSuffix(s, w) }
		case filter.EQ, filter.NE, filter.GT, filter.GE, filter.LT, filter.LE:
			test = func(s string) bool { return cmpOrdered(op, s, w) }
		}
		if test != nil {
			return func(m map[string]any) bool {
				s, ok := m[name].(string)
				if !ok {
					return op == filter.NE
				}
				return test(fold(s))
			}, nil
		}
	}
	return nil, errInvalidFilter("operator %q is not supported on %q with this value", string(op), name)
}

func cmpOrdered[T string | float64](op filter.CompareOperator, x, y T) bool {
	switch op {
	case filter.EQ:
		return x == y
	case filter.NE:
		return x != y
	case filter.GT:
		return x > y
	case filter.GE:
		return x >= y
	case filter.LT:
		return x < y
	case filter.LE:
		return x <= y
	}
	return false
}

// filterValue returns a compare value of the filter parser in document
// form: strings with their JSON escapes decoded (the parser keeps them
// raw), numbers as json.Number.
func filterValue(v any) any {
	switch x := v.(type) {
	case string:
		if strings.IndexByte(x, '\\') < 0 {
			return x
		}
		var s string
		if err := json.Unmarshal([]byte(`"`+x+`"`), &s); err == nil {
			return s
		}
		return x
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

// equalityItem returns the item that a value filter describes when it is a
// plain equality on a sub-attribute, or an "and" of such
// (type eq "work" and primary eq true), so that add and replace can create
// the item when none matches. It reports false for any other filter.
func equalityItem(expr filter.Expression, attr *Attribute) (map[string]any, bool) {
	item := map[string]any{}
	var walk func(filter.Expression) bool
	walk = func(expr filter.Expression) bool {
		switch e := expr.(type) {
		case *filter.AttributeExpression:
			if e.Operator != filter.EQ || e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil || e.CompareValue == nil {
				return false
			}
			sa := attr.Sub(e.AttributePath.AttributeName)
			if sa == nil {
				return false
			}
			v := filterValue(e.CompareValue)
			if old, ok := item[sa.Name]; ok && !valuesEqual(sa, old, v) {
				return false
			}
			item[sa.Name] = v
			return true
		case *filter.LogicalExpression:
			return e.Operator == filter.AND && walk(e.Left) && walk(e.Right)
		}
		return false
	}
	if !walk(expr) {
		return nil, false
	}
	return item, true
}
