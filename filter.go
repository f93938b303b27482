package scim

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scim2/filter-parser/v2"
)

// Filter is a parsed filter expression (RFC 7644 §3.4.2.2) validated against
// a resource type's schemas, and compiled for [Match].
//
// Filters come from [ParseUserFilter], [ParseGroupFilter] or the handler;
// a Filter built by hand cannot be evaluated, and [Match] reports false for
// it (unless its Expr is nil, which matches everything).
type Filter struct {
	// Expr is the normalized syntax tree, for stores that translate filters
	// (to SQL, or to index look-ups). It is built from these nodes only:
	//
	//   - *filter.LogicalExpression with Operator "and" or "or" (and binds
	//     tighter than or; chains are left-associative);
	//   - *filter.NotExpression;
	//   - *filter.ValuePath: AttributePath names a complex attribute (no
	//     SubAttribute), and ValueFilter holds the comparisons that one
	//     item must satisfy together, whose AttributePath is a plain
	//     sub-attribute name (no URIPrefix, no SubAttribute);
	//   - *filter.AttributeExpression.
	//
	// Attribute paths are canonical: names in the case the schema defines,
	// URIPrefix nil for core schema and common attributes (id, externalId,
	// meta), and the canonical extension URN for extension attributes, such
	// as "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".
	//
	// Operators are the lower-case filter constants. An AttributeExpression
	// is either Operator "pr" with a nil CompareValue, or another operator
	// with a CompareValue typed by the attribute: string (string, reference
	// and binary attributes; escapes decoded), bool (boolean: eq and ne
	// only), int64 (integer), float64 (decimal) or time.Time (dateTime).
	// co, sw and ew appear only with strings. There are no null compare
	// values: "attr eq null" becomes not (attr pr), "attr ne null" becomes
	// attr pr.
	//
	// A comparison of a complex attribute that has a "value" sub-attribute
	// means that sub-attribute: `members eq "42"` becomes the
	// AttributeExpression members.value eq "42", as do `emails co "@x"`,
	// `groups eq "id"` and the Enterprise User `manager eq "id"`. A
	// sub-attribute path of a multi-valued attribute (emails.value,
	// members.value, emails.type) holds when any item satisfies it, except
	// "ne", which holds when no item equals the value (including when there
	// is no item). Entra ID's `emails[type eq "work"].value eq "x"` becomes
	// the ValuePath emails[type eq "work" and value eq "x"].
	//
	// An unassigned attribute (an empty string, a nil pointer, a zero time,
	// an empty list) never satisfies eq, co, sw, ew, gt, ge, lt or le, and
	// always satisfies ne. Strings compare case-insensitively unless the
	// attribute is caseExact (see [Filter.Attribute]); dateTimes compare as
	// instants.
	//
	// The nodes are the types of github.com/scim2/filter-parser/v2, which
	// this package's own parser builds (it does not call that module's
	// parser); memstore walks Expr to answer filters from its indexes, and
	// sqlstore to write SQL.
	Expr filter.Expression
	rt   *resourceType
	cost int // see Cost

	user  func(*User) bool
	group func(*Group) bool
}

// ParseUserFilter parses and validates a filter on Users, whose schemas are
// the core User schema, the Enterprise User extension and extensions.
func ParseUserFilter(expr string, extensions ...*Schema) (*Filter, error) {
	return newResourceType("User", extensions).parseFilter(expr)
}

// ParseGroupFilter parses and validates a filter on Groups.
func ParseGroupFilter(expr string, extensions ...*Schema) (*Filter, error) {
	return newResourceType("Group", extensions).parseFilter(expr)
}

