package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scim2/filter-parser/v2"
)

// This file holds the comparison primitives that both evaluators (typed
// structs and canonical documents) and sorting share. None allocates.

// cmpOp is a comparison operator other than pr and ne (ne is the negation
// of eq, applied by the evaluators so that it also holds for unassigned
// attributes and multi-valued attributes without an equal item).
type cmpOp uint8

const (
	opEq cmpOp = iota
	opCo
	opSw
	opEw
	opGt
	opGe
	opLt
	opLe
)

// valueKind is the kind of value an attribute holds, for comparisons.
type valueKind uint8

const (
	kindString valueKind = iota
	kindBool
	kindInteger
	kindDecimal
	kindTime
)

func kindOf(a *Attribute) valueKind {
	switch a.typ() {
	case TypeBoolean:
		return kindBool
	case TypeInteger:
		return kindInteger
	case TypeDecimal:
		return kindDecimal
	case TypeDateTime:
		return kindTime
	}
	return kindString
}

// comparer is one comparison (operator and typed value) against which the
// evaluators test attribute values.
type comparer struct {
	op   cmpOp
	kind valueKind
	// fold makes string comparisons case-insensitive.
	fold bool
	// ascii says that s is ASCII, so that case-insensitive substring
	// searches can take a byte-wise path on ASCII input.
	ascii bool
	s     string
	// lower is s in lower case when fold and ascii.
	lower string
	b     bool
	i     int64
	f     float64
	t     time.Time
}

// newComparer builds the comparer of a normalized comparison of target
// (op is not pr; ne must be turned into eq by the caller).
func newComparer(target *Attribute, op filter.CompareOperator, v any) comparer {
	c := comparer{kind: kindOf(target), fold: !target.CaseExact}
	switch op {
	case filter.CO:
		c.op = opCo
	case filter.SW:
		c.op = opSw
	case filter.EW:
		c.op = opEw
	case filter.GT:
		c.op = opGt
	case filter.GE:
		c.op = opGe
	case filter.LT:
		c.op = opLt
	case filter.LE:
		c.op = opLe
	}
	switch x := v.(type) {
	case string:
		c.s = x
		c.ascii = isASCII(x)
		if c.fold && c.ascii {
			c.lower = strings.ToLower(x)
		}
	case bool:
		c.b = x
	case int64:
		c.i = x
		c.f = float64(x)
	case float64:
		c.f = x
	case time.Time:
		c.t = x
	}
	return c
}

// order reports whether r, the result of comparing an attribute value with
// the compare value (-1, 0, +1), satisfies the operator.
func (c *comparer) order(r int) bool {
	switch c.op {
	case opEq:
		return r == 0
	case opGt:
		return r > 0
	case opGe:
		return r >= 0
	case opLt:
		return r < 0
	case opLe:
		return r <= 0
	}
	return false
}

// str tests an assigned string value.
func (c *comparer) str(s string) bool {
	switch c.op {
	case opEq:
		if c.fold {
			return strings.EqualFold(s, c.s)
		}
		return s == c.s
	case opCo:
		if !c.fold {
			return strings.Contains(s, c.s)
		}
		if c.ascii && isASCII(s) {
			return containsLowerASCII(s, c.lower)
		}
		return containsFold(s, c.s)
	case opSw:
		if c.fold {
			return hasPrefixFold(s, c.s)
		}
		return strings.HasPrefix(s, c.s)
	case opEw:
		if c.fold {
			return hasSuffixFold(s, c.s)
		}
		return strings.HasSuffix(s, c.s)
	}
	return c.order(compareStrings(s, c.s, c.fold))
}

// boolean tests an assigned boolean value (eq only).
func (c *comparer) boolean(b bool) bool { return c.op == opEq && b == c.b }

// integer tests an assigned integer value.
func (c *comparer) integer(i int64) bool {
	if c.kind == kindDecimal {
		return c.decimal(float64(i))
	}
	switch {
	case i < c.i:
		return c.order(-1)
	case i > c.i:
		return c.order(1)
	}
	return c.order(0)
}

// decimal tests an assigned decimal value.
func (c *comparer) decimal(f float64) bool {
	switch {
	case f < c.f:
		return c.order(-1)
	case f > c.f:
		return c.order(1)
	case f == c.f:
		return c.order(0)
	}
	return false // NaN
}

