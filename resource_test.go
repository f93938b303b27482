package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim/internal/attrtest"
	"github.com/stretchr/testify/require"
)

// TestEveryAttributeReachesEveryPlace guards the places one attribute of
// User, EnterpriseUser or Group must reach in this package: the schema,
// the document conversion (document.go), the encoder (encode.go), request
// decoding (validate.go), the filter getters (filter_eval.go) and sorting
// (sort.go). It fills every field by reflection with a value that names
// the field, so adding a field to resource.go and missing one place makes
// it fail with the field's name and the place to edit. The stores' side
// (columns, codecs) is guarded by the AttributeGuard test of
// store/storetest, which every store's conformance run includes.
func TestEveryAttributeReachesEveryPlace(t *testing.T) {
	t.Run("User", func(t *testing.T) { guardAttributes[User](t, newResourceType("User", nil), "User.Extensions") })
	t.Run("Group", func(t *testing.T) { guardAttributes[Group](t, newResourceType("Group", nil), "Group.Extensions") })
}

// guarded is a leaf field with the attribute it resolves to.
type guarded struct {
	attrtest.Leaf
	ref attrRef
}

// readOnly reports whether a client cannot write the attribute.
func (g guarded) readOnly() bool {
	return g.ref.attr.mutability() == MutabilityReadOnly || g.ref.sub != nil && g.ref.sub.mutability() == MutabilityReadOnly
}

// inDocument reports whether the document form carries the attribute: all
// but meta and the read-only groups of a User.
func (g guarded) inDocument() bool {
	return g.ref.attr.Name == "id" || !(g.ref.attr.Name == "meta" || g.ref.attr.mutability() == MutabilityReadOnly)
}

// filled returns a resource with every guarded leaf set to its variant 0,
// and the one leaf changed set to variant 1 (none when changed is nil).
func filled[R Resource](t *testing.T, skip []string, leaves []guarded, changed *guarded) *R {
	t.Helper()
	r := new(R)
	all, err := attrtest.Fill(r, skip...)
	require.NoError(t, err)
	for _, l := range all {
		attrtest.Clear(r, l)
	}
	for _, g := range leaves {
		attrtest.Set(r, g.Leaf, 0)
	}
	if changed != nil {
		attrtest.Set(r, changed.Leaf, 1)
	}
	return r
}

