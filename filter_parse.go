package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scim2/filter-parser/v2"
)

// The filter grammar is RFC 7644 §3.4.2.2 (with errata 4690), parsed here
// rather than by filter.ParseFilter because that parser rejects valid
// filters (value filters of more than two terms, lower-case \u escapes,
// surrounding white space), silently wraps large integers, and reports
// errors at the wrong position. This parser yields the same syntax tree
// types with the same shape (left-associative and/or, and binding tighter
// than or, parentheses dropped, operators in lower case, numbers as
// json.Number, strings with their escapes undecoded), and also accepts:
//
//   - Entra ID's attr[filter].sub op value, rewritten to
//     attr[filter and sub op value];
//   - unquoted values such as `name.familyName eq Employee` or
//     `meta.created gt 2015-10-10T14:38:21Z` (SCIM Reference Code), given
//     as a bareWord for the validator to accept only where a string or a
//     dateTime is expected;
//   - tabs and line breaks as white space.

const (
	// maxFilterDepth bounds nesting (parentheses, not, value filters) so
	// that no input can exhaust the stack.
	maxFilterDepth = 32
	// maxFilterTerms bounds the number of comparisons in one filter.
	maxFilterTerms = 1000
	// MaxFilterValueBytes bounds the length of one compare value, so that
	// no store meets a pattern it cannot run (SQLite refuses LIKE
	// patterns over 50,000 bytes).
	maxFilterValueBytes = MaxFilterValueBytes
)

// MaxFilterValueBytes is the longest compare value a filter may hold, in
// bytes as written in the filter (escapes included): longer values, in
// filters and in PATCH value-filter paths, are 400 invalidFilter (or
// invalidPath in a PATCH path). No attribute a SCIM client filters on
// comes near it.
const MaxFilterValueBytes = 8 << 10

// bareWord is an unquoted compare value, such as Employee in
// `name.familyName eq Employee`.
type bareWord string

type filterParser struct {
	s     string
	pos   int
	depth int
	terms int
	// patchPath is set while parsing a PATCH path (parsePatchPath), whose
	// compare values end up in documents (an item created from the value
	// filter) rather than only in comparisons: it rejects bare words,
	// keeps numbers as written, and leaves the schema URN to be checked
	// when the path is resolved, as any registered extension may be named.
	patchPath bool
}

// parseFilterSyntax parses expr into a syntax tree without looking at any
// schema. Errors are *Error with scimType invalidFilter.
func parseFilterSyntax(expr string) (filter.Expression, error) {
	if !utf8.ValidString(expr) {
		return nil, errInvalidFilter("the filter is not valid UTF-8")
	}
	if strings.IndexByte(expr, 0) >= 0 {
		return nil, errInvalidFilter("the filter contains a NUL character")
	}
	p := &filterParser{s: expr}
	p.skipSpace()
	if p.eof() {
		return nil, errInvalidFilter("the filter is empty")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf("expected \"and\", \"or\" or the end of the filter, found %s", p.found())
	}
	return e, nil
}

func (p *filterParser) eof() bool { return p.pos >= len(p.s) }

