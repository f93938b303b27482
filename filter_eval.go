package scim

import (
	"strings"
	"time"

	"github.com/scim2/filter-parser/v2"
)

// Filters are compiled once, when parsed, into closures over the typed
// resource structs: each comparison becomes a closure that reads one field
// through a getter chosen at compile time and tests it with a comparer
// (filter_compare.go). Evaluation does no map look-up by attribute name, no
// reflection and no allocation. Extension attributes other than the
// Enterprise User's live in Extensions maps and are evaluated by the
// document compiler below, which the PATCH engine shares.

// scalar reads one singular, non-complex attribute of a T.
type scalar[T any] struct {
	kind valueKind
	// str reads a string; "" is unassigned.
	str func(*T) string
	// boolean reads a boolean and whether it is assigned.
	boolean func(*T) (v, ok bool)
	// time reads a dateTime; the zero time is unassigned.
	time func(*T) time.Time
	// present, if set, replaces the presence test the kind implies.
	present func(*T) bool
}

// presence returns the "pr" test of s.
func (s scalar[T]) presence() func(*T) bool {
	switch {
	case s.present != nil:
		return s.present
	case s.kind == kindBool:
		get := s.boolean
		return func(t *T) bool { _, ok := get(t); return ok }
	case s.kind == kindTime:
		get := s.time
		return func(t *T) bool { return !get(t).IsZero() }
	}
	get := s.str
	return func(t *T) bool { return get(t) != "" }
}

// multi reads one multi-valued complex attribute of a T.
type multi[T any] struct {
	count func(*T) int
	// items compiles e, a normalized filter on the sub-attributes of attr,
	// into a test that holds when some item satisfies e.
	items func(e filter.Expression, attr *Attribute) (func(*T) bool, error)
	// sortKey returns how to read the sub-attribute sub of the primary
	// (else the first) item, for sorting.
	sortKey func(sub string) (func(*T) sortKey, bool)
}

// view describes the attributes of a T (a resource or an item of a
// multi-valued attribute), keyed by canonical path relative to T.
type view[T any] struct {
	scalars map[string]scalar[T]
	// complexes tests the presence of singular complex attributes.
	complexes map[string]func(*T) bool
	multis    map[string]multi[T]
	// ext reads the Extensions of a resource; nil for items.
	ext func(*T) Extensions
	// typedExt is the URN of the extension held in typed fields, if any.
	typedExt string
}

func newView[T any]() *view[T] {
	return &view[T]{scalars: map[string]scalar[T]{}, complexes: map[string]func(*T) bool{}, multis: map[string]multi[T]{}}
}

func (v *view[T]) str(path string, get func(*T) string) {
	v.scalars[path] = scalar[T]{kind: kindString, str: get}
}

// plainBool adds a bool field that cannot be unassigned: false compares
// equal to false, and the field counts as present only when true.
func (v *view[T]) plainBool(path string, get func(*T) bool) {
	v.scalars[path] = scalar[T]{kind: kindBool, boolean: func(t *T) (bool, bool) { return get(t), true }, present: get}
}

func (v *view[T]) time(path string, get func(*T) time.Time) {
	v.scalars[path] = scalar[T]{kind: kindTime, time: get}
}

// newMulti describes a multi-valued attribute whose items are I, described
// by iv.
func newMulti[T, I any](get func(*T) []I, iv *view[I]) multi[T] {
	return multi[T]{
		count: func(t *T) int { return len(get(t)) },
		items: func(e filter.Expression, attr *Attribute) (func(*T) bool, error) {
			p, err := (&typedCompiler[I]{parent: attr, v: iv}).compile(e)
			if err != nil {
				return nil, err
			}
			return func(t *T) bool {
				items := get(t)
				for i := range items {
					if p(&items[i]) {
						return true
					}
				}
				return false
			}, nil
		},
		sortKey: func(sub string) (func(*T) sortKey, bool) {
			sc, ok := iv.scalars[sub]
			if !ok {
				return nil, false
			}
			key := scalarKey(sc)
			primary, hasPrimary := iv.scalars["primary"]
			return func(t *T) sortKey {
				items := get(t)
				if len(items) == 0 {
					return sortKey{}
				}
				pick := 0
				if hasPrimary {
					for i := range items {
						if v, _ := primary.boolean(&items[i]); v {
							pick = i
							break
						}
					}
				}
				return key(&items[pick])
			}, true
		},
	}
}

