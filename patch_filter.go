package scim

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// patchItemFilter compiles the value filter of a PATCH path
// ("emails[type eq \"work\"]") into a predicate on one item of attr, with
// the filter engine's evaluator. Errors are *Error.
var patchItemFilter = compileItemFilter

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
