package scim

import (
	"slices"
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// AttributeKeeper is an optional capability of a [UserStore] or a
// [GroupStore]: a store that keeps only some attributes, typically one over
// an application's own tables, declares them, and the handler then makes
// the rest of SCIM agree with it:
//
//   - /Schemas advertises exactly the kept attributes (identity providers
//     read it to offer attribute mappings), and /ResourceTypes lists an
//     extension only when some of its attributes are kept;
//   - attributes a client sends that are not kept are dropped before the
//     store, or refused with 400 invalidValue under [WithStrictAttributes];
//   - a filter on an attribute that is not kept treats it as unassigned
//     (`phoneNumbers pr` matches nobody, `title ne "x"` everybody), and is
//     rewritten so that no filter, sort or resource the store receives
//     names an attribute it did not declare;
//   - responses carry no other attribute or sub-attribute than the kept
//     ones (of a multi-valued attribute, the store returns the items it
//     keeps).
//
// A store without this capability keeps every attribute (memstore and
// sqlstore do). [WithUserAttributes] and [WithGroupAttributes] declare the
// same for a store that does not implement it.
type AttributeKeeper interface {
	// KeptAttributes returns the paths of the attributes the store keeps,
	// in the syntax of PATCH paths (RFC 7644 §3.5.2), names compared
	// case-insensitively:
	//
	//   - "userName", "active", "externalId": a whole attribute;
	//   - "name.givenName", "members.value": one sub-attribute of a complex
	//     attribute (list several to keep several);
	//   - `emails[type eq "work"].value`: of a multi-valued attribute, the
	//     items the filter selects, with the sub-attribute after the
	//     brackets and those the filter names (here value and type); without
	//     a sub-attribute (`emails[type eq "work"]`), whole items;
	//   - "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value":
	//     an extension attribute, with its schema URN (or without it when no
	//     other schema has an attribute of that name).
	//
	// "id" and "meta" are always kept, and so are the required attributes
	// (userName of a User, displayName of a Group), listed or not. A
	// User's "groups" is kept only when listed: otherwise the store is
	// never asked for it. "password" is kept only when listed and the
	// handler has a [WithPasswordHandler], whose result is what the store
	// receives. [NewHandler] panics on a path that names no attribute.
	KeptAttributes() []string
}

// AttributeSet is the set of attributes a store keeps for one resource
// type, parsed from paths as [AttributeKeeper] describes them. The handler
// builds one from a store's declaration; store tests use it to trim what
// they send to what the handler would send (package storetest does).
//
// A nil *AttributeSet keeps every attribute.
type AttributeSet struct {
	rt    *resourceType
	paths []string
	attrs map[*Attribute]*keptAttr
}

// keptAttr is what an AttributeSet keeps of one attribute: the union of
// its rules.
type keptAttr struct {
	rules []keepRule
}

// keepRule keeps the items that cond selects (every item when cond is
// nil), and of them the sub-attributes in subs (all when subs is nil).
type keepRule struct {
	// text is the declared path, for error details.
	text string
	// expr is the normalized value filter, nil when there is none.
	expr filter.Expression
	cond func(item map[string]any) bool
	subs map[*Attribute]bool
}

// NewUserAttributeSet parses the paths of the User attributes a store keeps,
// resolved against the core User schema, the Enterprise User extension and
// extensions. It fails with an *Error when a path names no attribute.
func NewUserAttributeSet(paths []string, extensions ...*Schema) (*AttributeSet, error) {
	return newResourceType("User", extensions).parseAttributeSet(paths)
}

// NewGroupAttributeSet parses the paths of the Group attributes a store
// keeps, as [NewUserAttributeSet] does for Users.
func NewGroupAttributeSet(paths []string, extensions ...*Schema) (*AttributeSet, error) {
	return newResourceType("Group", extensions).parseAttributeSet(paths)
}

func (rt *resourceType) parseAttributeSet(paths []string) (*AttributeSet, error) {
	k := &AttributeSet{rt: rt, attrs: map[*Attribute]*keptAttr{}}
	always := []string{"id", "meta"}
	for _, a := range rt.schema.Attributes {
		if a.Required {
			always = append(always, a.Name)
		}
	}
	for _, p := range always {
		ref, _ := rt.resolvePath(p)
		k.add(ref.attr, keepRule{text: p})
	}
	for _, p := range paths {
		p = strings.TrimSpace(p)
		attr, rule, err := rt.parseKeptPath(p)
		if err != nil {
			return nil, err
		}
		k.add(attr, rule)
		k.paths = append(k.paths, p)
	}
	return k, nil
}

func (k *AttributeSet) add(a *Attribute, r keepRule) {
	ka := k.attrs[a]
	if ka == nil {
		ka = &keptAttr{}
		k.attrs[a] = ka
	}
	ka.rules = append(ka.rules, r)
}

// parseKeptPath parses one declared path into the attribute it names and
// the rule that keeps (part of) it.
func (rt *resourceType) parseKeptPath(p string) (*Attribute, keepRule, error) {
	rule := keepRule{text: p}
	if !strings.Contains(p, "[") {
		ref, ok := rt.resolvePath(p)
		if !ok {
			return nil, rule, errInvalidPath("%s has no attribute %q", rt.name, p)
		}
		if ref.sub != nil {
			rule.subs = map[*Attribute]bool{ref.sub: true}
		}
		return ref.attr, rule, nil
	}
	fp, ok := parsePatchPath(p)
	if !ok {
		return nil, rule, errInvalidPath("%q is not an attribute path", p)
	}
	ref, ok := rt.resolve(fp.AttributePath.URI(), fp.AttributePath.AttributeName, fp.AttributePath.SubAttributeName())
	if !ok || ref.sub != nil {
		return nil, rule, errInvalidPath("%s has no attribute %q", rt.name, fp.AttributePath.String())
	}
	if !ref.attr.MultiValued || ref.attr.typ() != TypeComplex {
		return nil, rule, errInvalidPath("%q: a value filter applies to a multi-valued complex attribute only", p)
	}
	n := &normalizer{parent: ref.attr, unknown: errInvalidPath}
	norm, err := n.expr(fp.ValueExpression)
	if err != nil {
		return nil, rule, err
	}
	cond, err := compileDoc(norm, ref.attr.SubAttributes)
	if err != nil {
		return nil, rule, err
	}
	rule.expr, rule.cond = norm, cond
	if fp.SubAttribute != nil {
		sub := ref.attr.Sub(*fp.SubAttribute)
		if sub == nil {
			return nil, rule, errInvalidPath("%q has no sub-attribute %q", ref.attr.Name, *fp.SubAttribute)
		}
		rule.subs = map[*Attribute]bool{sub: true}
		walkComparisons(norm, func(e *filter.AttributeExpression) {
			if s := ref.attr.Sub(e.AttributePath.AttributeName); s != nil {
				rule.subs[s] = true
			}
		})
	}
	return ref.attr, rule, nil
}

// walkComparisons calls fn for every comparison in e, value paths
// included.
func walkComparisons(e filter.Expression, fn func(*filter.AttributeExpression)) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		walkComparisons(e.Left, fn)
		walkComparisons(e.Right, fn)
	case *filter.NotExpression:
		walkComparisons(e.Expression, fn)
	case *filter.ValuePath:
		walkComparisons(e.ValueFilter, fn)
	case *filter.AttributeExpression:
		fn(e)
	}
}