func (p *filterParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.pos]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *filterParser) skipSpace() bool {
	start := p.pos
	for !p.eof() && isSpace(p.s[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

// errorf reports a syntax error at the current position, counted in
// characters from 1.
func (p *filterParser) errorf(format string, args ...any) *Error {
	return p.errorAt(p.pos, format, args...)
}

func (p *filterParser) errorAt(pos int, format string, args ...any) *Error {
	return errInvalidFilter("%s at position %d", fmt.Sprintf(format, args...), utf8.RuneCountInString(p.s[:pos])+1)
}

// found describes the text at the current position for an error message.
func (p *filterParser) found() string {
	if p.eof() {
		return "the end of the filter"
	}
	rest := p.s[p.pos:]
	n := 0
	for i := range rest {
		if n == 12 {
			return fmt.Sprintf("%q…", rest[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", rest)
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '$'
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// keyword consumes the case-insensitive word kw (and, or) if it comes next
// after white space, as a whole word.
func (p *filterParser) keyword(kw string) bool {
	save := p.pos
	p.skipSpace()
	end := p.pos + len(kw)
	if end <= len(p.s) && strings.EqualFold(p.s[p.pos:end], kw) && (end == len(p.s) || !isNameChar(p.s[end])) {
		p.pos = end
		return true
	}
	p.pos = save
	return false
}

func (p *filterParser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return p.errorf("the filter nests more than %d levels deep", maxFilterDepth)
	}
	return nil
}

func (p *filterParser) parseOr() (filter.Expression, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &filter.LogicalExpression{Left: left, Right: right, Operator: filter.OR}
	}
	return left, nil
}

func (p *filterParser) parseAnd() (filter.Expression, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &filter.LogicalExpression{Left: left, Right: right, Operator: filter.AND}
	}
	return left, nil
}

func (p *filterParser) parseUnary() (filter.Expression, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf("expected an attribute, \"not\" or \"(\", found the end of the filter")
	}
	if p.peek() == '(' {
		return p.parseGroup()
	}
	if end := p.pos + 3; end <= len(p.s) && strings.EqualFold(p.s[p.pos:end], "not") {
		save := p.pos
		p.pos = end
		p.skipSpace()
		if p.peek() == '(' {
			e, err := p.parseGroup()
			if err != nil {
				return nil, err
			}
			return &filter.NotExpression{Expression: e}, nil
		}
		p.pos = save
	}
	return p.parseAttrExpr()
}

// parseGroup parses "(" filter ")".
func (p *filterParser) parseGroup() (filter.Expression, error) {
	return p.parseEnclosed(')', "parenthesis")
}

// parseValueFilter parses "[" valFilter "]", the value filter of a value
// path in a filter or in a PATCH path.
func (p *filterParser) parseValueFilter() (filter.Expression, error) {
	return p.parseEnclosed(']', "value filter")
}

// parseEnclosed parses a filter between the opening character at p.pos
// and end; what names the construct in errors.
func (p *filterParser) parseEnclosed(end byte, what string) (filter.Expression, error) {
	open := p.pos
	p.pos++
	if err := p.enter(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != end {
		if p.eof() {
			return nil, p.errorAt(open, "the %s opened here is never closed", what)
		}
		return nil, p.errorf("expected \"%c\", found %s", end, p.found())
	}
	p.pos++
	p.depth--
	return e, nil
}

func (p *filterParser) parseAttrExpr() (filter.Expression, error) {
	path, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	save := p.pos
	p.skipSpace()
	if p.peek() != '[' {
		p.pos = save
		return p.parseComparison(path)
	}
	inner, err := p.parseValueFilter()
	if err != nil {
		return nil, err
	}
	if p.peek() == '.' {
		// Entra ID: emails[type eq "work"].value eq "x".
		name, err := p.parseSubAttr()
		if err != nil {
			return nil, err
		}
		leaf, err := p.parseComparison(filter.AttributePath{AttributeName: name})
		if err != nil {
			return nil, err
		}
		inner = &filter.LogicalExpression{Left: inner, Right: leaf, Operator: filter.AND}
	}
	return &filter.ValuePath{AttributePath: path, ValueFilter: inner}, nil
}

// parseSubAttr parses the "." ATTRNAME that follows a value filter.
func (p *filterParser) parseSubAttr() (string, error) {
	p.pos++
	start := p.pos
	name := p.scanName()
	if !validAttrName(name) {
		return "", p.errorAt(start, "expected a sub-attribute name after \"].\", found %s", p.foundAt(start))
	}
	return name, nil
}

func (p *filterParser) foundAt(pos int) string {
	save := p.pos
	p.pos = pos
	s := p.found()
	p.pos = save
	return s
}

// scanName consumes a run of attribute name characters.
func (p *filterParser) scanName() string {
	start, i := p.pos, p.pos
	for i < len(p.s) && isNameChar(p.s[i]) {
		i++
	}
	p.pos = i
	return p.s[start:i]
}

// validAttrName reports whether s is an ATTRNAME: an optional "$" (for
// "$ref"), a letter, then letters, digits, "-" and "_".
func validAttrName(s string) bool {
	s = strings.TrimPrefix(s, "$")
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '$' || !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// parseAttrPath parses [URI ":"] ATTRNAME ["." ATTRNAME]. Schema URNs
// contain dots ("2.0") and colons, so the whole run is read first and split
// at its last colon.
func (p *filterParser) parseAttrPath() (filter.AttributePath, error) {
	start, i := p.pos, p.pos
	for i < len(p.s) && (isNameChar(p.s[i]) || p.s[i] == '.' || p.s[i] == ':') {
		i++
	}
	p.pos = i
	run := p.s[start:i]
	if run == "" {
		return filter.AttributePath{}, p.errorf("expected an attribute name, found %s", p.found())
	}
	var path filter.AttributePath
	rest := run
	if i := strings.LastIndexByte(run, ':'); i >= 0 {
		uri := run[:i]
		if !p.patchPath && !validURI(uri) {
			return path, p.errorAt(start, "%q is not a valid schema URN followed by an attribute name", run)
		}
		path.URIPrefix = &uri
		rest = run[i+1:]
	}
	name, sub, hasSub := strings.Cut(rest, ".")
	if !validAttrName(name) || hasSub && !validAttrName(sub) {
		return path, p.errorAt(start, "%q is not a valid attribute path", run)
	}
	path.AttributeName = name
	if hasSub {
		// A copy, so that paths without one do not move sub to the heap.
		sub := sub
		path.SubAttribute = &sub
	}
	return path, nil
}

// validURI reports whether s is a sequence of colon-separated segments of
// letters, digits, "-" and ".".
func validURI(s string) bool {
	for seg := range strings.SplitSeq(s, ":") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(isAlpha(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				return false
			}
		}
	}
	return true
}

var compareOps = [...]filter.CompareOperator{filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW, filter.GT, filter.GE, filter.LT, filter.LE, filter.PR}

// parseComparison parses SP compareOp SP compValue, or SP "pr", after path.
func (p *filterParser) parseComparison(path filter.AttributePath) (filter.Expression, error) {
	p.terms++
	if p.terms > maxFilterTerms {
		return nil, p.errorf("the filter has more than %d comparisons", maxFilterTerms)
	}
	if !p.skipSpace() {
		if p.eof() {
			return nil, p.errorf("expected a comparison operator after %q, found the end of the filter", path.String())
		}
		return nil, p.errorf("expected a space and a comparison operator after %q, found %s", path.String(), p.found())
	}
	start := p.pos
	word := p.scanName()
	var op filter.CompareOperator
	for _, o := range compareOps {
		if strings.EqualFold(word, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, p.errorAt(start, "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after %q, found %s", path.String(), p.foundAt(start))
	}
	if op == filter.PR {
		return &filter.AttributeExpression{AttributePath: path, Operator: op}, nil
	}
	if !p.skipSpace() {
		return nil, p.errorf("expected a space and a value after %q %s, found %s", path.String(), op, p.found())
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &filter.AttributeExpression{AttributePath: path, Operator: op, CompareValue: v}, nil
}

// parseValue parses a JSON string, number, true, false or null, or (but
// not in a PATCH path) a bare word. Strings keep their escapes, as
// filter.ParseFilter keeps them.
func (p *filterParser) parseValue() (any, error) {
	start := p.pos
	if p.peek() == '"' {
		p.pos++
		for {
			// Skip plain characters in a tight loop: most strings have
			// nothing else.
			i := p.pos
			for i < len(p.s) && p.s[i] >= 0x20 && p.s[i] != '"' && p.s[i] != '\\' {
				i++
			}
			p.pos = i
			if p.eof() {
				return nil, p.errorAt(start, "the string starting here is never closed")
			}
			c := p.s[p.pos]
			switch {
			case c == '"':
				p.pos++
				if p.pos-start-2 > maxFilterValueBytes {
					return nil, p.errorAt(start, "the string starting here is longer than %d bytes", maxFilterValueBytes)
				}
				return p.s[start+1 : p.pos-1], nil
			case c == '\\':
				if err := p.escape(); err != nil {
					return nil, err
				}
			default:
				return nil, p.errorf("control character %U in a string; escape it", rune(c))
			}
		}
	}
	for !p.eof() && !endsBareWord(p.s[p.pos]) {
		p.pos++
	}
	word := p.s[start:p.pos]
	if len(word) > maxFilterValueBytes {
		return nil, p.errorAt(start, "the value starting here is longer than %d bytes", maxFilterValueBytes)
	}
	switch {
	case word == "":
		return nil, p.errorf("expected a value (a quoted string, a number, true, false or null), found %s", p.found())
	case strings.EqualFold(word, "true"):
		return true, nil
	case strings.EqualFold(word, "false"):
		return false, nil
	case strings.EqualFold(word, "null"):
		return nil, nil
	case isJSONNumber(word):
		if !p.patchPath {
			// As filter.ParseFilterNumber writes it.
			word = strings.ReplaceAll(word, "E", "e")
		}
		return json.Number(word), nil
	case p.patchPath, word[0] == '\'' || word[0] == '`' || strings.ContainsAny(word, "\\{}<>"),
		strings.EqualFold(word, "and"), strings.EqualFold(word, "or"), strings.EqualFold(word, "not"):
		return nil, p.errorAt(start, "expected a value (a quoted string, a number, true, false or null), found %s", p.foundAt(start))
	}
	return bareWord(word), nil
}

// endsBareWord reports whether c cannot be part of an unquoted value.
func endsBareWord(c byte) bool {
	return c <= ' ' || c == '(' || c == ')' || c == '[' || c == ']' || c == '"' || c == 0x7f
}

// escape checks the escape sequence at p.pos (a backslash) and skips it.
func (p *filterParser) escape() error {
	start := p.pos
	p.pos++
	if p.eof() {
		return p.errorAt(start, "the string ends inside an escape sequence")
	}
	switch p.s[p.pos] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.pos++
		return nil
	case 'u':
		if p.pos+5 <= len(p.s) && isHex4(p.s[p.pos+1:p.pos+5]) {
			r, _ := hex4(p.s, p.pos+1)
			p.pos += 5
			switch {
			case r == 0:
				return p.errorAt(start, "a string must not contain NUL (\\u0000)")
			case r >= 0xD800 && r <= 0xDBFF:
				// A high surrogate must be followed by an escaped low one.
				if p.pos+6 <= len(p.s) && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' && isHex4(p.s[p.pos+2:p.pos+6]) {
					if lo, _ := hex4(p.s, p.pos+2); lo >= 0xDC00 && lo <= 0xDFFF {
						p.pos += 6
						return nil
					}
				}
				return p.errorAt(start, "a string must not escape a lone UTF-16 surrogate")
			case r >= 0xDC00 && r <= 0xDFFF:
				return p.errorAt(start, "a string must not escape a lone UTF-16 surrogate")
			}
			return nil
		}
	}
	return p.errorAt(start, "invalid escape sequence in a string (use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)")
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isJSONNumber reports whether s is a number in JSON syntax (RFC 8259 §6).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