// parseFilter parses, validates and compiles expr. Errors are *Error with
// scimType invalidFilter.
func (rt *resourceType) parseFilter(expr string) (*Filter, error) {
	raw, err := parseFilterSyntax(expr)
	if err != nil {
		return nil, err
	}
	n := &normalizer{rt: rt, strictBooleans: rt.strictBooleans, unknown: errInvalidFilter}
	norm, err := n.expr(raw)
	if err != nil {
		return nil, err
	}
	f := &Filter{Expr: norm, rt: rt, cost: filterCost(rt, norm, false)}
	switch rt.name {
	case "User":
		f.user, err = compileTyped(rt, userView, norm)
	case "Group":
		f.group, err = compileTyped(rt, groupView, norm)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Attribute returns the definition of the attribute at path, resolved
// against the schemas of the filter's resource type, or nil. Stores use it
// to learn whether a string attribute in Expr is caseExact. For a
// comparison inside a ValuePath, ask for the value path's attribute with
// the comparison's name as SubAttribute.
func (f *Filter) Attribute(path filter.AttributePath) *Attribute {
	if f == nil || f.rt == nil {
		return nil
	}
	ref, ok := f.rt.resolve(path.URI(), path.AttributeName, path.SubAttributeName())
	if !ok {
		return nil
	}
	return ref.target()
}

// String returns the normalized filter in SCIM filter syntax, which parses
// back to the same filter.
func (f *Filter) String() string {
	if f == nil || f.Expr == nil {
		return ""
	}
	var b strings.Builder
	writeExpr(&b, f.Expr, false)
	return b.String()
}

// normalizer validates a syntax tree against a resource type (or, inside
// value filters and for PATCH item filters, against the sub-attributes of
// parent) and returns it in the canonical form Filter.Expr documents.
type normalizer struct {
	rt             *resourceType
	parent         *Attribute
	strictBooleans bool
	// unknown builds the error for an attribute no schema defines.
	unknown func(format string, args ...any) *Error
}

func (n *normalizer) expr(e filter.Expression) (filter.Expression, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e == nil {
			break
		}
		op := filter.LogicalOperator(strings.ToLower(string(e.Operator)))
		if op != filter.AND && op != filter.OR {
			return nil, errInvalidFilter("%q is not a logical operator; use and or or", e.Operator)
		}
		l, err := n.expr(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := n.expr(e.Right)
		if err != nil {
			return nil, err
		}
		return &filter.LogicalExpression{Left: l, Right: r, Operator: op}, nil
	case *filter.NotExpression:
		if e == nil {
			break
		}
		inner, err := n.expr(e.Expression)
		if err != nil {
			return nil, err
		}
		return &filter.NotExpression{Expression: inner}, nil
	case *filter.ValuePath:
		if e == nil {
			break
		}
		return n.valuePath(e)
	case *filter.AttributeExpression:
		if e == nil {
			break
		}
		if n.parent != nil {
			return n.itemComparison(e)
		}
		if e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil && strings.EqualFold(e.AttributePath.AttributeName, "schemas") {
			return n.schemasComparison(e)
		}
		ref, ok := n.rt.resolve(e.AttributePath.URI(), e.AttributePath.AttributeName, e.AttributePath.SubAttributeName())
		if !ok {
			return nil, n.unknownAttr(e.AttributePath, exprText(e))
		}
		return n.comparison(canonicalPath(ref), ref.attr, ref.sub, e)
	}
	return nil, errInvalidFilter("the filter is incomplete")
}

// schemasComparison rewrites a filter on "schemas" (RFC 7644 §3.4.2.2:
// schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
// into the equivalent test on attributes: every resource has its core
// schema, and has an extension schema when it holds an attribute of that
// extension. Stores then see only ordinary attribute filters.
func (n *normalizer) schemasComparison(e *filter.AttributeExpression) (filter.Expression, error) {
	where := exprText(e)
	op, ok := normalizeOp(e.Operator)
	if !ok {
		return nil, errInvalidFilter("%q is not a comparison operator (in %s)", e.Operator, where)
	}
	always := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "id"}, Operator: filter.PR}
	if op == filter.PR {
		return n.expr(always)
	}
	want, isString, err := stringValue(e.CompareValue, where)
	if err != nil {
		return nil, err
	}
	if !isString {
		return nil, errInvalidFilter("schemas holds schema URNs: compare it with a string (in %s)", where)
	}
	var match func(urn string) bool
	switch op {
	case filter.EQ, filter.NE:
		match = func(urn string) bool { return strings.EqualFold(urn, want) }
	case filter.CO:
		match = func(urn string) bool { return containsFold(urn, want) }
	case filter.SW:
		match = func(urn string) bool { return hasPrefixFold(urn, want) }
	case filter.EW:
		match = func(urn string) bool { return hasSuffixFold(urn, want) }
	default:
		return nil, errInvalidFilter("%s cannot order schema URNs (in %s)", op, where)
	}
	var terms []filter.Expression
	if match(n.rt.schema.ID) {
		terms = append(terms, always)
	} else {
		for _, x := range n.rt.extensions {
			if !match(x.schema.ID) {
				continue
			}
			for _, a := range x.schema.Attributes {
				urn := x.schema.ID
				terms = append(terms, &filter.AttributeExpression{
					AttributePath: filter.AttributePath{URIPrefix: &urn, AttributeName: a.Name}, Operator: filter.PR})
			}
		}
	}
	var out filter.Expression = &filter.NotExpression{Expression: always}
	if len(terms) > 0 {
		out = terms[0]
		for _, t := range terms[1:] {
			out = &filter.LogicalExpression{Left: out, Right: t, Operator: filter.OR}
		}
	}
	if op == filter.NE {
		out = &filter.NotExpression{Expression: out}
	}
	return n.expr(out)
}