// Paths returns the paths the set was made from, as given (without the
// attributes that are always kept).
func (k *AttributeSet) Paths() []string {
	if k == nil {
		return nil
	}
	return slices.Clone(k.paths)
}

// Has reports whether the set keeps the attribute at path ("userName",
// "name.givenName", "urn:…:enterprise:2.0:User:manager.value"), or for a
// multi-valued attribute some of its items. It reports false for a path
// that names no attribute.
func (k *AttributeSet) Has(path string) bool {
	if k == nil {
		return true
	}
	ref, ok := k.rt.resolvePath(path)
	return ok && k.keeps(ref.attr, ref.sub)
}

// keeps reports whether attribute a (its sub-attribute sub, when not nil)
// is kept, in some items at least.
func (k *AttributeSet) keeps(a, sub *Attribute) bool {
	if k == nil {
		return true
	}
	ka := k.attrs[a]
	if ka == nil {
		return false
	}
	if sub == nil {
		return true
	}
	for _, r := range ka.rules {
		if r.subs == nil || r.subs[sub] {
			return true
		}
	}
	return false
}

// TrimUser returns a copy of u holding only the attributes the set keeps,
// as the handler trims a user before it reaches the store: ID and Meta are
// kept, Groups only when the set has "groups" and Password only when it has
// "password". A nil set copies every attribute.
func (k *AttributeSet) TrimUser(u *User) *User {
	doc := userToDoc(u)
	_ = k.trimDoc(doc, false)
	if k != nil && !k.Has("password") {
		delete(doc, "password")
	}
	out := userFromDoc(doc)
	out.ID, out.Meta = u.ID, u.Meta
	if len(u.Groups) > 0 && k.Has("groups") {
		gd := map[string]any{"groups": multiToDoc(u.Groups)}
		if k != nil {
			k.trimAttr(gd, k.rt.schema.Attr("groups"), "groups", false)
		}
		out.Groups = multiFromDoc(gd["groups"])
	}
	return out
}

