package scim

import "strings"

// resourceType binds a resource's core schema to its extensions, and
// resolves attribute paths against them.
type resourceType struct {
	name       string // "User" or "Group"
	endpoint   string // "/Users" or "/Groups"
	schema     *Schema
	extensions []extension
	// strictAttributes rejects unknown attributes in requests.
	strictAttributes bool
	// strictBooleans rejects the strings "True" and "False" as booleans.
	strictBooleans bool
	// kept is what the store keeps (nil: everything), and keptProjection
	// the default projection of responses that it makes.
	kept           *AttributeSet
	keptProjection *projection
}

// newResourceType returns the User or Group resource type with the given
// extra extensions (Users always have the Enterprise User extension).
func newResourceType(name string, extensions []*Schema) *resourceType {
	rt := &resourceType{name: name, endpoint: "/" + name + "s", schema: groupSchema}
	if name == "User" {
		rt.schema = userSchema
		rt.extensions = append(rt.extensions, extension{schema: enterpriseUserSchema})
	}
	for _, s := range extensions {
		rt.extensions = append(rt.extensions, extension{schema: s})
	}
	return rt
}

type extension struct {
	schema   *Schema
	required bool
}

// extension returns the extension whose URN equals urn (case-insensitively).
func (rt *resourceType) extension(urn string) *Schema {
	for _, e := range rt.extensions {
		if strings.EqualFold(e.schema.ID, urn) {
			return e.schema
		}
	}
	return nil
}

// extensionAttr finds an attribute by name in the extensions, if exactly
// one extension defines it.
func (rt *resourceType) extensionAttr(name string) (*Schema, *Attribute) {
	var found *Attribute
	var in *Schema
	for _, e := range rt.extensions {
		if a := e.schema.Attr(name); a != nil {
			if found != nil {
				return nil, nil
			}
			found, in = a, e.schema
		}
	}
	return in, found
}

// attrRef is an attribute path resolved against a resource type.
type attrRef struct {
	// schema holds attr: the core schema, an extension, or nil for the
	// common attributes (id, externalId, meta).
	schema *Schema
	attr   *Attribute
	// sub is the sub-attribute, or nil.
	sub *Attribute
}

// ext reports whether the attribute belongs to an extension schema.
func (r attrRef) ext() bool {
	return r.schema != nil && r.schema.ID != UserSchema && r.schema.ID != GroupSchema
}

// target returns the innermost attribute the path names.
func (r attrRef) target() *Attribute {
	if r.sub != nil {
		return r.sub
	}
	return r.attr
}

// path returns the canonical text of the path: "name.familyName",
// "urn:…:enterprise:2.0:User:manager.value", "meta.lastModified".
func (r attrRef) path() string {
	s := r.attr.Name
	if r.ext() {
		s = r.schema.ID + ":" + s
	}
	if r.sub != nil {
		s += "." + r.sub.Name
	}
	return s
}

// resolve resolves the attribute named by an optional schema URN, an
// attribute name and an optional sub-attribute name, all case-insensitive.
// It reports false when no such attribute exists.
func (rt *resourceType) resolve(uri, name, sub string) (attrRef, bool) {
	var ref attrRef
	switch {
	case uri == "" || strings.EqualFold(uri, rt.schema.ID):
		if a := findAttr(commonAttrs, name); a != nil {
			ref = attrRef{attr: a}
		} else if a := rt.schema.Attr(name); a != nil {
			ref = attrRef{schema: rt.schema, attr: a}
		} else if uri != "" {
			return ref, false
		} else if ext, a := rt.extensionAttr(name); a != nil {
			// Clients name extension attributes without their URN when
			// the name is unambiguous: Entra ID checks a manager with
			// "manager eq …" and sets it with path "manager".
			ref = attrRef{schema: ext, attr: a}
		} else {
			return ref, false
		}
	default:
		s := rt.extension(uri)
		if s == nil {
			return ref, false
		}
		a := s.Attr(name)
		if a == nil {
			return ref, false
		}
		ref = attrRef{schema: s, attr: a}
	}
	if sub != "" {
		if ref.attr.typ() != TypeComplex {
			return ref, false
		}
		ref.sub = ref.attr.Sub(sub)
		if ref.sub == nil {
			return ref, false
		}
	}
	return ref, true
}

// resolvePath resolves a dotted attribute path in text form, with an
// optional schema URN prefix: "userName", "name.givenName",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func (rt *resourceType) resolvePath(p string) (attrRef, bool) {
	uri := ""
	if strings.HasPrefix(strings.ToLower(p), "urn:") {
		i := strings.LastIndexByte(p, ':')
		uri, p = p[:i], p[i+1:]
	}
	name, sub, _ := strings.Cut(p, ".")
	if strings.Contains(sub, ".") || name == "" {
		return attrRef{}, false
	}
	return rt.resolve(uri, name, sub)
}
