package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// The PATCH engine (RFC 7644 §3.5.2) works on the document form of a
// resource (see document.go). It accepts the union of what the RFC allows
// and what Entra ID and Okta send: op names in any case, path-less values
// with dotted or URN-qualified keys, read-only attributes inside path-less
// values (ignored), value-filter paths that create the item they name, and
// member removal by a value list.

// patchRequest is a parsed PatchOp request body.
type patchRequest struct {
	ops []patchOp
}

// patchOp is one operation of a PatchOp request.
type patchOp struct {
	n    int    // 1-based position in the request, for error details
	op   string // "add", "replace" or "remove"
	path string // trimmed path as sent; "" when absent
	// parsed is the parsed path when it holds a value filter ("[");
	// simpler paths are resolved by resourceType.resolvePath.
	parsed  *filter.Path
	pathErr bool // the path holds "[" but does not parse
	value   any
	// hasValue reports whether the operation had a "value" member (which
	// may be null).
	hasValue bool
}

const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// parsePatch decodes and checks a PatchOp request body. Member names of the
// body and of operations are matched case-insensitively, and members other
// than op, path and value (such as the "name" Okta and Microsoft's
// reference code add) are ignored. Errors are *Error with scimType
// invalidSyntax; paths are checked by applyPatch (invalidPath).
func parsePatch(body []byte) (*patchRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errInvalidSyntax("the request body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errInvalidSyntax("the request body has data after the JSON object")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errInvalidSyntax("the request body must be a JSON object")
	}
	if !hasPatchOpSchema(lookupFold(obj, "schemas")) {
		return nil, errInvalidSyntax("\"schemas\" must name %s", PatchOpSchema)
	}
	list, ok := lookupFold(obj, "Operations").([]any)
	if !ok || len(list) == 0 {
		return nil, errInvalidSyntax("\"Operations\" must be a non-empty array of operations")
	}
	req := &patchRequest{ops: make([]patchOp, len(list))}
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, errInvalidSyntax("operation %d must be a JSON object", i+1)
		}
		op := &req.ops[i]
		op.n = i + 1
		name, _ := lookupFold(m, "op").(string)
		switch strings.ToLower(name) {
		case opAdd:
			op.op = opAdd
		case opReplace:
			op.op = opReplace
		case opRemove:
			op.op = opRemove
		default:
			return nil, errInvalidSyntax("operation %d: \"op\" must be \"add\", \"replace\" or \"remove\"", op.n)
		}
		switch p := lookupFold(m, "path").(type) {
		case nil:
		case string:
			op.path = strings.TrimSpace(p)
		default:
			return nil, errInvalidSyntax("operation %d: \"path\" must be a string", op.n)
		}
		op.value, op.hasValue = lookupFoldOK(m, "value")
		if op.op != opRemove && !op.hasValue {
			return nil, errInvalidSyntax("operation %d: %s needs a \"value\"", op.n, op.op)
		}
		if strings.IndexByte(op.path, '[') >= 0 {
			if p, ok := parsePatchPath(op.path); ok {
				op.parsed = &p
			} else {
				// Kept for applyPatch, which reports it unless the path
				// turns out to name an extension schema.
				op.pathErr = true
			}
		}
	}
	return req, nil
}

func hasPatchOpSchema(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.EqualFold(x, PatchOpSchema)
	case []any:
		for _, s := range x {
			if s, ok := s.(string); ok && strings.EqualFold(s, PatchOpSchema) {
				return true
			}
		}
	}
	return false
}

// lookupFold returns the member of m called key, preferring an exact match
// and otherwise matching case-insensitively.
func lookupFold(m map[string]any, key string) any {
	v, _ := lookupFoldOK(m, key)
	return v
}