var (
	multiValueView = newMultiValueView()
	addressView    = newAddressView()
	userView       = newUserView()
	groupView      = newGroupView()
)

func newMultiValueView() *view[MultiValue] {
	v := newView[MultiValue]()
	v.str("value", func(m *MultiValue) string { return m.Value })
	v.str("display", func(m *MultiValue) string { return m.Display })
	v.str("type", func(m *MultiValue) string { return m.Type })
	v.str("$ref", func(m *MultiValue) string { return m.Ref })
	v.plainBool("primary", func(m *MultiValue) bool { return m.Primary })
	return v
}

func newAddressView() *view[Address] {
	v := newView[Address]()
	v.str("formatted", func(a *Address) string { return a.Formatted })
	v.str("streetAddress", func(a *Address) string { return a.StreetAddress })
	v.str("locality", func(a *Address) string { return a.Locality })
	v.str("region", func(a *Address) string { return a.Region })
	v.str("postalCode", func(a *Address) string { return a.PostalCode })
	v.str("country", func(a *Address) string { return a.Country })
	v.str("type", func(a *Address) string { return a.Type })
	v.plainBool("primary", func(a *Address) bool { return a.Primary })
	return v
}

// addCommon adds id, externalId and meta. meta.resourceType is the
// resource type's name when a store leaves Meta.ResourceType empty (stores
// need not fill it in; the handler writes it from the endpoint).
func addCommon[T any](v *view[T], resourceType string, id, externalID func(*T) string, meta func(*T) *Meta) {
	v.str("id", id)
	v.str("externalId", externalID)
	v.str("meta.resourceType", func(t *T) string {
		if r := meta(t).ResourceType; r != "" {
			return r
		}
		return resourceType
	})
	v.str("meta.location", func(t *T) string { return meta(t).Location })
	v.str("meta.version", func(t *T) string { return meta(t).Version })
	v.time("meta.created", func(t *T) time.Time { return meta(t).Created })
	v.time("meta.lastModified", func(t *T) time.Time { return meta(t).LastModified })
	v.complexes["meta"] = func(t *T) bool { m := meta(t); return *m != (Meta{}) }
}

