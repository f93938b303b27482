package storetest

import (
	"testing"

	"github.com/scimkit/scim"
)

// The checks' predicates decide as testify's do for the values the suite
// gives them.
func TestCheckPredicates(t *testing.T) {
	var nilUser *scim.User
	for _, c := range []struct {
		v    any
		want bool
	}{
		{nil, true}, {"", true}, {[]string{}, true}, {[]string(nil), true}, {map[string]int{}, true},
		{0, true}, {nilUser, true}, {&scim.User{}, true}, {scim.Meta{}, true},
		{"x", false}, {[]int{0}, false}, {1, false}, {&scim.User{ID: "1"}, false},
	} {
		if got := empty(c.v); got != c.want {
			t.Errorf("empty(%#v) = %v, want %v", c.v, got, c.want)
		}
	}
	if !equal([]byte("a"), []byte("a")) || equal([]byte("a"), "a") || !equal(&scim.Name{GivenName: "a"}, &scim.Name{GivenName: "a"}) || equal(1, int64(1)) {
		t.Error("equal does not compare as reflect.DeepEqual, with []byte by content")
	}
	if !contains([]string{"a", "b"}, "b") || contains([]string{"a"}, "b") || !contains("abc", "bc") || contains("abc", "x") {
		t.Error("contains does not find elements of slices and substrings of strings")
	}
}