func lookupFoldOK(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// applyPatch applies every operation of req to doc, a resource in document
// form, in order. The request is atomic: on error doc is left as it was and
// the error is a *Error (400 with invalidPath, noTarget, mutability or
// invalidValue). changed reports whether doc differs from before, so that a
// PATCH that changes nothing (adding a member already present) need not
// write a new version. With strict, a replace through a value-filter path
// that matches nothing fails with noTarget, as RFC 7644 §3.5.2.3 says,
// instead of creating the item. doc must not be nil.
func (rt *resourceType) applyPatch(doc map[string]any, req *patchRequest, strict bool) (changed bool, err error) {
	// Operations never change a map or slice of the document in place:
	// they build new ones and put them under the top-level key (see put),
	// which records the key's old value first. Undoing a failed request
	// restores those keys, and untouched subtrees (such as a large member
	// list) are never copied.
	p := &patcher{rt: rt, doc: doc, strict: strict}
	for i := range req.ops {
		if err := p.apply(&req.ops[i]); err != nil {
			p.rollback()
			return false, err
		}
	}
	if err := p.checkRequired(); err != nil {
		p.rollback()
		return false, err
	}
	for _, u := range p.undo {
		if !deepEqual(u.old, doc[u.key]) {
			return true, nil
		}
	}
	return false, nil
}

// checkRequired rejects a result that lost a required attribute. RFC 7644
// §3.5.2.2 asks for "mutability" when a required attribute is removed or
// becomes unassigned. An attribute that was already missing is left to the
// caller's validation of the result.
func (p *patcher) checkRequired() error {
	rt := p.rt
	for _, a := range rt.schema.Attributes {
		if a.Required && p.doc[a.Name] == nil && p.before(a.Name) != nil {
			return errMutability("attribute %q is required and cannot be removed", a.Name)
		}
	}
	for _, e := range rt.extensions {
		id := e.schema.ID
		if e.required && p.doc[id] == nil && p.before(id) != nil {
			return errMutability("extension %q is required and cannot be removed", id)
		}
		ext, _ := p.doc[id].(map[string]any)
		old, _ := p.before(id).(map[string]any)
		for _, a := range e.schema.Attributes {
			if a.Required && ext[a.Name] == nil && old[a.Name] != nil {
				return errMutability("attribute %q is required and cannot be removed", id+":"+a.Name)
			}
		}
	}
	return nil
}

// patcher holds the state of one applyPatch call.
type patcher struct {
	rt     *resourceType
	doc    map[string]any
	strict bool
	// undo holds the old value of every top-level key put changed, in
	// the order first changed.
	undo []undoEntry
}

type undoEntry struct {
	key string
	old any // nil when the key was absent
}

// put sets a top-level key of the document (nil deletes it), recording its
// old value the first time.
func (p *patcher) put(key string, v any) {
	if !slices.ContainsFunc(p.undo, func(u undoEntry) bool { return u.key == key }) {
		p.undo = append(p.undo, undoEntry{key: key, old: p.doc[key]})
	}
	if v == nil {
		delete(p.doc, key)
	} else {
		p.doc[key] = v
	}
}

// before returns the value a top-level key had before the request.
func (p *patcher) before(key string) any {
	for _, u := range p.undo {
		if u.key == key {
			return u.old
		}
	}
	return p.doc[key]
}

// rollback restores the document as it was before the request.
func (p *patcher) rollback() {
	for _, u := range p.undo {
		if u.old == nil {
			delete(p.doc, u.key)
		} else {
			p.doc[u.key] = u.old
		}
	}
}

// target is a resolved operation path.
type target struct {
	ref  attrRef
	text string // the path, for error details
	// match selects the items of a multi-valued attribute; nil without a
	// value filter.
	match func(map[string]any) bool
	// expr is the value filter, used to create an item when none matches;
	// nil when there is none, or when a sub-attribute path of a
	// multi-valued attribute selects all items ("emails.type").
	expr filter.Expression
	// explicit is false for keys of a path-less value, whose read-only
	// attributes are ignored instead of rejected.
	explicit bool
}

func (p *patcher) apply(op *patchOp) error {
	if op.path == "" {
		if op.op == opRemove {
			return errNoTarget("operation %d: remove needs a \"path\"", op.n)
		}
		obj, ok := op.value.(map[string]any)
		if !ok {
			if op.value == nil {
				return nil
			}
			return errInvalidValue("operation %d: %s without a \"path\" needs a JSON object as \"value\"", op.n, op.op)
		}
		return p.applyObject(op, nil, obj)
	}
	if ext := p.rt.extension(op.path); ext != nil {
		return p.applyExtension(op, ext, op.value)
	}
	if strings.EqualFold(op.path, p.rt.schema.ID) && op.op != opRemove {
		// The core schema URN as path: its value holds core attributes.
		obj, ok := op.value.(map[string]any)
		if !ok {
			return errInvalidValue("operation %d: the value of %q must be a JSON object", op.n, p.rt.schema.ID)
		}
		return p.applyObject(op, nil, obj)
	}
	if op.pathErr {
		return errInvalidPath("operation %d: %q is not a valid attribute path", op.n, op.path)
	}
	t, err := p.resolveTarget(op, op.path, op.parsed, true)
	if err != nil {
		return err
	}
	return p.applyTarget(op, t, op.value)
}

// applyExtension applies op to a whole extension schema: its value is an
// object of the extension's attributes.
func (p *patcher) applyExtension(op *patchOp, ext *Schema, value any) error {
	if op.op == opRemove {
		m, _ := p.doc[ext.ID].(map[string]any)
		for _, a := range ext.Attributes {
			if a.mutability() == MutabilityImmutable && m[a.Name] != nil {
				return errImmutable(op, ext.ID+":"+a.Name)
			}
		}
		p.put(ext.ID, nil)
		return nil
	}
	obj, ok := value.(map[string]any)
	if !ok {
		if value == nil {
			if op.op == opReplace {
				p.put(ext.ID, nil)
			}
			return nil
		}
		return errInvalidValue("operation %d: the value of %q must be a JSON object", op.n, ext.ID)
	}
	return p.applyObject(op, ext, obj)
}

// applyObject applies an add or replace whose value is an object of
// attributes: a path-less operation (ext nil), or one whose path is an
// extension URN. Keys are attribute names, dotted sub-attribute paths or
// URN-qualified paths, and an extension URN may nest an object. Read-only
// attributes (id, meta, groups) are ignored, as Okta sends them back, and
// so are unknown attributes unless rt.strictAttributes.
func (p *patcher) applyObject(op *patchOp, ext *Schema, obj map[string]any) error {
	// Sorted, so that results and errors do not depend on map order.
	keys := slices.Sorted(maps.Keys(obj))
	for _, k := range keys {
		v := obj[k]
		if ext == nil {
			if strings.EqualFold(k, "schemas") {
				continue
			}
			if e := p.rt.extension(k); e != nil {
				if err := p.applyExtension(op, e, v); err != nil {
					return err
				}
				continue
			}
			if strings.EqualFold(k, p.rt.schema.ID) {
				inner, ok := v.(map[string]any)
				if !ok {
					if v == nil {
						continue
					}
					return errInvalidValue("operation %d: the value of %q must be a JSON object", op.n, p.rt.schema.ID)
				}
				if err := p.applyObject(op, nil, inner); err != nil {
					return err
				}
				continue
			}
		}
		path := k
		if ext != nil {
			path = ext.ID + ":" + k
		}
		var parsed *filter.Path
		if strings.IndexByte(path, '[') >= 0 {
			pp, ok := parsePatchPath(path)
			if !ok {
				if err := p.unknownKey(op, k); err != nil {
					return err
				}
				continue
			}
			parsed = &pp
		}
		t, err := p.resolveTarget(op, path, parsed, false)
		if err != nil {
			// Unknown attributes in a value are treated as on POST.
			if err := p.unknownKey(op, k); err != nil {
				return err
			}
			continue
		}
		if err := p.applyTarget(op, t, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *patcher) unknownKey(op *patchOp, key string) error {
	if p.rt.strictAttributes {
		return errInvalidValue("operation %d: unknown attribute %q", op.n, key)
	}
	return nil
}

// resolveTarget resolves a path against the resource type. parsed is the
// parsed path when it holds a value filter, else nil. Errors are
// invalidPath.
func (p *patcher) resolveTarget(op *patchOp, path string, parsed *filter.Path, explicit bool) (target, error) {
	t := target{text: path, explicit: explicit}
	var ok bool
	if parsed == nil {
		t.ref, ok = p.rt.resolvePath(path)
		if !ok {
			return t, errInvalidPath("operation %d: %q is not a known attribute", op.n, path)
		}
	} else {
		ap := parsed.AttributePath
		sub := ap.SubAttributeName()
		if parsed.ValueExpression != nil && parsed.SubAttribute != nil {
			if sub != "" {
				return t, errInvalidPath("operation %d: %q is not a valid attribute path", op.n, path)
			}
			sub = *parsed.SubAttribute
		}
		t.ref, ok = p.rt.resolve(ap.URI(), ap.AttributeName, sub)
		if !ok {
			return t, errInvalidPath("operation %d: %q is not a known attribute", op.n, path)
		}
		if parsed.ValueExpression != nil {
			if !t.ref.attr.MultiValued || t.ref.attr.typ() != TypeComplex {
				return t, errInvalidPath("operation %d: %q: a value filter needs a multi-valued complex attribute", op.n, path)
			}
			m, err := patchItemFilter(parsed.ValueExpression, t.ref.attr)
			if err != nil {
				detail := "invalid value filter"
				var se *Error
				if errors.As(err, &se) && se.Detail != "" {
					detail = se.Detail
				}
				return t, errInvalidPath("operation %d: %q: %s", op.n, path, detail)
			}
			t.match, t.expr = m, parsed.ValueExpression
		}
	}
	if t.match == nil && t.ref.sub != nil && t.ref.attr.MultiValued {
		// "emails.type" addresses the sub-attribute of every item.
		t.match = matchAll
	}
	return t, nil
}

func matchAll(map[string]any) bool { return true }

// applyTarget applies op with the given value to a resolved target.
func (p *patcher) applyTarget(op *patchOp, t target, value any) error {
	a := t.ref.attr
	if a.mutability() == MutabilityReadOnly || (t.ref.sub != nil && t.ref.sub.mutability() == MutabilityReadOnly) {
		if !t.explicit {
			return nil
		}
		return errMutability("operation %d: %q is read-only", op.n, t.text)
	}
	if t.explicit && t.ref.sub == nil {
		value = oneItemAsList(a, value)
	}
	if t.match != nil {
		return p.applyItems(op, t, value)
	}
	if t.ref.sub != nil {
		return p.applySub(op, t, value)
	}
	if a.MultiValued {
		return p.applyMulti(op, t, value)
	}
	old := p.get(t.ref)
	if op.op == opRemove {
		if old == nil {
			return nil
		}
		return p.unassign(op, t)
	}
	nv, err := p.normalize(op, a, value, t.text)
	if err != nil {
		return err
	}
	if a.typ() == TypeComplex {
		raw, isObj := value.(map[string]any)
		if nv == nil && !isObj {
			// null (or an empty string): the attribute becomes unassigned.
			if op.op == opReplace {
				if old != nil && a.mutability() == MutabilityImmutable {
					return errImmutable(op, t.text)
				}
				p.set(t.ref, nil)
			}
			return nil
		}
		// RFC 7644 §3.5.2.1 and §3.5.2.3: sub-attributes not in the value
		// are left unchanged, for add and replace alike, so {} changes
		// nothing; a sub-attribute given as null becomes unassigned.
		oldObj, _ := old.(map[string]any)
		nobj, _ := nv.(map[string]any)
		merged, err := mergeObject(op, a, oldObj, nobj, t.text)
		if err != nil {
			return err
		}
		if merged, err = unsetNamedNulls(op, a, merged, raw, t.text); err != nil {
			return err
		}
		if len(merged) == 0 {
			merged = nil
		}
		if merged == nil && oldObj == nil {
			return nil
		}
		p.set(t.ref, merged)
		return nil
	}
	if a.mutability() == MutabilityImmutable && old != nil && !valuesEqual(a, old, nv) {
		return errImmutable(op, t.text)
	}
	p.set(t.ref, nv)
	return nil
}

// unsetNamedNulls returns obj without the sub-attributes of a that raw,
// the value a client sent for a, gives as null, copying obj before it
// changes it; an immutable one that has a value cannot be unset.
func unsetNamedNulls(op *patchOp, a *Attribute, obj, raw map[string]any, path string) (map[string]any, error) {
	copied := false
	for k, v := range raw {
		sa := a.Sub(k)
		if v != nil || sa == nil || obj[sa.Name] == nil {
			continue
		}
		if sa.mutability() == MutabilityImmutable || a.mutability() == MutabilityImmutable {
			return nil, errImmutable(op, path+"."+sa.Name)
		}
		if sa.mutability() == MutabilityReadOnly {
			continue
		}
		if !copied {
			obj, copied = maps.Clone(obj), true
		}
		delete(obj, sa.Name)
	}
	return obj, nil
}

// unassign removes the whole attribute t names, unless it is immutable.
func (p *patcher) unassign(op *patchOp, t target) error {
	if t.ref.attr.mutability() == MutabilityImmutable {
		return errImmutable(op, t.text)
	}
	p.set(t.ref, nil)
	return nil
}

// errImmutable reports that op would change the immutable attribute at
// path.
func errImmutable(op *patchOp, path string) *Error {
	return errMutability("operation %d: %q is immutable", op.n, path)
}

// normalizeList validates value for the multi-valued attribute a, as
// normalize does, and returns its items.
func (p *patcher) normalizeList(op *patchOp, a *Attribute, value any, path string) ([]any, error) {
	nv, err := p.normalize(op, a, value, path)
	if err != nil {
		return nil, err
	}
	list, _ := nv.([]any)
	return list, nil
}

// normalize validates value for attribute a, prefixing error details with
// the operation.
func (p *patcher) normalize(op *patchOp, a *Attribute, value any, path string) (any, error) {
	var nv any
	var err error
	if a.MultiValued || a.typ() == TypeComplex {
		nv, err = p.rt.normalizeValue(a, value)
	} else {
		nv, err = p.rt.normalizeSimple(a, value, path)
	}
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			return nil, &Error{Status: se.Status, ScimType: se.ScimType, Detail: fmt.Sprintf("operation %d: %s", op.n, se.Detail)}
		}
		return nil, errInvalidValue("operation %d: invalid value for %q", op.n, path)
	}
	return nv, nil
}

// oneItemAsList returns value as an array of one when a is multi-valued
// and value is one item of it (an object of a complex attribute, a simple
// value of a simple one): a PATCH may add or replace one item without
// wrapping it, as identity providers do ({"op":"add","path":"members",
// "value":{"value":"…"}}). A value of another JSON type is returned as it
// is, for normalizeValue to refuse. A path-less value is a partial
// resource, whose multi-valued attributes are arrays as in a POST.
func oneItemAsList(a *Attribute, value any) any {
	if !a.MultiValued || value == nil {
		return value
	}
	switch value.(type) {
	case []any:
		return value
	case map[string]any:
		if a.typ() == TypeComplex {
			return []any{value}
		}
		return value
	}
	if a.typ() == TypeComplex {
		return value
	}
	return []any{value}
}

// get returns the current value of the attribute ref names (ignoring its
// sub-attribute), or nil.
func (p *patcher) get(ref attrRef) any {
	if ref.ext() {
		m, _ := p.doc[ref.schema.ID].(map[string]any)
		return m[ref.attr.Name]
	}
	return p.doc[ref.attr.Name]
}

// set sets (or with nil, unassigns) the attribute ref names, copying the
// extension object it lives in rather than changing it.
func (p *patcher) set(ref attrRef, v any) {
	if !ref.ext() {
		p.put(ref.attr.Name, v)
		return
	}
	old, _ := p.doc[ref.schema.ID].(map[string]any)
	m := make(map[string]any, len(old)+1)
	maps.Copy(m, old)
	if v == nil {
		delete(m, ref.attr.Name)
	} else {
		m[ref.attr.Name] = v
	}
	if len(m) == 0 {
		p.put(ref.schema.ID, nil)
	} else {
		p.put(ref.schema.ID, m)
	}
}
