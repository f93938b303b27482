package scim

import (
	"net/http"
	"strconv"
	"strings"
)

// The discovery endpoints (RFC 7644 §4) describe what this handler really
// serves: they are generated from its configuration and registered schemas.

func (h *handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	c := h.cfg
	jw := jsonWriter{}
	jw.open('{')
	jw.key("schemas")
	jw.raw(`["` + serviceProviderConfigSchema + `"]`)
	jw.strField("documentationUri", c.documentationURI)
	jw.key("patch")
	jw.raw(`{"supported":true,"maxOperations":` + strconv.Itoa(c.maxPatchOps) + `}`)
	jw.key("bulk")
	jw.raw(`{"supported":` + strconv.FormatBool(h.bulkSupported()) + `,"maxOperations":` + strconv.Itoa(c.maxBulkOps) +
		`,"maxPayloadSize":` + strconv.FormatInt(c.maxBulkBytes, 10) + `}`)
	jw.key("filter")
	// maxCost is this handler's extension: the budget of WithMaxFilterCost.
	jw.raw(`{"supported":true,"maxResults":` + strconv.Itoa(c.maxResults) + `,"maxCost":` + strconv.Itoa(c.maxFilterCost) + `}`)
	jw.key("changePassword")
	jw.raw(`{"supported":` + strconv.FormatBool(h.acceptsPasswords()) + `}`)
	jw.key("sort")
	jw.raw(`{"supported":true}`)
	jw.key("etag")
	jw.raw(`{"supported":true}`)
	jw.key("authenticationSchemes")
	jw.open('[')
	// Every identity provider that speaks SCIM sends a bearer token, and
	// an application that authenticates in its own middleware does too.
	{
		jw.elem()
		jw.raw(`{"type":"oauthbearertoken","name":"OAuth Bearer Token","description":"Authentication scheme using the OAuth Bearer Token Standard","specUri":"https://www.rfc-editor.org/info/rfc6750","primary":true}`)
	}
	jw.close(']')
	jw.key("meta")
	jw.open('{')
	jw.strField("resourceType", "ServiceProviderConfig")
	jw.strField("location", h.baseURL(r)+"/ServiceProviderConfig")
	jw.close('}')
	jw.close('}')
	h.writeJSON(w, http.StatusOK, jw.b)
}

func (h *handler) resourceTypes(w http.ResponseWriter, r *http.Request, name string) {
	serveDiscovery(h, w, r, name, []*resourceType{h.userRT, h.groupRT}, "resource type",
		func(rt *resourceType) string { return rt.name }, appendResourceType)
}

// serveDiscovery answers a discovery endpoint: the item whose id equals
// name (case-insensitively), or all items as a ListResponse when name is
// empty.
func serveDiscovery[T any](h *handler, w http.ResponseWriter, r *http.Request, name string, items []T, what string,
	id func(T) string, appendItem func(*jsonWriter, T, string)) {
	base := h.baseURL(r)
	if name != "" {
		for _, it := range items {
			if strings.EqualFold(id(it), name) {
				jw := jsonWriter{}
				appendItem(&jw, it, base)
				h.writeJSON(w, http.StatusOK, jw.b)
				return
			}
		}
		h.writeError(w, r, NewError(http.StatusNotFound, "", "no "+what+" "+strconv.Quote(name)))
		return
	}
	lw := listWriter{}
	lw.begin(len(items), len(items), 1)
	for _, it := range items {
		lw.next()
		appendItem(&lw.jsonWriter, it, base)
	}
	lw.end()
	h.writeJSON(w, http.StatusOK, lw.b)
}

