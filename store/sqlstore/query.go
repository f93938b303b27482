package sqlstore

import (
	"strings"
	"time"

	"github.com/scim2/filter-parser/v2"
	"github.com/scimkit/scim"
)

// frag is a piece of SQL whose bind parameters are marked with argMark and
// listed in args, in order. Fragments are numbered only when the whole
// statement is known (see sqlBuf.frag), so that a subtree that turns out
// untranslatable leaves no stray parameter behind.
type frag struct {
	sql  string
	args []any
}

const argMark = "\x00"

// frag appends f, numbering its parameters.
func (q *sqlBuf) frag(f frag) *sqlBuf {
	s := f.sql
	for _, a := range f.args {
		i := strings.Index(s, argMark)
		q.b.WriteString(s[:i])
		q.arg(a)
		s = s[i+len(argMark):]
	}
	q.b.WriteString(s)
	return q
}

// kind says where an attribute's comparison keys live.
type kind int

const (
	kColumn  kind = iota // a column of the resource's row, or a search key
	kValues              // scim_user_values, one row per value
	kMembers             // scim_group_members, as a group's members
	kGroups              // scim_group_members, as a user's groups
)

// target is an attribute path resolved to SQL.
type target struct {
	kind kind
	// expr is the SQL expression of a singular attribute's key, or, for a
	// multi-valued attribute, of the sub-attribute within its row.
	expr string
	typ  scim.AttrType
	// folded means keys are folded: compare against fold(value).
	folded bool
	// attr is the multi-valued attribute (for kValues).
	attr string
	// textBool marks a boolean kept as the text "true" or "false".
	textBool bool
}

// resolver resolves attribute paths of one resource type.
type resolver interface {
	// singular resolves a path to a singular attribute, for comparisons
	// and sorting.
	singular(uri, name, sub string) (target, bool)
	// multi resolves a path to a multi-valued attribute and the
	// sub-attribute sub within it: "" for its implicit "value", wholeAttr
	// for the attribute itself (as in a value path).
	multi(uri, name, sub string) (target, bool)
}

// wholeAttr asks resolver.multi for the attribute itself.
const wholeAttr = "\x00"

// translator turns a filter into a WHERE condition.
type translator struct {
	d      Dialect
	r      resolver
	tenant string
}

// expr translates e. It returns a condition that selects exactly the
// resources that match e (exact) or a superset of them (!exact), in which
// case the caller evaluates the filter in Go over the rows it selects. An
// empty condition selects everything. Conditions are two-valued (never
// NULL), so that NOT negates them correctly.
func (t *translator) expr(e filter.Expression) (frag, bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, le := t.expr(e.Left)
		r, re := t.expr(e.Right)
		switch {
		case e.Operator == filter.AND:
			return and(l, r), le && re
		case l.sql == "" || r.sql == "":
			// A superset of one side ORed with anything is everything.
			return frag{}, false
		default:
			return frag{"(" + l.sql + " OR " + r.sql + ")", append(l.args, r.args...)}, le && re
		}
	case *filter.NotExpression:
		c, exact := t.expr(e.Expression)
		if !exact {
			// The complement of a superset is a subset: unusable.
			return frag{}, false
		}
		if c.sql == "" {
			return frag{"1 = 0", nil}, true
		}
		return frag{"NOT (" + c.sql + ")", c.args}, true
	case *filter.AttributeExpression:
		p := e.AttributePath
		if tg, ok := t.r.singular(p.URI(), p.AttributeName, p.SubAttributeName()); ok {
			return compare(t.d, tg, e.Operator, e.CompareValue)
		}
		if p.SubAttribute == nil && e.Operator == filter.PR {
			// A multi-valued attribute is present when it has an item.
			if tg, ok := t.r.multi(p.URI(), p.AttributeName, wholeAttr); ok {
				return t.exists(tg, frag{}), true
			}
			return frag{}, false
		}
		tg, ok := t.r.multi(p.URI(), p.AttributeName, p.SubAttributeName())
		if !ok {
			return frag{}, false
		}
		// "ne" on a multi-valued attribute means that no item is equal.
		op := e.Operator
		if op == filter.NE {
			op = filter.EQ
		}
		c, exact := compare(t.d, tg, op, e.CompareValue)
		if c.sql == "" {
			return frag{}, false
		}
		x := t.exists(tg, c)
		if e.Operator == filter.NE {
			if !exact {
				return frag{}, false
			}
			x.sql = "NOT (" + x.sql + ")"
		}
		return x, exact
	case *filter.ValuePath:
		p := e.AttributePath
		if p.SubAttribute != nil {
			return frag{}, false
		}
		tg, ok := t.r.multi(p.URI(), p.AttributeName, wholeAttr)
		if !ok {
			return frag{}, false
		}
		c, exact := t.inner(p, e.ValueFilter)
		return t.exists(tg, c), exact
	}
	return frag{}, false
}

