package scim

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseFilter checks that no input makes parsing or matching panic,
// that every error is an invalidFilter *Error, and that an accepted
// filter prints as a filter that parses back to itself. The seed corpus is
// in testdata/fuzz/FuzzParseFilter.
func FuzzParseFilter(f *testing.F) {
	users, groups := filterTestUsers(), filterTestGroups()
	// NUL and invalid UTF-8 in every string of a filter, raw and escaped.
	for _, s := range BadTextVariants(`emails[type eq "work" and value co "@x"] or userName sw "b" and not (title ew "r")`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, rt := range []*resourceType{filterUserType, newResourceType("Group", nil)} {
			flt, err := rt.parseFilter(expr)
			if err != nil {
				se, ok := err.(*Error)
				require.True(t, ok, "%T", err)
				require.Equal(t, ScimTypeInvalidFilter, se.ScimType)
				continue
			}
			if HasBadText([]byte(expr), []byte(expr)) {
				t.Fatalf("accepted a filter with NUL or invalid UTF-8: %q", expr)
			}
			for _, u := range users {
				Match(flt, u)
			}
			for _, g := range groups {
				Match(flt, g)
			}
			s := flt.String()
			again, err := rt.parseFilter(s)
			require.NoError(t, err, "String() = %q", s)
			assert.Equal(t, s, again.String())
			ApplyQuery(users, &Query{Filter: flt, StartIndex: 1, Count: 2, SortBy: "userName"})
		}
	})
}

// FuzzParserAgreement checks that every filter filter.ParseFilterNumber
// accepts parses to the same tree here, except where filter-parser is
// laxer than RFC 7644's grammar on purpose: invalid UTF-8, strings that
// hold NUL or escape a lone UTF-16 surrogate (refused here, as stores
// cannot keep them; issue 10), and, inside a
// value path, "and"/"or" run into its neighbours ("andA co", "0or A",
// "\"\"or$A"), where the RFC asks for a space on each side (logExp =
// FILTER SP "and" SP FILTER). This package refuses those with
// invalidFilter; the test then requires that the same filter with the
// spaces put in, if it parses, parses to filter-parser's tree.
func FuzzParserAgreement(f *testing.F) {
	for _, s := range parserAgreementCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		want, err := parseWithFilterParser(expr)
		if err != nil || !utf8.ValidString(expr) {
			return
		}
		got, err := parseFilterSyntax(expr)
		if err != nil && unkeepableText.MatchString(expr) {
			var se *Error
			require.ErrorAs(t, err, &se)
			require.Equal(t, ScimTypeInvalidFilter, se.ScimType)
			return
		}
		if spaced := spaceOperators(expr); err != nil && spaced != expr {
			var se *Error
			require.ErrorAs(t, err, &se)
			require.Equal(t, ScimTypeInvalidFilter, se.ScimType)
			// With the spaces the RFC asks for, the filter must mean what
			// filter-parser read, when it parses at all (the spacing is a
			// heuristic: it cannot tell every name from an operator).
			if got, err = parseFilterSyntax(spaced); err != nil {
				return
			}
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}

// unkeepableText matches a NUL, raw or escaped, or an escaped UTF-16
// surrogate, which a filter string refuses when it is not half of a pair.
var unkeepableText = regexp.MustCompile(`(?i)\x00|\\u0000|\\ud[89a-f][0-9a-f]{2}`)

// spaceOperators puts a space between a logical operator and the attribute
// name run into it ("andA" after a value, "]" or ")"), which filter-parser
// accepts in a value path, leaving string literals as they are: in
// A[A eq "orA"AndA co ""] only the second "And" gets its space.
func spaceOperators(expr string) string {
	var b strings.Builder
	inString, escaped := false, false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		b.WriteByte(c)
		switch {
		case inString && escaped:
			escaped = false
			continue
		case inString && c == '\\':
			escaped = true
			continue
		case c == '"':
			inString = !inString
			if inString {
				continue
			}
		case inString:
			continue
		}
		// c is outside a string literal, or the quote that closed one. An
		// operator can follow only a whole comparison: a value, "]" or ")".
		// A number can have the operator run into it on both sides ("0orA").
		number := c >= '0' && c <= '9'
		if !number && !strings.ContainsRune(" \t\r\n])\"", rune(c)) || !endsComparison(expr[:i+1]) {
			continue
		}
		rest := strings.ToLower(expr[i+1:])
		for _, op := range []string{"and", "or"} {
			if !strings.HasPrefix(rest, op) || len(rest) == len(op) {
				continue
			}
			runIn := isASCIILetter(rest[len(op)]) || rest[len(op)] == '$'
			if runIn || number && strings.ContainsRune(" \t\r\n", rune(rest[len(op)])) {
				if number {
					b.WriteByte(' ')
				}
				b.WriteString(expr[i+1 : i+1+len(op)])
				if runIn {
					b.WriteByte(' ')
				}
				i += len(op)
				break
			}
		}
	}
	return b.String()
}

// endsComparison reports whether before, the text outside string literals
// up to a possible operator, ends a comparison: a closing quote, "]" or
// ")", a number, or whitespace after true, false, null, a number or "pr". After
// "or " comes an attribute, which may itself begin with "or" ("orA").
func endsComparison(before string) bool {
	last := before[len(before)-1]
	if last == '"' || last == ']' || last == ')' {
		return true
	}
	if last >= '0' && last <= '9' {
		start := strings.LastIndexAny(before, " \t\r\n([") + 1
		_, err := strconv.ParseFloat(before[start:], 64)
		return err == nil && start > 0 && strings.TrimSpace(before[:start]) != ""
	}
	word := strings.TrimRight(before, " \t\r\n")
	if len(word) == len(before) || word == "" {
		return false
	}
	if c := word[len(word)-1]; c == '"' || c == ']' || c == ')' {
		return true
	}
	start := strings.LastIndexAny(word, " \t\r\n([") + 1
	switch w := strings.ToLower(word[start:]); w {
	case "true", "false", "null", "pr":
		return true
	default:
		_, err := strconv.ParseFloat(w, 64)
		return err == nil
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// parseWithFilterParser runs filter.ParseFilterNumber, treating its panics
// as errors.
func parseWithFilterParser(expr string) (e filter.Expression, err error) {
	defer func() {
		if recover() != nil {
			e, err = nil, assert.AnError
		}
	}()
	return filter.ParseFilterNumber([]byte(expr))
}
