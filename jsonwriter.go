package scim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonWriter and the appenders behind it: JSON strings escaped as
// encoding/json escapes them, and xsd:dateTime values, without reflection.

// jsonWriter appends JSON to a byte slice without reflection.
type jsonWriter struct {
	b     []byte
	comma bool
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.comma = false
}

func (w *jsonWriter) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

func (w *jsonWriter) key(k string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

// name writes a key given as the literal `,"k":`, where k needs no
// escaping (a canonical attribute name of the built-in schemas): one append,
// without scanning it.
func (w *jsonWriter) name(lit string) {
	if !w.comma {
		lit = lit[1:]
	}
	w.b = append(w.b, lit...)
	w.comma = false
}

func (w *jsonWriter) elem() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = false
}

func (w *jsonWriter) str(s string) {
	w.b = appendString(w.b, s)
	w.comma = true
}

// strField writes the key k and v, unless v is empty.
func (w *jsonWriter) strField(k, v string) {
	if v != "" {
		w.key(k)
		w.str(v)
	}
}

// strLit writes the key literal lit (as for name) and v, unless v is
// empty.
func (w *jsonWriter) strLit(lit, v string) {
	if v != "" {
		w.name(lit)
		w.str(v)
	}
}

func (w *jsonWriter) boolean(v bool) {
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

func (w *jsonWriter) raw(s string) {
	w.b = append(w.b, s...)
	w.comma = true
}

// strConcat writes the JSON string of the concatenated parts without
// building it first.
func (w *jsonWriter) strConcat(parts ...string) {
	w.b = append(w.b, '"')
	for _, p := range parts {
		w.b = appendStringBody(w.b, p)
	}
	w.b = append(w.b, '"')
	w.comma = true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, replacing invalid UTF-8 with
// U+FFFD as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

// appendStringBody appends s escaped for a JSON string, without quotes.
func appendStringBody(b []byte, s string) []byte {
	// Most strings need no escaping: copy them at once.
	if plain(s) {
		return append(b, s...)
	}
	return appendEscaped(b, s)
}

// plainByte reports, for each byte, whether it stands for itself inside a
// JSON string and is ASCII.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plain reports whether s can be written inside a JSON string as it is,
// ASCII without quotes, backslashes or control characters. It tests eight
// bytes at a time, the last eight overlapping the others (and a string of 4
// to 7 bytes as two overlapping halves of one word), so that most strings
// need no byte-wise loop.
func plain(s string) bool {
	n := len(s)
	switch {
	case n >= 8:
		for i := 0; i+8 < n; i += 8 {
			if mayNeedEscape(load64(s[i : i+8])) {
				return plainFrom(s, i)
			}
		}
		return !mayNeedEscape(load64(s[n-8:])) || plainFrom(s, n-8)
	case n >= 4:
		return !mayNeedEscape(uint64(load32(s[:4]))|uint64(load32(s[n-4:]))<<32) || plainFrom(s, 0)
	}
	return plainFrom(s, 0)
}

// plainFrom decides byte by byte, from i on, what the word test could not.
func plainFrom(s string, i int) bool {
	for ; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// appendEscaped appends s, which has a byte to escape or non-ASCII text,
// escaped for a JSON string, replacing invalid UTF-8 with U+FFFD as
// encoding/json does.
func appendEscaped(b []byte, s string) []byte {
	start, i := 0, 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// load64 reads eight bytes of s as a little-endian word (one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 reads four bytes of s as a little-endian word (one load).
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// mayNeedEscape reports whether one of the eight bytes of x is a control
// character, '"', '\\' or not ASCII. It never misses one; the byte-wise
// scan that follows decides exactly. A byte below 0x20 sets its top bit in
// x-0x20…; one equal to '"' or '\\' sets it in the difference with 0x01…
// of x xor that byte; a byte from 0x80 has it already. Borrows between
// bytes only arise from a byte that is flagged anyway.
func mayNeedEscape(x uint64) bool {
	q := x ^ (lsbs * '"')
	bs := x ^ (lsbs * '\\')
	return ((x-lsbs*0x20)|(q-lsbs)|(bs-lsbs)|x)&msbs != 0
}

// needsNoEscape reports whether s can be written inside a JSON string as
// it is.
func needsNoEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendTime appends t as a JSON string in the xsd:dateTime form
// 2006-01-02T15:04:05.999Z (UTC, milliseconds without trailing zeros), as
// time.Time.AppendFormat would, without parsing a layout on every call.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, "2006-01-02T15:04:05.999Z07:00")
		return append(b, '"')
	}
	hour, minute, sec := t.Clock()
	b = append(b, '"')
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	b = append2(b, sec)
	if ms := t.Nanosecond() / 1e6; ms > 0 {
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'Z', '"')
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