// TrimGroup returns a copy of g holding only the attributes the set keeps,
// as the handler trims a group before it reaches the store. A nil set
// copies every attribute.
func (k *AttributeSet) TrimGroup(g *Group) *Group {
	doc := groupToDoc(g)
	_ = k.trimDoc(doc, false)
	out := groupFromDoc(doc)
	out.ID, out.Meta = g.ID, g.Meta
	return out
}

// trimDoc removes from doc, a resource in document form, what the set does
// not keep. With strict it stops at the first such attribute instead, and
// returns a 400 invalidValue error that names it. "id" and "password" are
// left for the caller.
func (k *AttributeSet) trimDoc(doc map[string]any, strict bool) error {
	if k == nil {
		return nil
	}
	for key, v := range doc {
		if key == "id" || key == "password" {
			continue
		}
		if strings.HasPrefix(key, "urn:") {
			ext := k.rt.extension(key)
			obj, _ := v.(map[string]any)
			if ext == nil || obj == nil {
				delete(doc, key)
				continue
			}
			for name := range obj {
				a := ext.Attr(name)
				if a == nil {
					delete(obj, name)
					continue
				}
				if err := k.trimAttr(obj, a, ext.ID+":"+a.Name, strict); err != nil {
					return err
				}
			}
			if len(obj) == 0 {
				delete(doc, key)
			}
			continue
		}
		a := findAttr(commonAttrs, key)
		if a == nil {
			a = k.rt.schema.Attr(key)
		}
		if a == nil {
			delete(doc, key)
			continue
		}
		if err := k.trimAttr(doc, a, a.Name, strict); err != nil {
			return err
		}
	}
	return nil
}

// trimAttr trims the value of attribute a, at key a.Name of container, to
// what the set keeps; path names a in error details.
func (k *AttributeSet) trimAttr(container map[string]any, a *Attribute, path string, strict bool) error {
	ka := k.attrs[a]
	if ka == nil {
		if strict {
			return errInvalidValue("this service provider does not keep %q", path)
		}
		delete(container, a.Name)
		return nil
	}
	if a.typ() != TypeComplex {
		return nil
	}
	if !a.MultiValued {
		obj, _ := container[a.Name].(map[string]any)
		if err := ka.trimItem(obj, ka.rules, path, strict); err != nil {
			return err
		}
		if len(obj) == 0 {
			delete(container, a.Name)
		}
		return nil
	}
	list, _ := container[a.Name].([]any)
	var kept []any
	for _, x := range list {
		item, _ := x.(map[string]any)
		var rules []keepRule
		for _, r := range ka.rules {
			if r.cond == nil || r.cond(item) {
				rules = append(rules, r)
			}
		}
		if len(rules) == 0 {
			if strict {
				return errInvalidValue("this service provider keeps only %s of %q", ka.describe(), path)
			}
			continue
		}
		if err := ka.trimItem(item, rules, path, strict); err != nil {
			return err
		}
		if len(item) > 0 {
			kept = append(kept, item)
		}
	}
	if len(kept) == 0 {
		delete(container, a.Name)
	} else {
		container[a.Name] = kept
	}
	return nil
}

// trimItem removes from obj, one value of a complex attribute, the
// sub-attributes that none of rules keeps.
func (ka *keptAttr) trimItem(obj map[string]any, rules []keepRule, path string, strict bool) error {
	for _, r := range rules {
		if r.subs == nil {
			return nil
		}
	}
	for name := range obj {
		keep := false
		for _, r := range rules {
			for s := range r.subs {
				keep = keep || s.Name == name
			}
		}
		if !keep {
			if strict {
				return errInvalidValue("this service provider does not keep %q", path+"."+name)
			}
			delete(obj, name)
		}
	}
	return nil
}

// describe lists the declared paths of ka, for error details.
func (ka *keptAttr) describe() string {
	texts := make([]string, len(ka.rules))
	for i, r := range ka.rules {
		texts[i] = r.text
	}
	return strings.Join(texts, ", ")
}