func guardAttributes[R Resource](t *testing.T, rt *resourceType, skip ...string) {
	probe := new(R)
	all, err := attrtest.Fill(probe, skip...)
	require.NoError(t, err, "a new field in resource.go")

	// Every field is an attribute of the schema, and every attribute of
	// the schema is a field. A MultiValue field that an attribute's
	// sub-attributes lack (emails has no $ref) stays empty.
	var leaves []guarded
	covered := map[string]bool{}
	for _, l := range all {
		ref, ok := rt.resolvePath(l.Path)
		if !ok {
			if i := strings.LastIndexByte(l.Path, '.'); l.Multi && i > 0 {
				if _, ok := rt.resolvePath(l.Path[:i]); ok {
					continue
				}
			}
			t.Errorf("%s has no attribute %q in the %s schema: define it in schema.go, or remove the field", l.Field, l.Path, rt.name)
			continue
		}
		leaves = append(leaves, guarded{l, ref})
		covered[strings.ToLower(ref.path())] = true
	}
	forEachLeafAttribute(rt, func(path string) {
		if !covered[strings.ToLower(path)] {
			t.Errorf("attribute %s of the %s schema has no field in resource.go: add one, then this test shows every place it must reach", path, rt.name)
		}
	})
	if t.Failed() {
		return
	}

	r := filled[R](t, skip, leaves, nil)
	fromWhat := map[bool]string{true: "userToDoc", false: "groupToDoc"}[rt.name == "User"]
	backWhat := map[bool]string{true: "userFromDoc", false: "groupFromDoc"}[rt.name == "User"]

	// The document form, there and back.
	doc := docOf(r)
	back := fromDoc[R](doc)
	for _, g := range leaves {
		if !g.inDocument() {
			continue
		}
		want := g.Value(0)
		if got, _ := docValue(doc, g.ref); got != want {
			t.Errorf("%s: %s (document.go) puts %v at %s, want %v", g.Field, fromWhat, got, g.ref.path(), want)
		} else if got, _ := attrtest.Get(back, g.Leaf); got != want {
			t.Errorf("%s: %s (document.go) reads %s back as %v, want %v", g.Field, backWhat, g.ref.path(), got, want)
		}
	}

	// The encoder, and the JSON it writes read back as a request body.
	e := encoder{rt: rt, base: "https://example.com/scim/v2"}
	body := appendResource(&e, nil, r)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out map[string]any
	unencoded := map[string]bool{} // reported already: not checked again when read back
	require.NoError(t, dec.Decode(&out), "the encoder writes invalid JSON: %s", body)
	for _, g := range leaves {
		got, present := docValue(out, g.ref)
		switch {
		case g.ref.target().returned() == ReturnedNever:
			if present {
				t.Errorf("%s: the encoder (encode.go) writes %s, which is never returned", g.Field, g.ref.path())
			}
		case g.ref.attr.Name == "meta" && (g.ref.sub.Name == "location" || g.ref.sub.Name == "resourceType"):
			// Derived from the base URL and the resource type, not the field.
		default:
			want := g.Value(0)
			if tm, ok := want.(time.Time); ok {
				want = tm.Format(time.RFC3339)
			}
			if got != want {
				t.Errorf("%s: the encoder (encode.go) writes %v at %s, want %v", g.Field, got, g.ref.path(), want)
				unencoded[g.Field] = true
			}
		}
	}
	if rt.name == "User" {
		out["password"] = any(r).(*User).Password
	}
	ndoc, err := rt.normalizeDoc(out)
	require.NoError(t, err, "the encoder's JSON as a request body: %s", body)
	back = fromDoc[R](ndoc)
	for _, g := range leaves {
		if g.readOnly() || unencoded[g.Field] {
			continue
		}
		if got, _ := attrtest.Get(back, g.Leaf); got != g.Value(0) {
			t.Errorf("%s: a request body with %s reads as %v, want %v (normalizeDoc in validate.go, then %s in document.go)",
				g.Field, g.ref.path(), got, g.Value(0), backWhat)
		}
	}

	// Filters and sorting: each attribute is told apart from every other
	// field, since the resource with only this field changed must answer
	// differently.
	for _, g := range leaves {
		if g.ref.target().returned() == ReturnedNever {
			continue
		}
		other := filled[R](t, skip, leaves, &g)
		expr := g.ref.path() + " eq " + g.Literal(0)
		f, err := rt.parseFilter(expr)
		if err != nil {
			t.Errorf("%s: the filter %s does not parse: %v", g.Field, expr, err)
			continue
		}
		if !Match(f, r) || Match(f, other) {
			t.Errorf("%s: the filter %s must match the resource and not the one where only %s differs, but matches them: %v, %v; its getter (new%sView in filter_eval.go) reads another field",
				g.Field, expr, g.Field, Match(f, r), Match(f, other), rt.name)
		}
		path, err := rt.parseSortBy(g.ref.path())
		if err != nil {
			t.Errorf("%s: cannot sort by %s: %v", g.Field, g.ref.path(), err)
			continue
		}
		// other sorts after r, except for a bool, whose variant 1 is false.
		first, second := r, other
		if g.Kind == attrtest.Bool {
			first, second = other, r
		}
		for _, desc := range []bool{false, true} {
			rs := []*R{second, first}
			if desc {
				rs = []*R{first, second}
			}
			sortResources(rt, rs, path, desc)
			if want := map[bool]*R{false: first, true: second}[desc]; rs[0] != want {
				t.Errorf("%s: sorting by %s (descending %v) does not order it by the field: its sort key (sortKeyFunc in sort.go, with the getters of new%sView in filter_eval.go) reads another field", g.Field, path, desc, rt.name)
			}
		}
	}
}

// forEachLeafAttribute calls fn with the canonical path of every simple
// attribute and sub-attribute of rt's schemas.
func forEachLeafAttribute(rt *resourceType, fn func(path string)) {
	walk := func(prefix string, attrs []*Attribute) {
		for _, a := range attrs {
			if len(a.SubAttributes) == 0 {
				fn(prefix + a.Name)
			}
			for _, s := range a.SubAttributes {
				fn(prefix + a.Name + "." + s.Name)
			}
		}
	}
	walk("", commonAttrs)
	walk("", rt.schema.Attributes)
	for _, x := range rt.extensions {
		walk(x.schema.ID+":", x.schema.Attributes)
	}
}

// docValue returns the value at ref in a document or a decoded JSON
// resource; a multi-valued attribute's sub-attribute is taken from its
// first item.
func docValue(doc map[string]any, ref attrRef) (any, bool) {
	obj := doc
	if ref.ext() {
		obj, _ = doc[ref.schema.ID].(map[string]any)
	}
	v, ok := obj[ref.attr.Name]
	if !ok || ref.sub == nil {
		return v, ok
	}
	if l, isList := v.([]any); isList {
		if len(l) == 0 {
			return nil, false
		}
		v = l[0]
	}
	m, _ := v.(map[string]any)
	v, ok = m[ref.sub.Name]
	return v, ok
}
