package scim

import "strings"

// badTextTokens are what the fuzz targets put in string positions: NUL and
// invalid UTF-8, raw and as JSON escapes (a lone surrogate escape decodes
// to U+FFFD, silently).
var badTextTokens = []string{"\x00", "\xff", "\xc0\x80", "\xed\xa0\x80", "a\xe2\x82", `\u0000`, `\ud800`, `\udfff`, `\uD83D\u0041`}

// BadTextVariants returns copies of s, a JSON text or a filter, with each
// bad-text token inserted at the start and at the end of every string
// literal in it (keys included), and at its start. The fuzz targets seed
// their corpus with them, so that NUL and invalid UTF-8 reach every string
// position of their seeds from the first run.
func BadTextVariants(s string) []string {
	var at []int // positions right after an opening or before a closing quote
	in := false
	for i := 0; i < len(s); i++ {
		switch {
		case in && s[i] == '\\':
			i++
		case s[i] == '"':
			at = append(at, i+boolInt(!in))
			in = !in
		}
	}
	out := make([]string, 0, (len(at)+1)*len(badTextTokens))
	for _, tok := range badTextTokens {
		out = append(out, tok+s)
		for _, i := range at {
			out = append(out, s[:i]+tok+s[i:])
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// HasBadText reports whether b, a JSON text (or a filter), holds what
// must never be stored: invalid UTF-8, NUL (raw or escaped), an escaped
// lone surrogate, or U+FFFD when sent, the request, did not hold one (the
// mark of text a decoder replaced).
func HasBadText(b, sent []byte) bool {
	if checkJSONText(b) != nil || strings.IndexByte(string(b), 0) >= 0 {
		return true
	}
	s := string(b)
	if strings.Contains(s, "\ufffd") || hasFold(s, `\ufffd`) {
		return !strings.Contains(string(sent), "\ufffd") && !hasFold(string(sent), `\ufffd`)
	}
	return false
}

func hasFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
