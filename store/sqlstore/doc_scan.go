package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/scimkit/scim"
)

// The JSON reader under the doc column's decoder (doc_decode.go): it
// checks syntax as encoding/json's scanner does and unquotes strings as
// encoding/json does.

// errDoc is the error of a malformed stored document. It names no content:
// the document is data, and errors may reach logs.
var errDoc = errors.New("malformed stored document")

// maxDocDepth is encoding/json's nesting limit.
const maxDocDepth = 10000

// docReader reads one JSON document held in a string, so that strings
// without escapes are substrings of it rather than copies.
type docReader struct {
	s string
	i int
}

func (r *docReader) fail() error { return fmt.Errorf("sqlstore: %w at offset %d", errDoc, r.i) }

func (r *docReader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *docReader) peek() byte {
	r.ws()
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

// literal consumes lit (true, false or null) at r.i.
func (r *docReader) literal(lit string) error {
	if !strings.HasPrefix(r.s[r.i:], lit) {
		return r.fail()
	}
	r.i += len(lit)
	return nil
}

// str reads the string starting at r.i ('"') and returns its value, as
// encoding/json unquotes it.
func (r *docReader) str() (string, error) {
	start := r.i + 1
	for i := start; i < len(r.s); {
		c := r.s[i]
		switch {
		case c == '"':
			r.i = i + 1
			return r.s[start:i], nil
		case c == '\\' || c < ' ':
			return r.strSlow(start, i)
		case c < utf8.RuneSelf:
			i++
		default:
			rr, size := utf8.DecodeRuneInString(r.s[i:])
			if rr == utf8.RuneError && size == 1 {
				return r.strSlow(start, i)
			}
			i += size
		}
	}
	r.i = len(r.s)
	return "", r.fail()
}

// strSlow finishes a string with escapes, control characters or invalid
// UTF-8 whose plain prefix is r.s[start:i].
func (r *docReader) strSlow(start, i int) (string, error) {
	b := make([]byte, 0, len(r.s)-start)
	b = append(b, r.s[start:i]...)
	for i < len(r.s) {
		c := r.s[i]
		switch {
		case c == '"':
			r.i = i + 1
			return string(b), nil
		case c < ' ':
			r.i = i
			return "", r.fail()
		case c == '\\':
			if i+1 >= len(r.s) {
				r.i = i
				return "", r.fail()
			}
			switch e := r.s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(r.s[i+2:])
				if rr < 0 {
					r.i = i
					return "", r.fail()
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					// A pair is two escapes; anything else leaves
					// U+FFFD and the next escape is read on its own.
					if len(r.s) >= i+2 && r.s[i] == '\\' && r.s[i+1] == 'u' {
						if rr1 := hex4(r.s[i+2:]); rr1 >= 0 {
							if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
								b = utf8.AppendRune(b, dec)
								i += 6
								continue
							}
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default:
				r.i = i
				return "", r.fail()
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			rr, size := utf8.DecodeRuneInString(r.s[i:])
			b = utf8.AppendRune(b, rr) // U+FFFD for an invalid byte
			i += size
		}
	}
	r.i = len(r.s)
	return "", r.fail()
}

// hex4 returns the value of four hex digits at the start of s, or -1.
func hex4(s string) rune {
	if len(s) < 4 {
		return -1
	}
	var v rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | rune(c)
	}
	return v
}

// skip consumes one value of any kind at nesting depth depth (the value's
// own, if it is an object or an array), checking its syntax.
func (r *docReader) skip(depth int) error {
	switch r.peek() {
	case '"':
		_, err := r.str()
		return err
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	case '{':
		if depth > maxDocDepth {
			return r.fail()
		}
		more, err := r.openObject()
		for more && err == nil {
			if _, err = r.key(); err == nil {
				if err = r.skip(depth + 1); err == nil {
					more, err = r.next('}')
				}
			}
		}
		return err
	case '[':
		if depth > maxDocDepth {
			return r.fail()
		}
		more, err := r.openArray()
		for more && err == nil {
			if err = r.skip(depth + 1); err == nil {
				more, err = r.next(']')
			}
		}
		return err
	default:
		return r.number()
	}
}

// number consumes a JSON number.
func (r *docReader) number() error {
	s, i := r.s, r.i
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		r.i = i
		return r.fail()
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			r.i = i
			return r.fail()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			r.i = i
			return r.fail()
		}
	}
	r.i = i
	return nil
}

// openObject consumes '{' and reports whether a key follows.
func (r *docReader) openObject() (bool, error) {
	r.i++ // '{'
	switch r.peek() {
	case '}':
		r.i++
		return false, nil
	case '"':
		return true, nil
	}
	return false, r.fail()
}

