package scim

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// checkSchemas validates the "schemas" member of a resource document: it
// must be an array of strings that names rt's core schema (compared
// case-insensitively). Other URNs, known or not, are tolerated: Entra ID
// sends its own ADSCIM group schema.
func (rt *resourceType) checkSchemas(raw map[string]any) error {
	var v any
	found := false
	for k, x := range raw {
		if strings.EqualFold(k, "schemas") {
			v, found = x, true
			break
		}
	}
	if !found || v == nil {
		return errInvalidSyntax("the request body must have \"schemas\" naming %s", rt.schema.ID)
	}
	list, ok := v.([]any)
	if !ok {
		return errInvalidSyntax("\"schemas\" must be an array of schema URNs")
	}
	for _, s := range list {
		u, ok := s.(string)
		if !ok {
			return errInvalidSyntax("\"schemas\" must be an array of schema URNs")
		}
		if strings.EqualFold(u, rt.schema.ID) {
			return nil
		}
	}
	return errInvalidSyntax("\"schemas\" must name %s", rt.schema.ID)
}

// normalizeDoc validates a client's resource document against rt and
// returns it in canonical document form (see resource.go): names canonical,
// flat URN-qualified and dotted keys nested, "True"/"False" coerced for
// booleans (unless rt.strictBooleans), nulls and read-only attributes
// dropped, unknown attributes dropped (or rejected when
// rt.strictAttributes), required attributes checked. It also accepts a
// document that is already canonical, so it re-validates the result of a
// PATCH. Errors are *Error.
func (rt *resourceType) normalizeDoc(raw map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		if err := rt.normalizeKey(out, k, v); err != nil {
			return nil, err
		}
	}
	for _, a := range rt.schema.Attributes {
		if a.Required {
			if _, ok := out[a.Name]; !ok {
				return nil, errInvalidValue("required attribute %q is missing", a.Name)
			}
		}
	}
	for _, e := range rt.extensions {
		if !e.required {
			continue
		}
		if _, ok := out[e.schema.ID]; !ok {
			return nil, errInvalidValue("required extension %q is missing", e.schema.ID)
		}
	}
	return out, nil
}

func (rt *resourceType) normalizeKey(out map[string]any, key string, v any) error {
	if strings.EqualFold(key, "schemas") {
		return nil
	}
	if strings.HasPrefix(strings.ToLower(key), "urn:") {
		if ext := rt.extension(key); ext != nil {
			obj, ok := v.(map[string]any)
			if v == nil {
				return nil
			}
			if !ok {
				return errInvalidValue("extension %q must be a JSON object", ext.ID)
			}
			for k, x := range obj {
				if err := rt.setPath(out, ext, k, x); err != nil {
					return err
				}
			}
			return nil
		}
		if strings.EqualFold(key, rt.schema.ID) {
			obj, ok := v.(map[string]any)
			if v == nil {
				return nil
			}
			if !ok {
				return errInvalidValue("%q must be a JSON object", rt.schema.ID)
			}
			for k, x := range obj {
				if err := rt.setPath(out, rt.schema, k, x); err != nil {
					return err
				}
			}
			return nil
		}
		i := strings.LastIndexByte(key, ':')
		uri, rest := key[:i], key[i+1:]
		var s *Schema
		if strings.EqualFold(uri, rt.schema.ID) {
			s = rt.schema
		} else {
			s = rt.extension(uri)
		}
		if s == nil {
			return rt.unknown(key)
		}
		return rt.setPath(out, s, rest, v)
	}
	return rt.setPath(out, rt.schema, key, v)
}

func (rt *resourceType) unknown(name string) error {
	if rt.strictAttributes {
		return errInvalidValue("unknown attribute %q", name)
	}
	return nil
}

// setPath sets the attribute at path ("attr" or "attr.sub") of schema s in
// out, normalizing v. Read-only attributes are ignored, as RFC 7643 §7 says
// for client-supplied values.
func (rt *resourceType) setPath(out map[string]any, s *Schema, path string, v any) error {
	name, sub, dotted := strings.Cut(path, ".")
	var a *Attribute
	if s == rt.schema {
		a = findAttr(commonAttrs, name)
	}
	if a == nil {
		a = s.Attr(name)
	}
	if a == nil && s == rt.schema {
		if ext, _ := rt.extensionAttr(name); ext != nil {
			return rt.setPath(out, ext, path, v)
		}
	}
	if a == nil {
		return rt.unknown(path)
	}
	if a.mutability() == MutabilityReadOnly {
		return nil
	}
	container := out
	if s != rt.schema {
		m, _ := out[s.ID].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		container = m
		defer func() {
			if len(m) > 0 {
				out[s.ID] = m
			} else {
				delete(out, s.ID)
			}
		}()
	}
	if dotted {
		if a.typ() != TypeComplex || a.MultiValued {
			return errInvalidValue("%q is not a sub-attribute path", path)
		}
		sa := a.Sub(sub)
		if sa == nil || strings.Contains(sub, ".") {
			return rt.unknown(path)
		}
		if sa.mutability() == MutabilityReadOnly {
			return nil
		}
		nv, err := rt.normalizeSimple(sa, v, a.Name+"."+sa.Name)
		if err != nil {
			return err
		}
		obj, _ := container[a.Name].(map[string]any)
		if nv == nil {
			if obj != nil {
				delete(obj, sa.Name)
				if len(obj) == 0 {
					delete(container, a.Name)
				}
			}
			return nil
		}
		if obj == nil {
			obj = map[string]any{}
			container[a.Name] = obj
		}
		obj[sa.Name] = nv
		return nil
	}
	nv, err := rt.normalizeValue(a, v)
	if err != nil {
		return err
	}
	if nv == nil {
		delete(container, a.Name)
		return nil
	}
	// A dotted key ("name.givenName") may have been set before the whole
	// object ("name"): merge rather than overwrite.
	if old, ok := container[a.Name].(map[string]any); ok && !a.MultiValued {
		if obj, ok := nv.(map[string]any); ok {
			for k, x := range obj {
				old[k] = x
			}
			return nil
		}
	}
	container[a.Name] = nv
	return nil
}