func (n *normalizer) valuePath(e *filter.ValuePath) (filter.Expression, error) {
	where := exprText(e)
	if n.parent != nil {
		return nil, errInvalidFilter("value filters cannot be nested (in %s)", where)
	}
	p := e.AttributePath
	if p.SubAttribute != nil {
		return nil, errInvalidFilter("a value filter must follow a complex attribute, not the sub-attribute %q (in %s)", p.String(), where)
	}
	ref, ok := n.rt.resolve(p.URI(), p.AttributeName, "")
	if !ok {
		return nil, n.unknownAttr(p, where)
	}
	if ref.attr.typ() != TypeComplex {
		return nil, errInvalidFilter("%q is not a complex attribute, so it cannot have a value filter (in %s)", ref.path(), where)
	}
	if ref.attr.returned() == ReturnedNever {
		return nil, errInvalidFilter("%q is never returned, so it cannot be used in a filter", ref.path())
	}
	inner := &normalizer{parent: ref.attr, strictBooleans: n.strictBooleans, unknown: n.unknown}
	vf, err := inner.expr(e.ValueFilter)
	if err != nil {
		return nil, err
	}
	return &filter.ValuePath{AttributePath: canonicalPath(ref), ValueFilter: vf}, nil
}

// itemComparison normalizes a comparison of a sub-attribute of n.parent.
func (n *normalizer) itemComparison(e *filter.AttributeExpression) (filter.Expression, error) {
	p := e.AttributePath
	if p.URIPrefix != nil || p.SubAttribute != nil {
		return nil, errInvalidFilter("inside the value filter of %q, name a sub-attribute without a prefix, such as %q (in %s)",
			n.parent.Name, exampleSub(n.parent), exprText(e))
	}
	sub := n.parent.Sub(p.AttributeName)
	if sub == nil {
		return nil, n.unknown("%q has no sub-attribute %q (in %s)", n.parent.Name, p.AttributeName, exprText(e))
	}
	return n.comparison(filter.AttributePath{AttributeName: sub.Name}, sub, nil, e)
}

func (n *normalizer) unknownAttr(p filter.AttributePath, where string) *Error {
	if p.URIPrefix != nil && !strings.EqualFold(p.URI(), n.rt.schema.ID) && n.rt.extension(p.URI()) == nil {
		return n.unknown("unknown schema URN %q (in %s)", p.URI(), where)
	}
	if p.SubAttribute != nil {
		if ref, ok := n.rt.resolve(p.URI(), p.AttributeName, ""); ok {
			if ref.attr.typ() != TypeComplex {
				return n.unknown("%q is not a complex attribute, so it has no sub-attribute %q (in %s)", ref.path(), p.SubAttributeName(), where)
			}
			return n.unknown("%q has no sub-attribute %q (in %s)", ref.path(), p.SubAttributeName(), where)
		}
	}
	return n.unknown("unknown attribute %q (in %s)", p.String(), where)
}

// exampleSub names a sub-attribute of a, for error messages.
func exampleSub(a *Attribute) string {
	if len(a.SubAttributes) == 0 {
		return "value"
	}
	return a.SubAttributes[0].Name
}