func newUserView() *view[User] {
	v := newView[User]()
	addCommon(v, "User", func(u *User) string { return u.ID }, func(u *User) string { return u.ExternalID }, func(u *User) *Meta { return &u.Meta })
	v.str("userName", func(u *User) string { return u.UserName })
	v.str("displayName", func(u *User) string { return u.DisplayName })
	v.str("nickName", func(u *User) string { return u.NickName })
	v.str("profileUrl", func(u *User) string { return u.ProfileURL })
	v.str("title", func(u *User) string { return u.Title })
	v.str("userType", func(u *User) string { return u.UserType })
	v.str("preferredLanguage", func(u *User) string { return u.PreferredLanguage })
	v.str("locale", func(u *User) string { return u.Locale })
	v.str("timezone", func(u *User) string { return u.Timezone })
	v.scalars["active"] = scalar[User]{kind: kindBool, boolean: func(u *User) (bool, bool) {
		if u.Active == nil {
			return false, false
		}
		return *u.Active, true
	}}

	name := func(get func(*Name) string) func(*User) string {
		return func(u *User) string {
			if u.Name == nil {
				return ""
			}
			return get(u.Name)
		}
	}
	v.str("name.formatted", name(func(n *Name) string { return n.Formatted }))
	v.str("name.familyName", name(func(n *Name) string { return n.FamilyName }))
	v.str("name.givenName", name(func(n *Name) string { return n.GivenName }))
	v.str("name.middleName", name(func(n *Name) string { return n.MiddleName }))
	v.str("name.honorificPrefix", name(func(n *Name) string { return n.HonorificPrefix }))
	v.str("name.honorificSuffix", name(func(n *Name) string { return n.HonorificSuffix }))
	v.complexes["name"] = func(u *User) bool { return u.Name != nil && *u.Name != (Name{}) }

	mv := func(path string, get func(*User) []MultiValue) { v.multis[path] = newMulti(get, multiValueView) }
	mv("emails", func(u *User) []MultiValue { return u.Emails })
	mv("phoneNumbers", func(u *User) []MultiValue { return u.PhoneNumbers })
	mv("ims", func(u *User) []MultiValue { return u.IMs })
	mv("photos", func(u *User) []MultiValue { return u.Photos })
	mv("groups", func(u *User) []MultiValue { return u.Groups })
	mv("entitlements", func(u *User) []MultiValue { return u.Entitlements })
	mv("roles", func(u *User) []MultiValue { return u.Roles })
	mv("x509Certificates", func(u *User) []MultiValue { return u.X509Certificates })
	v.multis["addresses"] = newMulti(func(u *User) []Address { return u.Addresses }, addressView)

	const ent = EnterpriseUserSchema + ":"
	v.typedExt = EnterpriseUserSchema
	e := func(get func(*EnterpriseUser) string) func(*User) string {
		return func(u *User) string {
			if u.Enterprise == nil {
				return ""
			}
			return get(u.Enterprise)
		}
	}
	v.str(ent+"employeeNumber", e(func(e *EnterpriseUser) string { return e.EmployeeNumber }))
	v.str(ent+"costCenter", e(func(e *EnterpriseUser) string { return e.CostCenter }))
	v.str(ent+"organization", e(func(e *EnterpriseUser) string { return e.Organization }))
	v.str(ent+"division", e(func(e *EnterpriseUser) string { return e.Division }))
	v.str(ent+"department", e(func(e *EnterpriseUser) string { return e.Department }))
	m := func(get func(*Manager) string) func(*User) string {
		return func(u *User) string {
			if u.Enterprise == nil || u.Enterprise.Manager == nil {
				return ""
			}
			return get(u.Enterprise.Manager)
		}
	}
	v.str(ent+"manager.value", m(func(m *Manager) string { return m.Value }))
	v.str(ent+"manager.$ref", m(func(m *Manager) string { return m.Ref }))
	v.str(ent+"manager.displayName", m(func(m *Manager) string { return m.DisplayName }))
	v.complexes[ent+"manager"] = func(u *User) bool {
		return u.Enterprise != nil && u.Enterprise.Manager != nil && *u.Enterprise.Manager != (Manager{})
	}
	v.ext = func(u *User) Extensions { return u.Extensions }
	return v
}

func newGroupView() *view[Group] {
	v := newView[Group]()
	addCommon(v, "Group", func(g *Group) string { return g.ID }, func(g *Group) string { return g.ExternalID }, func(g *Group) *Meta { return &g.Meta })
	v.str("displayName", func(g *Group) string { return g.DisplayName })
	v.multis["members"] = newMulti(func(g *Group) []MultiValue { return g.Members }, multiValueView)
	v.ext = func(g *Group) Extensions { return g.Extensions }
	return v
}

// compileTyped compiles e, normalized against rt, into a test on a T.
func compileTyped[T any](rt *resourceType, v *view[T], e filter.Expression) (func(*T) bool, error) {
	return (&typedCompiler[T]{rt: rt, v: v}).compile(e)
}

type typedCompiler[T any] struct {
	// rt resolves paths at resource level; parent resolves them at item
	// level (T is an item of parent). One of them is set.
	rt     *resourceType
	parent *Attribute
	v      *view[T]
}

func (c *typedCompiler[T]) compile(e filter.Expression) (func(*T) bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return compileLogical(e, c.compile)
	case *filter.NotExpression:
		p, err := c.compile(e.Expression)
		if err != nil {
			return nil, err
		}
		return not(p), nil
	case *filter.ValuePath:
		return c.valuePath(e)
	case *filter.AttributeExpression:
		return c.comparison(e)
	}
	return nil, errInvalidFilter("the filter is incomplete")
}

func (c *typedCompiler[T]) resolve(p filter.AttributePath) (attrRef, bool) {
	if c.parent != nil {
		sub := c.parent.Sub(p.AttributeName)
		return attrRef{attr: sub}, sub != nil && p.URIPrefix == nil && p.SubAttribute == nil
	}
	return c.rt.resolve(p.URI(), p.AttributeName, p.SubAttributeName())
}