func appendResourceType(jw *jsonWriter, rt *resourceType, base string) {
	jw.open('{')
	jw.key("schemas")
	jw.raw(`["` + resourceTypeSchema + `"]`)
	jw.strField("id", rt.name)
	jw.strField("name", rt.name)
	jw.strField("endpoint", rt.endpoint)
	jw.strField("description", rt.schema.Description)
	jw.strField("schema", rt.schema.ID)
	jw.key("schemaExtensions")
	jw.open('[')
	for _, e := range rt.extensions {
		if rt.kept.schema(e.schema, false) == nil {
			continue // nothing of it is kept
		}
		jw.elem()
		jw.open('{')
		jw.strField("schema", e.schema.ID)
		jw.key("required")
		jw.boolean(e.required)
		jw.close('}')
	}
	jw.close(']')
	jw.key("meta")
	jw.open('{')
	jw.strField("resourceType", "ResourceType")
	jw.strField("location", base+"/ResourceTypes/"+rt.name)
	jw.close('}')
	jw.close('}')
}

// allSchemas lists every schema the handler serves, core schemas first,
// with the attributes the stores keep (password only when a password
// handler accepts it).
func (h *handler) allSchemas() []*Schema {
	pw := h.acceptsPasswords()
	out := []*Schema{h.userRT.kept.schema(h.userRT.schema, pw), h.groupRT.kept.schema(h.groupRT.schema, pw)}
	if !h.cfg.duplicateGroupNames {
		out[1] = withUniqueDisplayName(out[1])
	}
	seen := map[string]bool{}
	for _, rt := range []*resourceType{h.userRT, h.groupRT} {
		for _, e := range rt.extensions {
			if s := rt.kept.schema(e.schema, pw); s != nil && !seen[e.schema.ID] {
				seen[e.schema.ID] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func (h *handler) schemas(w http.ResponseWriter, r *http.Request, urn string) {
	serveDiscovery(h, w, r, urn, h.allSchemas(), "schema", func(s *Schema) string { return s.ID }, appendSchema)
}

func appendSchema(jw *jsonWriter, s *Schema, base string) {
	jw.open('{')
	jw.key("schemas")
	jw.raw(`["` + schemaSchema + `"]`)
	jw.strField("id", s.ID)
	jw.strField("name", s.Name)
	jw.strField("description", s.Description)
	jw.key("attributes")
	appendAttributes(jw, s.Attributes)
	jw.key("meta")
	jw.open('{')
	jw.strField("resourceType", "Schema")
	jw.strField("location", base+"/Schemas/"+s.ID)
	jw.close('}')
	jw.close('}')
}

func appendAttributes(jw *jsonWriter, attrs []*Attribute) {
	jw.open('[')
	for _, a := range attrs {
		jw.elem()
		jw.open('{')
		jw.strField("name", a.Name)
		jw.strField("type", string(a.typ()))
		jw.key("multiValued")
		jw.boolean(a.MultiValued)
		jw.strField("description", a.Description)
		jw.key("required")
		jw.boolean(a.Required)
		if a.typ() == TypeString || a.typ() == TypeReference || a.typ() == TypeBinary {
			jw.key("caseExact")
			jw.boolean(a.CaseExact)
		}
		if len(a.CanonicalValues) > 0 {
			jw.key("canonicalValues")
			appendStrings(jw, a.CanonicalValues)
		}
		jw.strField("mutability", string(a.mutability()))
		jw.strField("returned", string(a.returned()))
		if a.typ() != TypeComplex && a.typ() != TypeBoolean {
			u := a.Uniqueness
			if u == "" {
				u = UniquenessNone
			}
			jw.strField("uniqueness", string(u))
		}
		if len(a.ReferenceTypes) > 0 {
			jw.key("referenceTypes")
			appendStrings(jw, a.ReferenceTypes)
		}
		if a.typ() == TypeComplex {
			jw.key("subAttributes")
			appendAttributes(jw, a.SubAttributes)
		}
		jw.close('}')
	}
	jw.close(']')
}

func appendStrings(jw *jsonWriter, ss []string) {
	jw.open('[')
	for _, s := range ss {
		jw.elem()
		jw.str(s)
	}
	jw.close(']')
}