// inner translates the filter inside the brackets of a value path on the
// multi-valued attribute at p, into a condition on its rows.
func (t *translator) inner(p filter.AttributePath, e filter.Expression) (frag, bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, le := t.inner(p, e.Left)
		r, re := t.inner(p, e.Right)
		switch {
		case e.Operator == filter.AND:
			return and(l, r), le && re
		case l.sql == "" || r.sql == "":
			return frag{}, false
		default:
			return frag{"(" + l.sql + " OR " + r.sql + ")", append(l.args, r.args...)}, le && re
		}
	case *filter.NotExpression:
		c, exact := t.inner(p, e.Expression)
		if !exact {
			return frag{}, false
		}
		if c.sql == "" {
			return frag{"1 = 0", nil}, true
		}
		return frag{"NOT (" + c.sql + ")", c.args}, true
	case *filter.AttributeExpression:
		// The sub-attribute is named alone ("type"), or, in a normalized
		// tree, possibly as a full path ("emails.type").
		ip := e.AttributePath
		sub := ip.AttributeName
		if ip.SubAttribute != nil {
			if !strings.EqualFold(ip.AttributeName, p.AttributeName) {
				return frag{}, false
			}
			sub = *ip.SubAttribute
		}
		tg, ok := t.r.multi(p.URI(), p.AttributeName, sub)
		if !ok {
			return frag{}, false
		}
		return compare(t.d, tg, e.Operator, e.CompareValue)
	}
	return frag{}, false
}

func and(l, r frag) frag {
	switch {
	case l.sql == "":
		return r
	case r.sql == "":
		return l
	}
	return frag{"(" + l.sql + " AND " + r.sql + ")", append(l.args, r.args...)}
}

// exists wraps a condition on the rows of a multi-valued attribute into a
// condition on the resource: it has a value that meets c. The subquery is
// uncorrelated, so the database can run it once, as an index seek.
func (t *translator) exists(tg target, c frag) frag {
	var b strings.Builder
	args := []any{t.tenant}
	switch tg.kind {
	case kValues:
		b.WriteString("r.seq IN (SELECT v.user_seq FROM scim_user_values v WHERE v.tenant = " + argMark +
			" AND v.attr = " + argMark)
		args = append(args, tg.attr)
	case kMembers:
		b.WriteString("r.id IN (SELECT m.group_id FROM scim_group_members m WHERE m.tenant = " + argMark)
	case kGroups:
		b.WriteString("r.id IN (SELECT m.member_id FROM scim_group_members m JOIN scim_groups g" +
			" ON g.tenant = m.tenant AND g.id = m.group_id WHERE m.tenant = " + argMark)
	}
	if c.sql != "" {
		b.WriteString(" AND " + c.sql)
		args = append(args, c.args...)
	}
	b.WriteString(")")
	return frag{b.String(), args}
}

