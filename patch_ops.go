package scim

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The operations below never change a map or slice they read from the
// working document: they build new ones, so that the caller's document
// stays intact until applyPatch swaps in the result.

// applyMulti applies op to a whole multi-valued attribute ("emails",
// "members").
func (p *patcher) applyMulti(op *patchOp, t target, value any) error {
	a := t.ref.attr
	old, _ := p.get(t.ref).([]any)
	switch op.op {
	case opRemove:
		if len(old) == 0 {
			return nil
		}
		if value == nil {
			return p.unassign(op, t)
		}
		// Entra ID removes members with path "members" and the members to
		// remove as value: remove those only, not the whole attribute.
		items, err := p.normalizeList(op, a, value, t.text)
		if err != nil || len(items) == 0 {
			return err
		}
		kept := removeIdentified(a, old, items)
		if len(kept) == len(old) {
			return nil
		}
		if a.mutability() == MutabilityImmutable {
			return errImmutable(op, t.text)
		}
		p.setList(t.ref, kept)
		return nil
	case opAdd:
		items, err := p.normalizeList(op, a, value, t.text)
		if err != nil || len(items) == 0 {
			return err
		}
		merged := mergeItems(a, old, items)
		p.setList(t.ref, fixPrimary(a, old, merged))
		return nil
	default: // replace
		items, err := p.normalizeList(op, a, value, t.text)
		if err != nil {
			return err
		}
		if a.mutability() == MutabilityImmutable && len(old) > 0 && !deepEqual(old, items) {
			return errImmutable(op, t.text)
		}
		p.setList(t.ref, fixPrimary(a, old, dedupItems(a, items)))
		return nil
	}
}

// applySub applies op to a sub-attribute of a singular complex attribute
// ("name.givenName", "urn:…:enterprise:2.0:User:manager.value").
func (p *patcher) applySub(op *patchOp, t target, value any) error {
	a, sa := t.ref.attr, t.ref.sub
	oldObj, _ := p.get(t.ref).(map[string]any)
	var nv any
	if op.op != opRemove {
		var err error
		if nv, err = p.normalize(op, sa, value, t.text); err != nil {
			return err
		}
	}
	oldv := oldObj[sa.Name]
	if oldv == nil && nv == nil {
		return nil
	}
	if oldv != nil && !valuesEqual(sa, oldv, nv) &&
		(sa.mutability() == MutabilityImmutable || a.mutability() == MutabilityImmutable) {
		return errImmutable(op, t.text)
	}
	obj := make(map[string]any, len(oldObj)+1)
	maps.Copy(obj, oldObj)
	if nv == nil {
		delete(obj, sa.Name)
	} else {
		obj[sa.Name] = nv
	}
	if len(obj) == 0 {
		p.set(t.ref, nil)
	} else {
		p.set(t.ref, obj)
	}
	return nil
}