func canonicalPath(ref attrRef) filter.AttributePath {
	p := filter.AttributePath{AttributeName: ref.attr.Name}
	if ref.ext() {
		uri := ref.schema.ID
		p.URIPrefix = &uri
	}
	if ref.sub != nil {
		sub := ref.sub.Name
		p.SubAttribute = &sub
	}
	return p
}

// normalizeOp returns op in lower case, if it is a comparison operator.
func normalizeOp(op filter.CompareOperator) (filter.CompareOperator, bool) {
	for _, o := range compareOps {
		if strings.EqualFold(string(op), string(o)) {
			return o, true
		}
	}
	return "", false
}

// comparison normalizes e, a comparison of attr (or of its sub-attribute
// sub), whose canonical path is path.
func (n *normalizer) comparison(path filter.AttributePath, attr, sub *Attribute, e *filter.AttributeExpression) (filter.Expression, error) {
	where := exprText(e)
	target := attr
	if sub != nil {
		target = sub
	}
	if attr.returned() == ReturnedNever || target.returned() == ReturnedNever {
		return nil, errInvalidFilter("%q is never returned, so it cannot be used in a filter", path.String())
	}
	op, ok := normalizeOp(e.Operator)
	if !ok {
		return nil, errInvalidFilter("%q is not a comparison operator (in %s)", e.Operator, where)
	}
	if op == filter.PR {
		return &filter.AttributeExpression{AttributePath: path, Operator: filter.PR}, nil
	}
	if e.CompareValue == nil {
		present := &filter.AttributeExpression{AttributePath: path, Operator: filter.PR}
		switch op {
		case filter.EQ:
			return &filter.NotExpression{Expression: present}, nil
		case filter.NE:
			return present, nil
		}
		return nil, errInvalidFilter("null can only be compared with eq or ne (in %s)", where)
	}
	if target.typ() == TypeComplex {
		v := target.Sub("value")
		if v == nil {
			return nil, errInvalidFilter("%q is a complex attribute: compare one of its sub-attributes, such as %s.%s (in %s)",
				path.String(), path.String(), exampleSub(target), where)
		}
		name := v.Name
		path.SubAttribute = &name
		target = v
	}
	val, err := n.value(target, path, op, e.CompareValue, where)
	if err != nil {
		return nil, err
	}
	return &filter.AttributeExpression{AttributePath: path, Operator: op, CompareValue: val}, nil
}

func isSubstringOp(op filter.CompareOperator) bool {
	return op == filter.CO || op == filter.SW || op == filter.EW
}

// value converts v, the compare value of a comparison of target, to the
// type Filter.Expr documents.
func (n *normalizer) value(target *Attribute, path filter.AttributePath, op filter.CompareOperator, v any, where string) (any, error) {
	name := path.String()
	switch t := target.typ(); t {
	case TypeString, TypeReference, TypeBinary:
		s, ok, err := stringValue(v, where)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidFilter("%q is a string attribute: compare it with a quoted string (in %s)", name, where)
		}
		if t == TypeBinary && op != filter.EQ && op != filter.NE {
			return nil, errInvalidFilter("%q is a binary attribute: only eq, ne and pr apply (in %s)", name, where)
		}
		return s, nil
	case TypeBoolean:
		if op != filter.EQ && op != filter.NE {
			return nil, errInvalidFilter("%q is a boolean attribute: only eq, ne and pr apply (in %s)", name, where)
		}
		switch x := v.(type) {
		case bool:
			return x, nil
		case string, bareWord:
			// Entra ID writes booleans as "True" and "False".
			s, _, _ := stringValue(x, where)
			if !n.strictBooleans && strings.EqualFold(s, "true") {
				return true, nil
			}
			if !n.strictBooleans && strings.EqualFold(s, "false") {
				return false, nil
			}
		}
		return nil, errInvalidFilter("%q is a boolean attribute: compare it with true or false (in %s)", name, where)
	case TypeInteger, TypeDecimal:
		if isSubstringOp(op) {
			return nil, errInvalidFilter("co, sw and ew apply to strings, and %q is a number (in %s)", name, where)
		}
		var r any
		var ok bool
		if t == TypeInteger {
			r, ok = integerValue(v)
		} else {
			r, ok = decimalValue(v)
		}
		if !ok {
			kind := "a decimal number"
			if t == TypeInteger {
				kind = "a whole number between -2^63 and 2^63-1"
			}
			return nil, errInvalidFilter("%q is %s attribute: compare it with %s (in %s)", name, article(string(t)), kind, where)
		}
		return r, nil
	case TypeDateTime:
		if isSubstringOp(op) {
			return nil, errInvalidFilter("co, sw and ew apply to strings, and %q is a dateTime (in %s)", name, where)
		}
		s, ok, err := stringValue(v, where)
		if err != nil {
			return nil, err
		}
		if ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, nil
			}
		}
		return nil, errInvalidFilter("%q is a dateTime attribute: compare it with an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\" (in %s)", name, where)
	}
	return nil, errInvalidFilter("%q cannot be compared (in %s)", name, where)
}

