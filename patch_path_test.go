package scim

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var patchPathSamples = []string{
	`emails[type eq "work"].value`,
	`emails[Type Eq "work"].Value`,
	`members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`,
	`members[value eq "x"].$ref`,
	`addresses[type eq "work"].streetAddress`,
	`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`,
	`urn:ietf:params:scim:schemas:extension:acme:2.0:User:things[a eq "b"]`,
	`emails[type eq "work" and value ew "example.com"]`,
	`emails[type eq "a" or type eq "b"]`,
	`emails[not (type eq "work")]`,
	`emails[not(type eq "work")]`,
	`emails[type pr]`,
	`emails[primary eq false]`,
	`emails[display eq null]`,
	`emails[type eq "a\"b\\"].value`,
	`x[n gt 5]`,
	`x[n le -1.5e3]`,
	`x[n ge 0.25]`,
	`x[a.b eq "c"]`,
	`emails[type co "or"]`,
	`emails[ortype eq "x" or notx eq "y"]`,
}

var patchPathRejects = []string{
	`emails[type eq "work"`,
	`emails[type eq "work"].value.x`,
	`emails[type eq "work"] `,
	`emails[type eq work]`,
	`emails[type eq 'work']`,
	`emails[type equals "work"]`,
	`emails[type eq "work"]x`,
	`emails[]`,
	`emails[type eq "x" and]`,
	`emails[(type eq "x"]`,
	`emails[type eq "x\`,
	`emails[type eq "x"]..value`,
	`[type eq "x"]`,
	`1emails[type eq "x"]`,
	`emails[type eq 01]`,
	`emails[type eq -]`,
	`emails[type eq "work"].value eq "x"`,
	`emails[type eq "work"] .value`,
	` emails[type eq "work"]`,
}

func TestParsePatchPathMatchesFilterParser(t *testing.T) {
	for _, s := range patchPathSamples {
		want, err := filter.ParsePathNumber([]byte(s))
		require.NoError(t, err, s)
		got, ok := parsePatchPath(s)
		require.True(t, ok, s)
		assert.True(t, pathEqual(want, got), "%s:\n got %#v\nwant %#v", s, got, want)
	}
	for _, s := range patchPathRejects {
		_, ok := parsePatchPath(s)
		assert.False(t, ok, s)
		_, err := filter.ParsePathNumber([]byte(s))
		assert.Error(t, err, "the filter parser rejects %s too", s)
	}
}

// The filter parser rejects mixed "and"/"or" and parentheses inside a
// value path, which RFC 7644's grammar allows, and extra spaces.
func TestParsePatchPathBeyondFilterParser(t *testing.T) {
	for in, want := range map[string]string{
		`emails[ type  eq  "work"  and  ( value pr ) ].value`:      `emails[type eq "work" and value pr].value`,
		`emails[type eq "a" or type eq "b" and primary eq true]`:   `emails[type eq "a" or type eq "b" and primary eq true]`,
		`emails[(type eq "a" or type eq "b") and primary eq true]`: `emails[(type eq "a" or type eq "b") and primary eq true]`,
		`emails[NOT (type eq "a" and value pr) or display Sw "x"]`: `emails[not(type eq "a" and value pr) or display sw "x"]`,
	} {
		p, ok := parsePatchPath(in)
		require.True(t, ok, in)
		assert.Equal(t, want, p.String(), in)
	}
}

// TestParsePatchPathConventions pins what parsePatchPath does unlike the
// filter parser it shares: no Entra ID rewrite after "].", no bare words,
// no space before "[", numbers as written (they can end up in the
// document), and schema URNs left for resolution to check.
func TestParsePatchPathConventions(t *testing.T) {
	p, ok := parsePatchPath(`emails[type eq "work"].value`)
	require.True(t, ok)
	require.NotNil(t, p.SubAttribute)
	assert.Equal(t, "value", *p.SubAttribute)
	assert.Equal(t, &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "type"}, Operator: filter.EQ, CompareValue: "work"}, p.ValueExpression)

	p, ok = parsePatchPath(`x[n eq -1.5E3 or s eq "a\u00e9\"" or b eq TRUE]`)
	require.True(t, ok)
	or := p.ValueExpression.(*filter.LogicalExpression)
	assert.Equal(t, filter.OR, or.Operator)
	assert.Equal(t, true, or.Right.(*filter.AttributeExpression).CompareValue)
	inner := or.Left.(*filter.LogicalExpression)
	assert.Equal(t, json.Number("-1.5E3"), inner.Left.(*filter.AttributeExpression).CompareValue)
	assert.Equal(t, `a\u00e9\"`, inner.Right.(*filter.AttributeExpression).CompareValue)

	for _, s := range []string{`emails[type eq Employee]`, `emails[type eq 2015-10-10T14:38:21Z]`, `emails[type eq 012]`} {
		_, ok := parsePatchPath(s)
		assert.False(t, ok, "bare word in %s", s)
	}
	_, ok = parsePatchPath(`emails [type eq "work"].value`)
	assert.False(t, ok, "filters, not paths, allow a space before \"[\"")

	const urn = "urn:ietf:params:scim:schemas:extension:my_co:2.0:User"
	p, ok = parsePatchPath(urn + `:tags[value eq "x"].display`)
	require.True(t, ok)
	assert.Equal(t, urn, p.AttributePath.URI())
	assert.Equal(t, "tags", p.AttributePath.AttributeName)
	_, err := parseFilterSyntax(urn + `:tags[value eq "x"]`)
	assert.NoError(t, err, "filters accept the same URN characters")
	_, err = parseFilterSyntax(`urn:ietf:params:scim:schemas:extension:my co:2.0:User:tags[value eq "x"]`)
	assert.Error(t, err, "filters check the URN when parsing")
}