// compare translates one comparison on a resolved attribute. For a
// multi-valued attribute it is a condition on one of its rows.
func compare(d Dialect, tg target, op filter.CompareOperator, v any) (frag, bool) {
	e := tg.expr
	notNull := e + " IS NOT NULL"
	if op == filter.PR {
		if tg.typ == scim.TypeBoolean && tg.kind == kValues {
			// "primary" cannot be unassigned: it is present when true.
			return frag{e + " = " + argMark, []any{true}}, true
		}
		return frag{notNull, nil}, true
	}
	var arg any
	switch tg.typ {
	case scim.TypeString, scim.TypeReference:
		s, ok := v.(string)
		if !ok {
			return frag{}, false
		}
		if tg.folded {
			s = fold(s)
		}
		switch op {
		case filter.CO, filter.SW, filter.EW:
			if s == "" {
				// Every present string contains the empty string.
				return frag{notNull, nil}, true
			}
			like, p := d.like(e, argMark, string(op), s)
			return frag{"(" + notNull + " AND " + like + ")", []any{p}}, true
		case filter.GT, filter.GE, filter.LT, filter.LE:
			e = d.orderText(e)
		}
		arg = s
	case scim.TypeBoolean:
		b, ok := v.(bool)
		if !ok || (op != filter.EQ && op != filter.NE) {
			return frag{}, false
		}
		arg = b
		if tg.textBool {
			arg = boolKey(b)
		}
		if tg.kind == kValues {
			// is_primary is never NULL: false and unassigned are one.
			if op == filter.NE {
				b = !b
			}
			return frag{e + " = " + argMark, []any{b}}, true
		}
	case scim.TypeDateTime:
		ts, ok := v.(time.Time)
		if s, isStr := v.(string); isStr {
			var err error
			ts, err = time.Parse(time.RFC3339Nano, s)
			ok = err == nil
		}
		if !ok || ts.Nanosecond()%1000 != 0 {
			// Stored times have microsecond precision; finer bounds, and
			// text that is no time, are left to the evaluator.
			return frag{}, false
		}
		switch op {
		case filter.EQ, filter.NE, filter.GT, filter.GE, filter.LT, filter.LE:
		default:
			return frag{}, false
		}
		arg = d.timeArg(ts)
	default:
		return frag{}, false
	}
	var cmp string
	switch op {
	case filter.EQ:
		cmp = " = "
	case filter.NE:
		return frag{"(" + e + " IS NULL OR " + e + " <> " + argMark + ")", []any{arg}}, true
	case filter.GT:
		cmp = " > "
	case filter.GE:
		cmp = " >= "
	case filter.LT:
		cmp = " < "
	case filter.LE:
		cmp = " <= "
	default:
		return frag{}, false
	}
	return frag{"(" + notNull + " AND " + e + cmp + argMark + ")", []any{arg}}, true
}

// sortExpr returns the SQL expression to sort by the canonical attribute
// path p, or false when the store cannot sort by it in SQL.
func sortExpr(d Dialect, r resolver, p string) (string, bool) {
	uri := ""
	if strings.HasPrefix(strings.ToLower(p), "urn:") {
		i := strings.LastIndexByte(p, ':')
		uri, p = p[:i], p[i+1:]
	}
	if uri != "" && !strings.EqualFold(uri, scim.UserSchema) && !strings.EqualFold(uri, scim.GroupSchema) &&
		!strings.EqualFold(uri, scim.EnterpriseUserSchema) {
		// Custom extension values sort by their JSON types in memory.
		return "", false
	}
	name, sub, _ := strings.Cut(p, ".")
	tg, ok := r.singular(uri, name, sub)
	if !ok {
		return "", false
	}
	if tg.typ == scim.TypeString || tg.typ == scim.TypeReference {
		return d.orderText(tg.expr), true
	}
	return tg.expr, true
}

// safeKey reports whether k can be embedded in SQL as a JSON key literal.
func safeKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte(":._$~-", c) >= 0) {
			return false
		}
	}
	return k != ""
}

// searchTarget is a singular attribute kept in the search document.
func searchTarget(d Dialect, path string, typ scim.AttrType, caseExact bool) (target, bool) {
	key := path
	folded := false
	switch typ {
	case scim.TypeString, scim.TypeReference:
		if !caseExact {
			key, folded = "~"+path, true
		}
	case scim.TypeBoolean:
	default:
		return target{}, false
	}
	if !safeKey(key) {
		return target{}, false
	}
	return target{kind: kColumn, expr: d.searchText("r", key), typ: typ, folded: folded,
		textBool: typ == scim.TypeBoolean}, true
}

// extTarget resolves an attribute of a custom extension schema through
// the filter, which knows the schemas the handler registered.
func extTarget(d Dialect, f *scim.Filter, uri, name, sub string) (target, bool) {
	if f == nil {
		return target{}, false
	}
	p := filter.AttributePath{URIPrefix: &uri, AttributeName: name}
	a := f.Attribute(p)
	if a == nil || a.MultiValued {
		return target{}, false
	}
	path := uri + ":" + a.Name
	if sub != "" {
		if a.Type != scim.TypeComplex {
			return target{}, false
		}
		p.SubAttribute = &sub
		if a = f.Attribute(p); a == nil || a.MultiValued {
			return target{}, false
		}
		path += "." + a.Name
	}
	typ := a.Type
	if typ == "" {
		typ = scim.TypeString
	}
	return searchTarget(d, path, typ, a.CaseExact)
}