func article(t string) string {
	if t == "integer" {
		return "an integer"
	}
	return "a " + t
}

// stringValue returns v as a string if it is one: a quoted string (whose
// JSON escapes it decodes) or a bare word.
func stringValue(v any, where string) (string, bool, error) {
	switch x := v.(type) {
	case bareWord:
		return string(x), true, nil
	case string:
		if !strings.Contains(x, `\`) {
			return x, true, nil
		}
		var s string
		if err := json.Unmarshal([]byte(`"`+x+`"`), &s); err != nil {
			return "", false, errInvalidFilter("invalid escape sequence in a string (in %s)", where)
		}
		return s, true, nil
	}
	return "", false, nil
}

// integerValue converts a number compare value, as filter-parser (int,
// float64, json.Number) or this package's parser (json.Number) gives it,
// to int64, if it is a whole number in range.
func integerValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		return floatToInt(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, true
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return floatToInt(f)
		}
	}
	return 0, false
}

func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// decimalValue converts a number compare value to float64.
func decimalValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, !math.IsInf(x, 0) && !math.IsNaN(x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	}
	return 0, false
}

// exprText renders e (as parsed, before normalization) for error messages.
func exprText(e filter.Expression) string {
	var b strings.Builder
	writeExpr(&b, e, true)
	s := b.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// writeExpr writes e in filter syntax. raw says that strings are as parsed
// (escapes not decoded) rather than normalized.
func writeExpr(b *strings.Builder, e filter.Expression, raw bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e == nil {
			return
		}
		writeOperand(b, e.Left, e.Operator, raw)
		b.WriteString(" ")
		b.WriteString(string(e.Operator))
		b.WriteString(" ")
		writeOperand(b, e.Right, e.Operator, raw)
	case *filter.NotExpression:
		if e == nil {
			return
		}
		b.WriteString("not (")
		writeExpr(b, e.Expression, raw)
		b.WriteString(")")
	case *filter.ValuePath:
		if e == nil {
			return
		}
		b.WriteString(e.AttributePath.String())
		b.WriteString("[")
		writeExpr(b, e.ValueFilter, raw)
		b.WriteString("]")
	case *filter.AttributeExpression:
		if e == nil {
			return
		}
		b.WriteString(e.AttributePath.String())
		b.WriteString(" ")
		b.WriteString(string(e.Operator))
		if strings.EqualFold(string(e.Operator), string(filter.PR)) {
			return
		}
		b.WriteString(" ")
		writeValue(b, e.CompareValue, raw)
	}
}

// writeOperand writes an operand of a logical operator, in parentheses
// where precedence needs them.
func writeOperand(b *strings.Builder, e filter.Expression, parent filter.LogicalOperator, raw bool) {
	if l, ok := e.(*filter.LogicalExpression); ok && l != nil && parent == filter.AND && l.Operator == filter.OR {
		b.WriteString("(")
		writeExpr(b, e, raw)
		b.WriteString(")")
		return
	}
	writeExpr(b, e, raw)
}

func writeValue(b *strings.Builder, v any, raw bool) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if raw {
			b.WriteString(`"` + x + `"`)
		} else {
			writeQuoted(b, x)
		}
	case bareWord:
		writeQuoted(b, string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case json.Number:
		b.WriteString(string(x))
	case time.Time:
		writeQuoted(b, x.Format(time.RFC3339Nano))
	default:
		b.WriteString("null")
	}
}

// writeQuoted writes s as a JSON string.
func writeQuoted(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