// customExt reports whether ref is held in the Extensions map.
func (c *typedCompiler[T]) customExt(ref attrRef) bool {
	return c.parent == nil && ref.ext() && ref.schema.ID != c.v.typedExt && c.v.ext != nil
}

func unsupported(e filter.Expression) *Error {
	return errInvalidFilter("this server cannot evaluate %s", exprText(e))
}

func (c *typedCompiler[T]) comparison(e *filter.AttributeExpression) (func(*T) bool, error) {
	ref, ok := c.resolve(e.AttributePath)
	if !ok {
		return nil, unsupported(e)
	}
	if c.customExt(ref) {
		return c.extension(ref, e)
	}
	whole := attrRef{schema: ref.schema, attr: ref.attr}
	if ref.attr.MultiValued {
		m, ok := c.v.multis[whole.path()]
		switch {
		case !ok:
			return nil, unsupported(e)
		case ref.sub == nil && e.Operator == filter.PR:
			count := m.count
			return func(t *T) bool { return count(t) > 0 }, nil
		case ref.sub == nil:
			return nil, unsupported(e)
		}
		item := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: ref.sub.Name},
			Operator: e.Operator, CompareValue: e.CompareValue}
		if e.Operator == filter.NE {
			item.Operator = filter.EQ
			p, err := m.items(item, ref.attr)
			return not(p), err
		}
		return m.items(item, ref.attr)
	}
	target := ref.target()
	if target.typ() == TypeComplex {
		has, ok := c.v.complexes[whole.path()]
		if !ok || e.Operator != filter.PR {
			return nil, unsupported(e)
		}
		return has, nil
	}
	key := ref.path()
	if c.parent != nil {
		key = ref.attr.Name
	}
	sc, ok := c.v.scalars[key]
	if !ok {
		return nil, unsupported(e)
	}
	return scalarTest(sc, target, e), nil
}

func (c *typedCompiler[T]) valuePath(e *filter.ValuePath) (func(*T) bool, error) {
	ref, ok := c.resolve(e.AttributePath)
	if !ok || c.parent != nil {
		return nil, unsupported(e)
	}
	if c.customExt(ref) {
		return c.extension(ref, e)
	}
	if ref.attr.MultiValued {
		m, ok := c.v.multis[ref.path()]
		if !ok {
			return nil, unsupported(e)
		}
		return m.items(e.ValueFilter, ref.attr)
	}
	// The one item of a singular complex attribute must exist and satisfy
	// the filter: test its sub-attributes as attr.sub paths.
	has, ok := c.v.complexes[ref.path()]
	if !ok {
		return nil, unsupported(e)
	}
	p, err := c.compile(qualify(e.ValueFilter, e.AttributePath))
	if err != nil {
		return nil, err
	}
	return func(t *T) bool { return has(t) && p(t) }, nil
}

// extension compiles e, on an attribute of a custom extension, as a test
// on the extension's object in the Extensions map.
func (c *typedCompiler[T]) extension(ref attrRef, e filter.Expression) (func(*T) bool, error) {
	p, err := compileDoc(qualify(e, filter.AttributePath{}), ref.schema.Attributes)
	if err != nil {
		return nil, err
	}
	urn, get := ref.schema.ID, c.v.ext
	return func(t *T) bool { return p(get(t)[urn]) }, nil
}

// qualify returns a copy of e whose attribute paths are rewritten: with an
// empty prefix, URI prefixes are dropped; otherwise each comparison's
// attribute becomes a sub-attribute of prefix.
func qualify(e filter.Expression, prefix filter.AttributePath) filter.Expression {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return &filter.LogicalExpression{Left: qualify(e.Left, prefix), Right: qualify(e.Right, prefix), Operator: e.Operator}
	case *filter.NotExpression:
		return &filter.NotExpression{Expression: qualify(e.Expression, prefix)}
	case *filter.ValuePath:
		p := e.AttributePath
		p.URIPrefix = nil
		return &filter.ValuePath{AttributePath: p, ValueFilter: e.ValueFilter}
	case *filter.AttributeExpression:
		p := e.AttributePath
		if prefix.AttributeName == "" {
			p.URIPrefix = nil
		} else {
			name := p.AttributeName
			p = filter.AttributePath{URIPrefix: prefix.URIPrefix, AttributeName: prefix.AttributeName, SubAttribute: &name}
		}
		return &filter.AttributeExpression{AttributePath: p, Operator: e.Operator, CompareValue: e.CompareValue}
	}
	return e
}

