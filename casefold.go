package scim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FoldKey returns the key under which s is compared case-insensitively,
// the one rule that every case-insensitive comparison of scimkit follows:
// userName uniqueness, filters (eq, co, sw, ew on attributes that are not
// caseExact), group member values. It is Unicode simple case folding, the
// relation of [strings.EqualFold]: FoldKey(a) == FoldKey(b) exactly when
// strings.EqualFold(a, b). So "K", "k" and the Kelvin sign share a key, as
// do "S", "s" and "ſ"; "ß" and "ss" do not (that is full case folding), nor
// do "İ" (capital I with dot) and "i", which strings.ToLower would merge.
//
// No Unicode normalisation applies: "é" written as one code point (NFC)
// and as "e" followed by a combining acute accent (NFD) are different
// strings, as they are to the evaluator and to a database's unique index.
// Identity providers send NFC; a client that mixes forms gets two users.
//
// A store that keeps case-insensitive indexes (a userName key column, say)
// stores FoldKey of the value, so that its uniqueness agrees with the
// handler's lookups. A key is not meant for display, and keys order as
// lower-cased strings do for all but a handful of letters.
func FoldKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return foldKeySlow(s, i)
		}
	}
	// Lower-case ASCII, the common case for user names and ids, is its own
	// key: an index shares the string instead of allocating.
	return s
}

func foldKeySlow(s string, from int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:from])
	for _, r := range s[from:] {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(foldKeyRune(r))
	}
	return b.String()
}

// foldKeyRune returns the lower case of the smallest rune of r's simple
// folding orbit, or the smallest rune itself when its lower case lies
// outside the orbit (İ lower-cases to i, yet strings.EqualFold("İ", "i") is
// false).
func foldKeyRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	l := unicode.ToLower(m)
	if l == m {
		return m
	}
	for f := unicode.SimpleFold(m); f != m; f = unicode.SimpleFold(f) {
		if f == l {
			return l
		}
	}
	return m
}
