package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Text the handler accepts from a client: every string of a request (the
// path, query parameters, JSON bodies, filters) must be valid UTF-8 without
// NUL (U+0000). Such text cannot be stored faithfully by every store
// (PostgreSQL refuses NUL in text, and a JSON decoder silently replaces
// invalid UTF-8 with U+FFFD), so it is refused with 400 before anything
// runs, rather than stored changed or answered with a 500.

// MaxQueryParameters is the largest number of query parameters ("&"-separated
// pairs, empty ones included) a request may carry; more is 400
// invalidValue, never a request read as if it had none. SCIM requests use at
// most seven (RFC 7644 §3.4.2), plus the odd feature flag of an identity
// provider, so the limit only refuses requests that were built to cost.
const MaxQueryParameters = 100

// validText reports whether s is valid UTF-8 without NUL.
func validText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// checkRequestPath refuses a request path (already unescaped, as in
// r.URL.Path: "/Users/ab%00cd" arrives as "/Users/ab\x00cd") that is not
// valid text.
func checkRequestPath(path string) error {
	if !validText(path) {
		return errInvalidValue("the request path must be valid UTF-8 without NUL characters")
	}
	return nil
}

// checkQuery refuses a query string that the handler could not read
// faithfully: more than MaxQueryParameters parameters (url.ParseQuery would
// drop them all, filter included), a parameter the handler reads whose
// value has a bad %-escape or a raw ';' (url.ParseQuery skips such pairs,
// so a filter would silently disappear), and any parameter whose name or
// value is not valid text. Errors are 400: invalidFilter for the filter,
// invalidValue otherwise. Unknown parameters are otherwise ignored, as RFC
// 7644 §3.4.2 suggests.
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	if strings.Count(raw, "&") >= MaxQueryParameters {
		return errInvalidValue("the query string has more than %d parameters", MaxQueryParameters)
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, kerr := url.QueryUnescape(k)
		if kerr != nil {
			key = k
		}
		bad := errInvalidValue
		i := argIndex(key)
		if i == argFilter {
			bad = errInvalidFilter
		}
		known := kerr == nil && i >= 0
		if known && strings.IndexByte(pair, ';') >= 0 {
			return bad("query parameter %q: escape ';' as %%3B", argNames[i])
		}
		valid, escOK := unescapedText(v)
		if !escOK {
			if known {
				return bad("query parameter %q has an invalid %%-escape", argNames[i])
			}
			valid = validText(v)
		}
		if !validText(key) || !valid {
			return bad("query parameters must be valid UTF-8 without NUL characters")
		}
	}
	return nil
}

// unescapedText reports whether v, a query-string value, unescapes (as
// url.QueryUnescape does) to valid text, and whether its %-escapes are
// valid, without allocating for values of up to 256 bytes.
func unescapedText(v string) (valid, escapesOK bool) {
	if strings.IndexByte(v, '%') < 0 {
		return validText(v), true // '+' for a space changes nothing here
	}
	var stack [256]byte
	b := stack[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) || !isHexDigit(v[i+1]) || !isHexDigit(v[i+2]) {
				return false, false
			}
			c = hexValue(v[i+1])<<4 | hexValue(v[i+2])
			i += 2
		}
		b = append(b, c)
	}
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b), true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexValue(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// checkRequestText refuses a request whose path or query string is not
// valid text (see checkRequestPath and checkQuery).
func checkRequestText(r *http.Request) error {
	if err := checkRequestPath(r.URL.Path); err != nil {
		return err
	}
	return checkQuery(r.URL.RawQuery)
}

// checkJSONText refuses a JSON body that is not valid UTF-8 (RFC 8259 §8.1:
// 400 invalidSyntax), or whose strings escape NUL ("\u0000") or a lone
// UTF-16 surrogate ("\ud800", which decoders replace with U+FFFD): 400
// invalidValue. It does not check the rest of the JSON syntax, which the
// decoder does.
func checkJSONText(body []byte) error {
	if _, err := badJSONText(body); err != nil {
		return err
	}
	return nil
}

// badJSONText is checkJSONText that also returns the offset of the escape
// it refuses (0 for invalid UTF-8).
func badJSONText(body []byte) (int, *Error) {
	if !utf8.Valid(body) {
		return 0, errInvalidSyntax("the request body is not valid UTF-8")
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		// A backslash only occurs inside JSON strings.
		i++
		if i >= len(body) || body[i] != 'u' {
			continue
		}
		r, ok := hex4(body, i+1)
		if !ok {
			continue
		}
		at := i
		i += 4
		switch {
		case r == 0:
			return at, errInvalidValue("strings in the request body must not contain NUL (\\u0000)")
		case r >= 0xDC00 && r <= 0xDFFF:
			return at, errInvalidValue("the request body escapes a lone UTF-16 surrogate (\\u%04x)", r)
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate must be followed by an escaped low one.
			if i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				if lo, ok := hex4(body, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return at, errInvalidValue("the request body escapes a lone UTF-16 surrogate (\\u%04x)", r)
		}
	}
	return 0, nil
}

// inMember reports whether offset pos of body, a JSON object, lies in the
// value of its top-level member called name (case-insensitively).
func inMember(body []byte, name string, pos int) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		start := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		if key, _ := k.(string); strings.EqualFold(key, name) && int64(pos) >= start && int64(pos) < dec.InputOffset() {
			return true
		}
	}
	return false
}

// hex4 decodes the four hex digits at b[i:].
func hex4[T string | []byte](b T, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for j := i; j < i+4; j++ {
		c := b[j]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