// scalarTest compiles the comparison e of the scalar attribute target.
func scalarTest[T any](sc scalar[T], target *Attribute, e *filter.AttributeExpression) func(*T) bool {
	if e.Operator == filter.PR {
		return sc.presence()
	}
	op, neg := e.Operator, e.Operator == filter.NE
	if neg {
		op = filter.EQ
	}
	cm := newComparer(target, op, e.CompareValue)
	var p func(*T) bool
	switch sc.kind {
	case kindBool:
		get := sc.boolean
		p = func(t *T) bool { v, ok := get(t); return ok && cm.boolean(v) }
	case kindTime:
		get := sc.time
		p = func(t *T) bool { v := get(t); return !v.IsZero() && cm.instant(v) }
	default:
		p = stringTest(sc.str, cm)
	}
	if neg {
		return not(p)
	}
	return p
}

// stringTest specializes the most frequent string comparisons.
func stringTest[T any](get func(*T) string, cm comparer) func(*T) bool {
	s := cm.s
	switch {
	case cm.op == opEq && cm.fold:
		return func(t *T) bool { v := get(t); return v != "" && strings.EqualFold(v, s) }
	case cm.op == opEq:
		return func(t *T) bool { v := get(t); return v != "" && v == s }
	case cm.op == opCo && cm.fold && cm.ascii:
		lower := cm.lower
		return func(t *T) bool {
			v := get(t)
			if isASCII(v) {
				return v != "" && containsLowerASCII(v, lower)
			}
			return containsFold(v, s)
		}
	}
	return func(t *T) bool { v := get(t); return v != "" && cm.str(v) }
}

// compileLogical compiles a chain of the same logical operator
// (a and b and c) into one test over its flattened operands, which
// compile compiles.
func compileLogical[X any](e *filter.LogicalExpression, compile func(filter.Expression) (func(X) bool, error)) (func(X) bool, error) {
	var ps []func(X) bool
	var walk func(filter.Expression) error
	walk = func(x filter.Expression) error {
		if l, ok := x.(*filter.LogicalExpression); ok && l != nil && l.Operator == e.Operator {
			if err := walk(l.Left); err != nil {
				return err
			}
			return walk(l.Right)
		}
		p, err := compile(x)
		ps = append(ps, p)
		return err
	}
	if err := walk(e); err != nil {
		return nil, err
	}
	if e.Operator == filter.AND {
		return allOf(ps), nil
	}
	return anyOf(ps), nil
}

func allOf[X any](ps []func(X) bool) func(X) bool {
	if len(ps) == 2 {
		a, b := ps[0], ps[1]
		return func(x X) bool { return a(x) && b(x) }
	}
	return func(x X) bool {
		for _, p := range ps {
			if !p(x) {
				return false
			}
		}
		return true
	}
}

func anyOf[X any](ps []func(X) bool) func(X) bool {
	if len(ps) == 2 {
		a, b := ps[0], ps[1]
		return func(x X) bool { return a(x) || b(x) }
	}
	return func(x X) bool {
		for _, p := range ps {
			if p(x) {
				return true
			}
		}
		return false
	}
}

func not[X any](p func(X) bool) func(X) bool {
	if p == nil {
		return nil
	}
	return func(x X) bool { return !p(x) }
}