// openArray consumes '[' and reports whether a value follows.
func (r *docReader) openArray() (bool, error) {
	r.i++ // '['
	if r.peek() == ']' {
		r.i++
		return false, nil
	}
	return true, nil
}

// next consumes ',' or the closing byte end after a member or element and
// reports whether another follows.
func (r *docReader) next(end byte) (bool, error) {
	switch r.peek() {
	case ',':
		r.i++
		if end == '}' && r.peek() != '"' {
			return false, r.fail()
		}
		return true, nil
	case end:
		r.i++
		return false, nil
	}
	return false, r.fail()
}

// key reads an object's key and the ':' after it.
func (r *docReader) key() (string, error) {
	k, err := r.str()
	if err != nil {
		return "", err
	}
	if r.peek() != ':' {
		return "", r.fail()
	}
	r.i++
	r.ws()
	return k, nil
}

// field returns the name among names that key matches as encoding/json
// matches a key to a field: exactly, or else under bytes.EqualFold. It
// returns "" for an unknown key.
func field(key string, names []string) string {
	for _, n := range names {
		if key == n {
			return n
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

// setStr decodes a string value into *p: null leaves *p as it is.
func (r *docReader) setStr(p *string) error {
	switch r.peek() {
	case '"':
		v, err := r.str()
		*p = v
		return err
	case 'n':
		return r.literal("null")
	}
	return r.fail()
}

// setBool decodes a boolean into *p: null leaves *p as it is.
func (r *docReader) setBool(p *bool) error {
	switch r.peek() {
	case 't':
		*p = true
		return r.literal("true")
	case 'f':
		*p = false
		return r.literal("false")
	case 'n':
		return r.literal("null")
	}
	return r.fail()
}

// isNull consumes a null and reports whether there was one.
func (r *docReader) isNull() (bool, error) {
	if r.peek() != 'n' {
		return false, nil
	}
	return true, r.literal("null")
}

// object decodes an object at depth, calling member for each key with
// the reader at the key's value; member must consume the value. A value
// that is not an object is an error; null is handled by the caller.
func (r *docReader) object(depth int, member func(key string) error) error {
	if r.peek() != '{' || depth > maxDocDepth {
		return r.fail()
	}
	more, err := r.openObject()
	for more && err == nil {
		var k string
		if k, err = r.key(); err == nil {
			if err = member(k); err == nil {
				more, err = r.next('}')
			}
		}
	}
	return err
}

// extensions decodes the extensions object at depth into *p, as
// encoding/json decodes it into a map: null clears it, and a repeated
// "extensions" key adds its schemas to those already there.
func (r *docReader) extensions(depth int, p *scim.Extensions) error {
	if null, err := r.isNull(); null || err != nil {
		if null {
			*p = nil
		}
		return err
	}
	start := r.i
	if r.peek() != '{' {
		return r.fail()
	}
	if err := r.skip(depth); err != nil {
		return err
	}
	var exts scim.Extensions
	dec := json.NewDecoder(strings.NewReader(r.s[start:r.i]))
	dec.UseNumber()
	if err := dec.Decode(&exts); err != nil {
		return fmt.Errorf("sqlstore: %w: extensions", errDoc)
	}
	if *p == nil {
		*p = exts
		return nil
	}
	for k, v := range exts {
		(*p)[k] = v
	}
	return nil
}

// slice decodes an array at depth into *p as encoding/json decodes it into
// a slice: null clears it, elements decode into those already there (a
// repeated key), and an empty array leaves an empty slice. elem decodes
// one element, at depth+1.
func docSlice[T any](r *docReader, depth int, p *[]T, elem func(e *T) error) error {
	if null, err := r.isNull(); null || err != nil {
		if null {
			*p = nil
		}
		return err
	}
	if r.peek() != '[' || depth > maxDocDepth {
		return r.fail()
	}
	s := *p
	i := 0
	more, err := r.openArray()
	for more && err == nil {
		if i < cap(s) {
			s = s[:i+1]
		} else {
			var zero T
			s = append(s, zero)
		}
		if err = elem(&s[i]); err == nil {
			more, err = r.next(']')
		}
		i++
	}
	if err != nil {
		return err
	}
	if i == 0 {
		s = []T{}
	}
	*p = s[:i]
	return nil
}

// structElem decodes an object (or null, which leaves it as it is) into
// an element of an array of structs.
func (r *docReader) structElem(depth int, member func(key string) error) error {
	if null, err := r.isNull(); null || err != nil {
		return err
	}
	return r.object(depth, member)
}

// top starts a document: it reports whether the document is an object to
// decode; a null document decodes to the zero resource.
func (r *docReader) top() (bool, error) {
	switch r.peek() {
	case '{':
		return true, nil
	case 'n':
		return false, r.literal("null")
	}
	return false, r.fail()
}