// normalizeValue validates v as a value of attribute a and returns it in
// canonical document form; for a multi-valued attribute v is the whole
// array, and anything else is invalidValue (a PATCH whose path names a
// multi-valued attribute may give one item: see patcher.normalize). A nil result means
// unassigned (null, an empty string, an empty array or an empty object).
func (rt *resourceType) normalizeValue(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		if list, isList := v.([]any); isList {
			// Entra ID's older manager form wraps the one reference in an
			// array: [{"$ref": …, "value": "…"}].
			if len(list) != 1 || a.typ() != TypeComplex || a.Sub("value") == nil {
				return nil, errInvalidValue("attribute %q is single-valued but got an array", a.Name)
			}
			v = list[0]
		}
		return rt.normalizeSingle(a, v)
	}
	// RFC 7643 §2.4: a multi-valued attribute is a JSON array. A lone
	// value is refused rather than taken as an array of one, so that a
	// string where objects belong ("emails": "a@example.com") is never
	// stored as an item made up from it.
	list, ok := v.([]any)
	if !ok {
		return nil, errInvalidValue("attribute %q is multi-valued: its value must be a JSON array", a.Name)
	}
	out := make([]any, 0, len(list))
	for _, item := range list {
		nv, err := rt.normalizeSingle(a, item)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out = append(out, nv)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := checkOnePrimary(a, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkOnePrimary refuses items of a multi-valued attribute of which more
// than one says primary: true (RFC 7643 §2.4: "The primary attribute value
// 'true' MUST appear no more than once"); guessing which one the client
// meant would be a silent change.
func checkOnePrimary(a *Attribute, items []any) error {
	if a.typ() != TypeComplex || a.Sub("primary") == nil {
		return nil
	}
	n := 0
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["primary"] == true {
			if n++; n > 1 {
				return errInvalidValue("attribute %q: primary is true on more than one value", a.Name)
			}
		}
	}
	return nil
}

// normalizeSingle validates one value of a (for a multi-valued attribute,
// one item of it).
func (rt *resourceType) normalizeSingle(a *Attribute, v any) (any, error) {
	if a.typ() != TypeComplex {
		return rt.normalizeSimple(a, v, a.Name)
	}
	var obj map[string]any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		obj = x
	case string:
		// Entra ID sends a manager as a bare id; a bare string for a
		// singular complex attribute with a "value" sub-attribute means its
		// value. An item of a multi-valued attribute must be an object.
		if a.Sub("value") == nil || a.MultiValued {
			return nil, errInvalidValue("attribute %q must be a JSON object", a.Name)
		}
		obj = map[string]any{"value": x}
	default:
		return nil, errInvalidValue("attribute %q must be a JSON object", a.Name)
	}
	out := make(map[string]any, len(obj))
	for k, x := range obj {
		sa := a.Sub(k)
		if sa == nil {
			if err := rt.unknown(a.Name + "." + k); err != nil {
				return nil, err
			}
			continue
		}
		if sa.mutability() == MutabilityReadOnly && a.mutability() != MutabilityReadOnly {
			continue
		}
		nv, err := rt.normalizeSimple(sa, x, a.Name+"."+sa.Name)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[sa.Name] = nv
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// normalizeSimple validates a value of a non-complex attribute; name is the
// attribute's path, for error details. Values are kept as sent (a dateTime
// keeps its text), only booleans given as strings are converted.
func (rt *resourceType) normalizeSimple(a *Attribute, v any, name string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.typ() {
	case TypeString, TypeReference:
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidValue("attribute %q must be a string", name)
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidValue("attribute %q must be a base64-encoded string", name)
		}
		if s == "" {
			return nil, nil
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawStdEncoding.DecodeString(s); err != nil {
				return nil, errInvalidValue("attribute %q must be a base64-encoded string", name)
			}
		}
		return s, nil
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if !rt.strictBooleans {
				if strings.EqualFold(x, "true") {
					return true, nil
				}
				if strings.EqualFold(x, "false") {
					return false, nil
				}
			}
		}
		return nil, errInvalidValue("attribute %q must be a boolean", name)
	case TypeInteger:
		n, ok := toNumber(v)
		if !ok {
			return nil, errInvalidValue("attribute %q must be an integer", name)
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return nil, errInvalidValue("attribute %q must be an integer", name)
		}
		return n, nil
	case TypeDecimal:
		n, ok := toNumber(v)
		if !ok {
			return nil, errInvalidValue("attribute %q must be a number", name)
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return nil, errInvalidValue("attribute %q must be a number", name)
		}
		return n, nil
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidValue("attribute %q must be a dateTime string", name)
		}
		if s == "" {
			return nil, nil
		}
		if _, ok := parseDateTime(s); !ok {
			return nil, errInvalidValue("attribute %q must be an xsd:dateTime such as 2008-01-23T04:56:22Z", name)
		}
		return s, nil
	}
	return nil, errInvalidValue("attribute %q has an unsupported type", name)
}

func toNumber(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		return x, true
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), true
	case int:
		return json.Number(strconv.Itoa(x)), true
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true
	}
	return "", false
}

// parseDateTime parses an xsd:dateTime as RFC 7643 §2.3.5 uses it: RFC 3339
// with optional fractional seconds; a missing offset is taken as UTC.
func parseDateTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