// applyItems applies op to the items of a multi-valued complex attribute
// that t.match selects ("emails[type eq \"work\"].value",
// "members[value eq \"x\"]", "emails.display").
func (p *patcher) applyItems(op *patchOp, t target, value any) error {
	a, sa := t.ref.attr, t.ref.sub
	old, _ := p.get(t.ref).([]any)
	var idx []int
	for i, e := range old {
		if m, ok := e.(map[string]any); ok && t.match(m) {
			idx = append(idx, i)
		}
	}
	if op.op == opRemove {
		// Removing what is not there is a no-op: IdPs remove members that
		// another request already removed.
		if len(idx) == 0 {
			return nil
		}
		if sa == nil && a.mutability() == MutabilityImmutable {
			return errImmutable(op, t.text)
		}
		out := slices.Clone(old)
		for _, i := range idx {
			if sa == nil {
				out[i] = nil
				continue
			}
			e := old[i].(map[string]any)
			if e[sa.Name] == nil {
				continue
			}
			if sa.mutability() == MutabilityImmutable {
				return errImmutable(op, t.text)
			}
			ne := maps.Clone(e)
			delete(ne, sa.Name)
			if len(ne) == 0 {
				out[i] = nil
			} else {
				out[i] = ne
			}
		}
		p.setList(t.ref, compact(out))
		return nil
	}

	// The new sub-attribute value, or the new item without a sub-attribute
	// (and raw, the object the client sent for it).
	var nv any
	var item map[string]any
	raw, isObj := value.(map[string]any)
	if list, ok := value.([]any); ok && len(list) == 1 {
		raw, isObj = list[0].(map[string]any)
	}
	if sa != nil {
		var err error
		if nv, err = p.normalize(op, sa, value, t.text); err != nil {
			return err
		}
	} else {
		list, err := p.normalizeList(op, a, value, t.text)
		if err != nil {
			return err
		}
		if len(list) > 1 {
			return errInvalidValue("operation %d: %q selects items, so its value must be one object", op.n, t.text)
		}
		if len(list) == 1 {
			item = list[0].(map[string]any)
		}
	}

	if len(idx) == 0 {
		if (sa != nil && nv == nil) || (sa == nil && item == nil) {
			return nil
		}
		if t.expr == nil || (op.op == opReplace && p.strict) {
			return errNoTarget("operation %d: no value of %q matches %q", op.n, a.Name, t.text)
		}
		// Entra ID and Microsoft's SCIM Validator add (and replace)
		// through a filter that names the item to create:
		// emails[type eq "work"].value on a user without a work email.
		base, ok := equalityItem(t.expr, a)
		if !ok {
			return errNoTarget("operation %d: no value of %q matches %q", op.n, a.Name, t.text)
		}
		if sa != nil {
			base[sa.Name] = nv
		} else {
			maps.Copy(base, item)
		}
		list, err := p.normalizeList(op, a, []any{base}, t.text)
		if err != nil || len(list) == 0 {
			return err
		}
		// RFC 7644 §3.5.2: the item created is the one the path names, so
		// a value that contradicts the filter (emails[type eq "work"]
		// with "type": "home") names no target.
		if !t.match(list[0].(map[string]any)) {
			return errNoTarget("operation %d: no value of %q matches %q, and the value given contradicts the filter", op.n, a.Name, t.text)
		}
		out := append(slices.Clip(old), list[0])
		p.setList(t.ref, fixPrimary(a, old, out))
		return nil
	}

	out := slices.Clone(old)
	for _, i := range idx {
		e := old[i].(map[string]any)
		switch {
		case sa != nil:
			oldv := e[sa.Name]
			if oldv == nil && nv == nil {
				continue
			}
			if sa.mutability() == MutabilityImmutable && oldv != nil && !valuesEqual(sa, oldv, nv) {
				return errImmutable(op, t.text)
			}
			ne := maps.Clone(e)
			if nv == nil {
				delete(ne, sa.Name)
			} else {
				ne[sa.Name] = nv
			}
			if len(ne) == 0 {
				out[i] = nil
			} else {
				out[i] = ne
			}
		case item == nil && !isObj:
			// Replacing items with null removes them; adding null adds
			// nothing.
			if op.op == opReplace {
				out[i] = nil
			}
		default:
			// RFC 7644 §3.5.2.3: the sub-attributes the value does not
			// name are left unchanged ({} changes nothing), for add and
			// replace alike; one given as null becomes unassigned.
			ne, err := mergeObject(op, a, e, item, t.text)
			if err == nil {
				ne, err = unsetNamedNulls(op, a, ne, raw, t.text)
			}
			if err != nil {
				return err
			}
			if len(ne) == 0 {
				out[i] = nil
			} else {
				out[i] = ne
			}
		}
	}
	p.setList(t.ref, fixPrimary(a, old, compact(out)))
	return nil
}

// setList sets a multi-valued attribute; an empty list unassigns it.
func (p *patcher) setList(ref attrRef, l []any) {
	if len(l) == 0 {
		p.set(ref, nil)
	} else {
		p.set(ref, l)
	}
}

// compact returns l without its nil entries.
func compact(l []any) []any {
	return slices.DeleteFunc(l, func(e any) bool { return e == nil })
}