// instant tests an assigned dateTime value.
func (c *comparer) instant(t time.Time) bool { return c.order(t.Compare(c.t)) }

// value tests a value in canonical document form (string, bool,
// json.Number; also float64, int, int64 and time.Time); nil and the empty
// string are unassigned and fail every test.
func (c *comparer) value(v any) bool {
	switch x := v.(type) {
	case string:
		switch c.kind {
		case kindString:
			return x != "" && c.str(x)
		case kindTime:
			t, err := time.Parse(time.RFC3339Nano, x)
			return err == nil && c.instant(t)
		}
	case bool:
		return c.kind == kindBool && c.boolean(x)
	case json.Number:
		switch c.kind {
		case kindInteger:
			if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return c.integer(i)
			}
			f, err := strconv.ParseFloat(string(x), 64)
			return err == nil && c.decimal(f)
		case kindDecimal:
			f, err := strconv.ParseFloat(string(x), 64)
			return err == nil && c.decimal(f)
		}
	case float64:
		return (c.kind == kindInteger || c.kind == kindDecimal) && c.decimal(x)
	case int:
		return (c.kind == kindInteger || c.kind == kindDecimal) && c.integer(int64(x))
	case int64:
		return (c.kind == kindInteger || c.kind == kindDecimal) && c.integer(x)
	case time.Time:
		return c.kind == kindTime && !x.IsZero() && c.instant(x)
	}
	return false
}

// present reports whether a document value is assigned: not nil, not an
// empty string, list or object.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case []map[string]any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// containsLowerASCII reports whether the ASCII string s contains lower (an
// ASCII string in lower case), ignoring case.
func containsLowerASCII(s, lower string) bool {
	n := len(lower)
	if n == 0 {
		return true
	}
	c0 := lower[0]
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != c0 {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == lower[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

// containsFold reports whether substr is within s under Unicode simple
// case folding, as strings.EqualFold defines it.
func containsFold(s, substr string) bool {
	if isASCII(s) && isASCII(substr) {
		n := len(substr)
		if n == 0 {
			return true
		}
		c0 := lowerASCII(substr[0])
		for i := 0; i+n <= len(s); i++ {
			if lowerASCII(s[i]) == c0 && strings.EqualFold(s[i:i+n], substr) {
				return true
			}
		}
		return false
	}
	for i := range s {
		if hasPrefixFold(s[i:], substr) {
			return true
		}
	}
	return substr == ""
}

// hasPrefixFold reports whether s begins with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return true
	}
	if isASCII(s) && isASCII(prefix) {
		return false
	}
	// Folding can change a rune's encoded length (K and the Kelvin sign).
	for prefix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

// hasSuffixFold reports whether s ends with suffix, ignoring case.
func hasSuffixFold(s, suffix string) bool {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return true
	}
	if isASCII(s) && isASCII(suffix) {
		return false
	}
	for suffix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeLastRuneInString(s)
		r2, n2 := utf8.DecodeLastRuneInString(suffix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}

// equalFoldRune reports whether r and t are equal under simple case
// folding (the rule of strings.EqualFold).
func equalFoldRune(r, t rune) bool {
	if r == t {
		return true
	}
	if t < r {
		r, t = t, r
	}
	if t < utf8.RuneSelf {
		return 'A' <= r && r <= 'Z' && t == r+'a'-'A'
	}
	f := unicode.SimpleFold(r)
	for f != r && f < t {
		f = unicode.SimpleFold(f)
	}
	return f == t
}

// foldRune maps r to a representative of its case-folding class, for
// ordering.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(lowerASCII(byte(r)))
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// compareStrings compares a and b, ignoring case if fold, and returns -1,
// 0 or +1.
func compareStrings(a, b string, fold bool) int {
	if !fold {
		return strings.Compare(a, b)
	}
	for a != "" && b != "" {
		var ra, rb rune
		if a[0] < utf8.RuneSelf && b[0] < utf8.RuneSelf {
			ra, rb = rune(lowerASCII(a[0])), rune(lowerASCII(b[0]))
			a, b = a[1:], b[1:]
		} else {
			var na, nb int
			ra, na = utf8.DecodeRuneInString(a)
			rb, nb = utf8.DecodeRuneInString(b)
			a, b = a[na:], b[nb:]
			if equalFoldRune(ra, rb) {
				continue
			}
			ra, rb = foldRune(ra), foldRune(rb)
		}
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}
