// Package attrtest fills every field of a resource struct by reflection,
// for the tests that guard the places each SCIM attribute must reach:
// document conversion, the encoder and the decoder, filter getters,
// sorting, and every store's columns and codec. Its values name their own
// field, so a place that reads the wrong field shows which one it read;
// and each field can be changed alone, so a test can check that a filter
// or a sort tells that field from all the others.
//
// It knows nothing of the scim package's types (the package's own tests
// use it too, and it must not import what imports it), only Go's: string,
// bool, time.Time, pointers to structs, slices of structs, and the
// spelling rules that turn a Go field name into a SCIM attribute name.
package attrtest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// EnterpriseUserSchema is the URN under which a User's Enterprise field
// lives (RFC 7643 §4.3).
const EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// Kind is the Go type of a leaf field.
type Kind int

// The kinds of leaf fields.
const (
	String Kind = iota
	Bool
	Time
)

// Leaf is one field that holds a value: a string, a bool, a *bool or a
// time.Time, inside the struct, a struct it points to, or the one element
// Fill puts in each slice.
type Leaf struct {
	// Field is the Go path of the field, such as "User.Name.GivenName" or
	// "User.Emails[0].Value".
	Field string
	// Path is the SCIM attribute path of the field, in lower case (SCIM
	// matches attribute names case-insensitively): "name.givenname",
	// "emails.value", "emails.$ref", or
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
	Path string
	// Kind is the field's type.
	Kind Kind
	// Multi reports that the field is in an element of a slice: a
	// sub-attribute of a multi-valued attribute.
	Multi bool

	index []int // field indexes from the struct down
}

// Fill sets every leaf field of the struct p points to, allocating what
// its pointers point to and giving each slice one element, and returns the
// leaves in the order of the fields. Fields named in skip (by Go path, such
// as "User.Extensions") are left alone. It returns an error naming the
// field if one has a type it does not know, so that a new field of a new
// type asks for this package to learn it rather than go unchecked.
func Fill(p any, skip ...string) ([]Leaf, error) {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("attrtest: Fill wants a pointer to a struct, not %T", p)
	}
	s := v.Elem()
	var leaves []Leaf
	err := fill(s, s.Type().Name(), "", false, nil, skip, &leaves)
	for i := range leaves {
		Set(p, leaves[i], 0)
	}
	return leaves, err
}

func fill(s reflect.Value, field, path string, multi bool, index []int, skip []string, leaves *[]Leaf) error {
	t := s.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fp := field + "." + f.Name
		if contains(skip, fp) {
			continue
		}
		ap := path + scimName(f.Name)
		sub := ap + "."
		if strings.HasSuffix(ap, ":") {
			sub = ap // an extension's attributes follow its URN
		}
		idx := append(index[:len(index):len(index)], i)
		leaf := Leaf{Field: fp, Path: ap, Multi: multi, index: idx}
		fv := s.Field(i)
		switch {
		case f.Type.Kind() == reflect.String:
			leaf.Kind = String
		case f.Type.Kind() == reflect.Bool, f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Bool:
			leaf.Kind = Bool
		case f.Type == reflect.TypeFor[time.Time]():
			leaf.Kind = Time
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			fv.Set(reflect.New(f.Type.Elem()))
			if err := fill(fv.Elem(), fp, sub, multi, idx, skip, leaves); err != nil {
				return err
			}
			continue
		case f.Type.Kind() == reflect.Struct:
			if err := fill(fv, fp, sub, multi, idx, skip, leaves); err != nil {
				return err
			}
			continue
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			fv.Set(reflect.MakeSlice(f.Type, 1, 1))
			if err := fill(fv.Index(0), fp+"[0]", sub, true, idx, skip, leaves); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("attrtest: %s is a %s, which Fill does not know: teach internal/attrtest its values, or skip the field and check it elsewhere", fp, f.Type)
		}
		*leaves = append(*leaves, leaf)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scimName returns the SCIM attribute name of a Go field name, in lower
// case: ProfileURL is "profileurl", Ref is "$ref", Enterprise is the
// Enterprise User extension's URN followed by ':'.
func scimName(goName string) string {
	switch goName {
	case "Ref":
		return "$ref"
	case "Enterprise":
		return strings.ToLower(EnterpriseUserSchema) + ":"
	}
	return strings.ToLower(goName)
}

// field returns the leaf's field in the struct p points to, creating the
// element and the structs on the way when create is set.
func field(p any, l Leaf, create bool) (reflect.Value, bool) {
	v := reflect.ValueOf(p).Elem()
	for n, idx := range l.index {
		v = v.Field(idx)
		if n == len(l.index)-1 {
			break
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				if !create {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		case reflect.Slice:
			if v.Len() == 0 {
				if !create {
					return reflect.Value{}, false
				}
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			}
			v = v.Index(0)
		}
	}
	return v, true
}

// Value returns the value Set gives the leaf: variant 0 is the value Fill
// sets, and variant 1 differs from it and sorts after it (for a bool, it
// is false, which sorts before true). A string is the leaf's Go path
// without punctuation, padded to valid base64 (for binary attributes)
// with "A"; its variant 1 appends "zzzz".
func (l Leaf) Value(variant int) any {
	switch l.Kind {
	case Bool:
		return variant == 0
	case Time:
		// A distinct whole second per field, so that two time fields
		// never hold the same instant.
		var h time.Duration
		for _, c := range l.Field {
			h = (h*31 + time.Duration(c)) % (24 * 3600)
		}
		t := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC).Add(h * time.Second)
		if variant != 0 {
			t = t.Add(time.Hour)
		}
		return t
	}
	var b strings.Builder
	b.WriteByte('v')
	for _, c := range l.Field {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	for b.Len()%4 != 0 {
		b.WriteByte('A')
	}
	if variant != 0 {
		b.WriteString("zzzz")
	}
	return b.String()
}

// Set sets the leaf of the struct p points to to its value of the given
// variant (see [Leaf.Value]).
func Set(p any, l Leaf, variant int) { SetValue(p, l, l.Value(variant)) }

// SetValue sets the leaf of the struct p points to to v, a value of the
// leaf's kind.
func SetValue(p any, l Leaf, value any) {
	v, _ := field(p, l, true)
	x := reflect.ValueOf(value)
	if v.Kind() == reflect.Pointer {
		b := reflect.New(v.Type().Elem())
		b.Elem().Set(x)
		v.Set(b)
		return
	}
	v.Set(x)
}

// Clear sets the leaf of the struct p points to to its zero value.
func Clear(p any, l Leaf) {
	if v, ok := field(p, l, false); ok {
		v.Set(reflect.Zero(v.Type()))
	}
}

// Get returns the leaf's value in the struct p points to (a *bool as its
// bool), and false if it or a pointer or slice on its way is unset.
func Get(p any, l Leaf) (any, bool) {
	v, ok := field(p, l, false)
	if !ok {
		return nil, false
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	return v.Interface(), true
}

// Literal returns the leaf's value of the given variant as it appears in
// a filter (see [Literal]).
func (l Leaf) Literal(variant int) string { return Literal(l.Value(variant)) }

// Literal returns a leaf's value as it appears in a filter: a JSON string,
// true or false, or an xsd:dateTime in quotes.
func Literal(v any) string {
	switch x := v.(type) {
	case bool:
		return fmt.Sprint(x)
	case time.Time:
		return `"` + x.Format(time.RFC3339) + `"`
	default:
		return fmt.Sprintf("%q", x)
	}
}