// mergeObject returns old with the sub-attributes of nv set, checking that
// no immutable sub-attribute changes.
func mergeObject(op *patchOp, a *Attribute, old, nv map[string]any, path string) (map[string]any, error) {
	if old == nil {
		return nv, nil
	}
	for k, v := range nv {
		s := a.Sub(k)
		if old[k] != nil && !valuesEqual(s, old[k], v) &&
			(a.mutability() == MutabilityImmutable || (s != nil && s.mutability() == MutabilityImmutable)) {
			return nil, errImmutable(op, path+"."+k)
		}
	}
	m := make(map[string]any, len(old)+len(nv))
	maps.Copy(m, old)
	maps.Copy(m, nv)
	return m, nil
}

// mergeItems appends to old the items not already in it (RFC 7644
// §3.5.2.1: adding a value that is present changes nothing). It returns old
// itself when nothing is new.
func mergeItems(a *Attribute, old, items []any) []any {
	out := slices.Clip(old)
	if len(items) <= smallItems {
		// One scan of a large member list per added member: no index.
		for _, it := range items {
			if !containsItem(a, out, it) {
				out = append(out, it)
			}
		}
		return out
	}
	set := newItemSet(a, len(old)+len(items))
	for _, e := range old {
		set.add(e)
	}
	for _, it := range items {
		if !set.has(it) {
			set.add(it)
			out = append(out, it)
		}
	}
	return out
}

// smallItems is the number of items up to which lists are searched
// without building an index.
const smallItems = 8

// dedupItems drops items that repeat an earlier one.
func dedupItems(a *Attribute, items []any) []any {
	if len(items) < 2 {
		return items
	}
	return mergeItems(a, nil, items)
}