// Nesting is bounded, so no path can exhaust the stack.
func TestParsePatchPathDepth(t *testing.T) {
	nest := func(n int) string {
		return "emails[" + strings.Repeat("(", n) + "type pr" + strings.Repeat(")", n) + "]"
	}
	_, ok := parsePatchPath(nest(maxFilterDepth - 1))
	assert.True(t, ok)
	_, ok = parsePatchPath(nest(maxFilterDepth))
	assert.False(t, ok)
	_, ok = parsePatchPath(nest(1_000_000))
	assert.False(t, ok)
}

// FuzzPatchPath checks parsePatchPath against the filter parser: when
// both accept a path they give the same tree, and every tree the filter
// parser gives, written out in canonical form, parses to the same tree.
// (The filter parser accepts some malformed text, such as a missing space
// after "or", that parsePatchPath rejects.)
func FuzzPatchPath(f *testing.F) {
	for _, s := range append(patchPathSamples, patchPathRejects...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parsePatchPath(s)
		if len(s) > 200 {
			return // the filter parser is quadratic
		}
		want, err := filter.ParsePathNumber([]byte(s))
		if err != nil {
			return
		}
		if ok && !pathEqual(want, got) {
			t.Fatalf("%q:\n got %#v\nwant %#v", s, got, want)
		}
		canon := want.String()
		if strings.ContainsAny(canon, "\\") {
			return // %q re-escapes the raw strings
		}
		if libAgain, err := filter.ParsePathNumber([]byte(canon)); err != nil || !pathEqual(want, libAgain) {
			return // String is not faithful ("eq null" loses null)
		}
		again, ok := parsePatchPath(canon)
		if !ok {
			t.Fatalf("parsePatchPath rejects %q (canonical form of %q)", canon, s)
		}
		if !pathEqual(want, again) {
			t.Fatalf("%q:\n got %#v\nwant %#v", canon, again, want)
		}
	})
}

// pathEqual compares two parsed paths, numbers by value.
func pathEqual(x, y filter.Path) bool {
	return reflect.DeepEqual(numbersAsFloat(reflect.ValueOf(x)), numbersAsFloat(reflect.ValueOf(y)))
}

// numbersAsFloat renders a syntax tree as nested plain values with
// json.Number replaced by float64.
func numbersAsFloat(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return numbersAsFloat(v.Elem())
	case reflect.Struct:
		out := map[string]any{"type": v.Type().String()}
		for i := range v.NumField() {
			out[v.Type().Field(i).Name] = numbersAsFloat(v.Field(i))
		}
		return out
	case reflect.String:
		if n, ok := v.Interface().(json.Number); ok {
			f, _ := strconv.ParseFloat(string(n), 64)
			return f
		}
		return v.String()
	default:
		return v.Interface()
	}
}