// schema returns a copy of s that holds only the attributes the set keeps
// (all of them for a nil set), with the sub-attributes it keeps, and with
// canonicalValues narrowed to the values a value filter pins a
// sub-attribute to (type "work" for `emails[type eq "work"].value`). It
// returns nil for an extension of which nothing is kept. Without
// password, the password attribute is left out.
func (k *AttributeSet) schema(s *Schema, password bool) *Schema {
	out := *s
	out.Attributes = nil
	for _, a := range s.Attributes {
		if a.Name == "password" && !password {
			continue
		}
		if k == nil {
			out.Attributes = append(out.Attributes, a)
			continue
		}
		ka := k.attrs[a]
		if ka == nil {
			continue
		}
		if a.typ() != TypeComplex {
			out.Attributes = append(out.Attributes, a)
			continue
		}
		c := *a
		c.SubAttributes = nil
		for _, sub := range a.SubAttributes {
			if !k.keeps(a, sub) {
				continue
			}
			if pinned := ka.pinned(sub); pinned != nil {
				sc := *sub
				sc.CanonicalValues = pinned
				sub = &sc
			}
			c.SubAttributes = append(c.SubAttributes, sub)
		}
		out.Attributes = append(out.Attributes, &c)
	}
	if len(out.Attributes) == 0 && s.ID != UserSchema && s.ID != GroupSchema {
		return nil
	}
	return &out
}

// pinned returns the values that the rules' value filters allow for sub,
// when every rule pins it with an eq comparison joined by "and" (`type eq
// "work"`), and nil otherwise.
func (ka *keptAttr) pinned(sub *Attribute) []string {
	var vals []string
	for _, r := range ka.rules {
		v, ok := pinnedValue(r.expr, sub)
		if !ok {
			return nil
		}
		if !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	return vals
}

func pinnedValue(e filter.Expression, sub *Attribute) (string, bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return "", false
		}
		if v, ok := pinnedValue(e.Left, sub); ok {
			return v, true
		}
		return pinnedValue(e.Right, sub)
	case *filter.AttributeExpression:
		if s, ok := e.CompareValue.(string); ok && e.Operator == filter.EQ && e.AttributePath.AttributeName == sub.Name {
			return s, true
		}
	}
	return "", false
}

// truth is the value of a filter expression that the set decided without
// looking at any resource.
type truth uint8

const (
	depends truth = iota
	always
	never
)

func (t truth) not() truth {
	switch t {
	case always:
		return never
	case never:
		return always
	}
	return depends
}

// rewrite returns e, a normalized filter, with every comparison of an
// attribute the set does not keep replaced by its value on an unassigned
// attribute (ne holds, every other operator does not), and simplified:
// the result names kept attributes only, or is always or never true.
func (k *AttributeSet) rewrite(e filter.Expression) (filter.Expression, truth) {
	if k == nil || e == nil {
		return e, depends
	}
	return k.rewriteIn(e, nil)
}

// rewriteIn rewrites e; inside a value filter, parent is its attribute.
func (k *AttributeSet) rewriteIn(e filter.Expression, parent *Attribute) (filter.Expression, truth) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, lt := k.rewriteIn(e.Left, parent)
		r, rt := k.rewriteIn(e.Right, parent)
		absorbing, neutral := never, always
		if e.Operator == filter.OR {
			absorbing, neutral = always, never
		}
		switch {
		case lt == absorbing || rt == absorbing:
			return nil, absorbing
		case lt == neutral && rt == neutral:
			return nil, neutral
		case lt == neutral:
			return r, depends
		case rt == neutral:
			return l, depends
		}
		return &filter.LogicalExpression{Left: l, Right: r, Operator: e.Operator}, depends
	case *filter.NotExpression:
		inner, t := k.rewriteIn(e.Expression, parent)
		if t != depends {
			return nil, t.not()
		}
		return &filter.NotExpression{Expression: inner}, depends
	case *filter.ValuePath:
		ref, ok := k.rt.resolve(e.AttributePath.URI(), e.AttributePath.AttributeName, "")
		if !ok || !k.keeps(ref.attr, nil) {
			return nil, never
		}
		inner, t := k.rewriteIn(e.ValueFilter, ref.attr)
		switch t {
		case never:
			return nil, never
		case always:
			// Some item satisfies a test every item passes: there is one.
			return &filter.AttributeExpression{AttributePath: e.AttributePath, Operator: filter.PR}, depends
		}
		return &filter.ValuePath{AttributePath: e.AttributePath, ValueFilter: inner}, depends
	case *filter.AttributeExpression:
		var kept bool
		if parent != nil {
			sub := parent.Sub(e.AttributePath.AttributeName)
			kept = sub != nil && k.keeps(parent, sub)
		} else {
			p := e.AttributePath
			ref, ok := k.rt.resolve(p.URI(), p.AttributeName, p.SubAttributeName())
			kept = ok && k.keeps(ref.attr, ref.sub)
		}
		if kept {
			return e, depends
		}
		if e.Operator == filter.NE {
			return nil, always
		}
		return nil, never
	}
	return e, depends
}