// containsItem reports whether list holds an item that is the same value
// as it (see sameItem).
func containsItem(a *Attribute, list []any, it any) bool {
	ik := newItemKeyer(a)
	if k, ok := ik.key(it); ok {
		for _, e := range list {
			if ek, ok := ik.key(e); ok && ek == k {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(list, func(e any) bool { return sameItem(a, e, it) })
}

// itemKeyer gives the identity of the items of one attribute that have
// one: the "value" of a complex item (a member is its id), or a simple
// string value; lower-cased unless case-exact.
type itemKeyer struct {
	complex   bool
	valued    bool // complex with a "value" sub-attribute
	caseExact bool
}

func newItemKeyer(a *Attribute) itemKeyer {
	ik := itemKeyer{complex: a.typ() == TypeComplex, caseExact: a.CaseExact}
	if vs := a.Sub("value"); ik.complex && vs != nil {
		ik.valued, ik.caseExact = true, vs.CaseExact
	}
	return ik
}

func (ik itemKeyer) key(it any) (string, bool) {
	var s string
	var ok bool
	if ik.complex {
		m, isMap := it.(map[string]any)
		if !isMap || !ik.valued {
			return "", false
		}
		s, ok = m["value"].(string)
	} else {
		s, ok = it.(string)
	}
	if !ok {
		return "", false
	}
	if !ik.caseExact {
		s = FoldKey(s)
	}
	return s, true
}

// itemSet indexes items of a multi-valued attribute by identity.
type itemSet struct {
	a      *Attribute
	ik     itemKeyer
	keys   map[string]struct{}
	others []any // items without a key
}

func newItemSet(a *Attribute, n int) *itemSet {
	return &itemSet{a: a, ik: newItemKeyer(a), keys: make(map[string]struct{}, n)}
}

func (s *itemSet) add(it any) {
	if k, ok := s.ik.key(it); ok {
		s.keys[k] = struct{}{}
	} else {
		s.others = append(s.others, it)
	}
}

func (s *itemSet) has(it any) bool {
	if k, ok := s.ik.key(it); ok {
		_, found := s.keys[k]
		return found
	}
	return slices.ContainsFunc(s.others, func(e any) bool { return sameItem(s.a, e, it) })
}

// sameItem reports whether two values of a multi-valued attribute are the
// same value: items with a "value" sub-attribute are compared by it (a
// member is its id), others as a whole.
func sameItem(a *Attribute, x, y any) bool {
	ik := newItemKeyer(a)
	if kx, ok := ik.key(x); ok {
		ky, ok := ik.key(y)
		return ok && kx == ky
	}
	if _, ok := ik.key(y); ok {
		return false
	}
	return deepEqual(x, y)
}

// removeIdentified returns old without the items that a remove
// operation's value list names: by "value" when the listed item has one
// (Entra ID lists members as {"value": id}), else by every sub-attribute
// the listed item gives.
func removeIdentified(a *Attribute, old, given []any) []any {
	ik := newItemKeyer(a)
	keys := make(map[string]struct{}, len(given))
	var partial []map[string]any // listed complex items without "value"
	var plain []any              // listed simple items without a key
	for _, g := range given {
		if k, ok := ik.key(g); ok {
			keys[k] = struct{}{}
		} else if m, ok := g.(map[string]any); ok {
			partial = append(partial, m)
		} else {
			plain = append(plain, g)
		}
	}
	kept := make([]any, 0, len(old))
	for _, e := range old {
		if k, ok := ik.key(e); ok {
			if _, found := keys[k]; found {
				continue
			}
		}
		if matchesAnyPartial(a, partial, e) || slices.ContainsFunc(plain, func(g any) bool { return valuesEqual(a, g, e) }) {
			continue
		}
		kept = append(kept, e)
	}
	return kept
}

func matchesAnyPartial(a *Attribute, partial []map[string]any, e any) bool {
	em, ok := e.(map[string]any)
	if !ok {
		return false
	}
	for _, g := range partial {
		all := true
		for k, v := range g {
			if !valuesEqual(a.Sub(k), v, em[k]) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// fixPrimary enforces RFC 7643 §2.4 ("primary" true at most once): when an
// operation made an item primary, the others stop being primary. cur is the
// new list, old the list before the operation; items the operation did not
// touch are the same maps in both.
func fixPrimary(a *Attribute, old, cur []any) []any {
	if a.typ() != TypeComplex || a.Sub("primary") == nil {
		return cur
	}
	var primaries []int
	for i, e := range cur {
		if m, ok := e.(map[string]any); ok && m["primary"] == true {
			primaries = append(primaries, i)
		}
	}
	if len(primaries) < 2 {
		return cur
	}
	keep := -1
	for j := len(primaries) - 1; j >= 0 && keep < 0; j-- {
		m := cur[primaries[j]].(map[string]any)
		if !slices.ContainsFunc(old, func(e any) bool { o, ok := e.(map[string]any); return ok && sameMap(o, m) }) {
			keep = primaries[j]
		}
	}
	if keep < 0 {
		return cur
	}
	out := slices.Clone(cur)
	for _, i := range primaries {
		if i != keep {
			m := maps.Clone(out[i].(map[string]any))
			delete(m, "primary")
			out[i] = m
		}
	}
	return out
}

// valuesEqual compares two values of attribute a (which may be nil),
// honouring a.CaseExact for strings.
func valuesEqual(a *Attribute, x, y any) bool {
	if xs, ok := x.(string); ok {
		ys, ok := y.(string)
		if !ok {
			return false
		}
		if a != nil && !a.CaseExact {
			return strings.EqualFold(xs, ys)
		}
		return xs == ys
	}
	return deepEqual(x, y)
}

// deepEqual compares document values exactly. Maps and slices that are
// the same object compare equal without a walk, which keeps the no-op check
// of applyPatch cheap on large untouched lists.
func deepEqual(x, y any) bool {
	switch xv := x.(type) {
	case nil:
		return y == nil
	case string:
		yv, ok := y.(string)
		return ok && xv == yv
	case bool:
		yv, ok := y.(bool)
		return ok && xv == yv
	case json.Number:
		yv, ok := y.(json.Number)
		if !ok {
			return false
		}
		if xv == yv {
			return true
		}
		xf, err1 := strconv.ParseFloat(string(xv), 64)
		yf, err2 := strconv.ParseFloat(string(yv), 64)
		return err1 == nil && err2 == nil && xf == yf
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok || len(xv) != len(yv) {
			return false
		}
		if sameMap(xv, yv) {
			return true
		}
		for k, e := range xv {
			f, ok := yv[k]
			if !ok || !deepEqual(e, f) {
				return false
			}
		}
		return true
	case []any:
		yv, ok := y.([]any)
		if !ok || len(xv) != len(yv) {
			return false
		}
		if len(xv) == 0 || &xv[0] == &yv[0] {
			return true
		}
		for i := range xv {
			if !deepEqual(xv[i], yv[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(x, y)
	}
}

func sameMap(x, y map[string]any) bool {
	return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
}
