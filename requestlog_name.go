package scim

import (
	"encoding/json"
	"strings"
)

// The name of a resource the handler answered with, for its request's
// record, read without decoding the response (issue 15): decodeLoose
// checked and reflected over the whole resource on every GET of a user,
// most of what the record cost the request. The handler's own encoder
// wrote a successful response, so it is valid JSON with exact, unique keys,
// or a prefix of such JSON when the record kept only the first 64 KiB of
// it. On valid JSON responseNames answers what decodeLoose would; on a
// prefix, or anything it does not read plainly, it gives up and the caller
// decodes the response as before (which names nothing for a prefix).

// responseNames returns the top-level "userName" and "displayName" strings
// of the JSON object b, and whether it could read them plainly.
func responseNames(b []byte) (userName, displayName string, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", "", false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return "", "", true
	}
	for i < len(b) {
		kEnd, ok := stringEnd(b, i)
		if !ok {
			return "", "", false
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return "", "", false
		}
		i = skipSpace(b, i+1)
		vEnd, ok := valueEnd(b, i)
		if !ok {
			return "", "", false
		}
		var dst *string
		switch {
		case string(key) == "userName":
			dst = &userName
		case string(key) == "displayName":
			dst = &displayName
		case strings.EqualFold(string(key), "userName"), strings.EqualFold(string(key), "displayName"),
			strings.IndexByte(string(key), '\\') >= 0:
			// Another spelling decodeLoose would match: leave it to it.
			return "", "", false
		}
		if dst != nil {
			if b[i] != '"' || json.Unmarshal(b[i:vEnd], dst) != nil {
				return "", "", false
			}
		}
		i = skipSpace(b, vEnd)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			// What follows the object makes decodeLoose fail.
			return userName, displayName, skipSpace(b, i+1) == len(b)
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i].
func stringEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// valueEnd returns the index after the value that starts at b[i], which
// it does not check beyond finding its end.
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := stringEnd(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
	}
	return 0, false
}