// compileItemFilter compiles expr, the value filter of a PATCH path on the
// multi-valued complex attribute attr (as filter.ParsePath returns it:
// sub-attribute names in any case, string values with escapes undecoded),
// into a test on one item in canonical document form. An unknown
// sub-attribute gives an *Error with scimType invalidPath; any other
// problem one with scimType invalidFilter.
func compileItemFilter(expr filter.Expression, attr *Attribute) (func(item map[string]any) bool, error) {
	if attr == nil || attr.typ() != TypeComplex || len(attr.SubAttributes) == 0 {
		return nil, errInvalidPath("a value filter applies to a multi-valued complex attribute only")
	}
	n := &normalizer{parent: attr, unknown: errInvalidPath}
	norm, err := n.expr(expr)
	if err != nil {
		return nil, err
	}
	return compileDoc(norm, attr.SubAttributes)
}

// compileDoc compiles e, normalized against attrs (the attributes of one
// object: an extension's, or an item's sub-attributes), into a test on
// such an object in canonical document form.
func compileDoc(e filter.Expression, attrs []*Attribute) (func(map[string]any) bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return compileLogical(e, func(x filter.Expression) (func(map[string]any) bool, error) { return compileDoc(x, attrs) })
	case *filter.NotExpression:
		p, err := compileDoc(e.Expression, attrs)
		return not(p), err
	case *filter.ValuePath:
		a := findAttr(attrs, e.AttributePath.AttributeName)
		if a == nil {
			return nil, unsupported(e)
		}
		p, err := compileDoc(e.ValueFilter, a.SubAttributes)
		if err != nil {
			return nil, err
		}
		key := a.Name
		return func(m map[string]any) bool { return anyObject(m[key], p) }, nil
	case *filter.AttributeExpression:
		return docComparison(e, attrs)
	}
	return nil, errInvalidFilter("the filter is incomplete")
}

func docComparison(e *filter.AttributeExpression, attrs []*Attribute) (func(map[string]any) bool, error) {
	a := findAttr(attrs, e.AttributePath.AttributeName)
	if a == nil {
		return nil, unsupported(e)
	}
	key, target := a.Name, a
	var sub *Attribute
	if e.AttributePath.SubAttribute != nil {
		if sub = a.Sub(*e.AttributePath.SubAttribute); sub == nil {
			return nil, unsupported(e)
		}
		target = sub
	}
	if e.Operator == filter.PR {
		if sub == nil {
			return func(m map[string]any) bool { return present(m[key]) }, nil
		}
		skey := sub.Name
		has := func(o map[string]any) bool { return present(o[skey]) }
		return func(m map[string]any) bool { return anyObject(m[key], has) }, nil
	}
	op, neg := e.Operator, e.Operator == filter.NE
	if neg {
		op = filter.EQ
	}
	cm := newComparer(target, op, e.CompareValue)
	// RFC 7643 §2.4: an unassigned "primary" is false, as the filter
	// engine's views read it, so that primary eq false selects the items
	// without one.
	get := func(o map[string]any, k string) any { return o[k] }
	if target.typ() == TypeBoolean && target.Name == "primary" {
		get = func(o map[string]any, k string) any {
			if v, ok := o[k]; ok && v != nil {
				return v
			}
			return false
		}
	}
	var p func(map[string]any) bool
	switch {
	case sub != nil:
		skey := sub.Name
		test := func(o map[string]any) bool { return cm.value(get(o, skey)) }
		p = func(m map[string]any) bool { return anyObject(m[key], test) }
	case a.MultiValued:
		p = func(m map[string]any) bool { return anyValue(m[key], &cm) }
	default:
		p = func(m map[string]any) bool { return cm.value(get(m, key)) }
	}
	if neg {
		return not(p), nil
	}
	return p, nil
}

// anyObject reports whether v, a complex value or a list of them, holds
// an object that satisfies p.
func anyObject(v any, p func(map[string]any) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		return p(x)
	case []any:
		for _, item := range x {
			if o, ok := item.(map[string]any); ok && p(o) {
				return true
			}
		}
	case []map[string]any:
		for _, o := range x {
			if p(o) {
				return true
			}
		}
	}
	return false
}

// anyValue reports whether v, a list of simple values (or one), holds a
// value that satisfies cm.
func anyValue(v any, cm *comparer) bool {
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			if cm.value(item) {
				return true
			}
		}
		return false
	case []string:
		for _, item := range x {
			if cm.value(item) {
				return true
			}
		}
		return false
	}
	return cm.value(v)
}
