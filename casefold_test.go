package scim_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// FoldKey agrees with strings.EqualFold on every pair of runes that fold
// together, and on the letters where lower-casing and folding differ.
func TestFoldKeyAgreesWithEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			require.Equal(t, scim.FoldKey(string(r)), scim.FoldKey(string(f)), "%U and %U fold together", r, f)
		}
		l := unicode.ToLower(r)
		if l != r && !strings.EqualFold(string(r), string(l)) {
			require.NotEqual(t, scim.FoldKey(string(r)), scim.FoldKey(string(l)), "%U lower-cases to %U but does not fold to it", r, l)
		}
	}
	for _, c := range []struct {
		a, b string
	}{
		{"İvan", "ivan"},      // dotted capital I
		{"straße", "strasse"}, // full folding only
		{"\u00e9", "e\u0301"}, // NFC and NFD: no normalisation
		{"alice", "alice "},
	} {
		require.False(t, strings.EqualFold(c.a, c.b))
		require.NotEqual(t, scim.FoldKey(c.a), scim.FoldKey(c.b), "%q and %q", c.a, c.b)
	}
	for _, c := range []struct{ a, b string }{
		{"Alice@Example.COM", "alice@example.com"},
		{"\u212Aelvin", "kelvin"},
		{"ſam", "SAM"},
		{"ΣΊΣΥΦΟΣ", "σίσυφος"},
		{"STRAẞE", "straße"},
	} {
		require.True(t, strings.EqualFold(c.a, c.b))
		require.Equal(t, scim.FoldKey(c.a), scim.FoldKey(c.b), "%q and %q", c.a, c.b)
	}
}

func ExampleFoldKey() {
	fmt.Println(scim.FoldKey("Alice@Example.COM"))
	fmt.Println(scim.FoldKey("\u212Aelvin") == scim.FoldKey("kelvin")) // Kelvin sign
	fmt.Println(scim.FoldKey("İvan") == scim.FoldKey("ivan"))
	// Output:
	// alice@example.com
	// true
	// false
}
