package scim

import (
	"encoding/json"
	"net/url"
	"sort"
)

// The resource encoder: a User or Group as SCIM JSON, with a projection
// applied, written with jsonWriter without reflection.

// encoder renders resources as SCIM JSON with a projection applied.
type encoder struct {
	rt   *resourceType
	p    *projection
	base string // absolute URL of the SCIM root, for meta.location and $ref
	// baseState caches whether base needs escaping: 0 unknown, 1 no, 2 yes.
	baseState uint8
}

// baseSafe reports whether base can be written as it is inside a JSON
// string.
func (e *encoder) baseSafe() bool {
	if e.baseState == 0 {
		e.baseState = 2
		if needsNoEscape(e.base) {
			e.baseState = 1
		}
	}
	return e.baseState == 1
}

// ref writes the JSON string base+path+path2+id, where base is the
// encoder's base URL (scanned for escapes once per encoder, not once per
// value) and the paths are constants that need no escaping.
func (e *encoder) ref(w *jsonWriter, path, path2, id string) {
	w.b = append(w.b, '"')
	if e.baseSafe() {
		w.b = append(w.b, e.base...)
	} else {
		w.b = appendStringBody(w.b, e.base)
	}
	w.b = append(w.b, path...)
	w.b = append(w.b, path2...)
	w.b = appendStringBody(w.b, pathSegment(id))
	w.b = append(w.b, '"')
	w.comma = true
}

// pathSegment escapes id as one URI path segment (RFC 3986 §3.3), as
// url.PathEscape does: an id or member value holding "/", "?", "#", "%"
// or a space still names one resource in a $ref, meta.location or
// Location. Ids of only unreserved characters (a UUID) are returned as
// they are, without allocating.
func pathSegment(id string) string {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return url.PathEscape(id)
		}
	}
	return id
}

// coreAttr names an attribute of the core User or Group schema (or a
// common one) that the encoder renders from a struct field, so that it finds
// the attribute's definition by array index rather than by map lookup.
type coreAttr uint8

const (
	cExternalID coreAttr = iota
	cUserName
	cName
	cDisplayName
	cNickName
	cProfileURL
	cTitle
	cUserType
	cPreferredLanguage
	cLocale
	cTimezone
	cActive
	cEmails
	cPhoneNumbers
	cIMs
	cPhotos
	cAddresses
	cGroups
	cEntitlements
	cRoles
	cX509Certificates
	cMembers
	cMeta
	numCoreAttrs
)

// coreNames holds the canonical names, which are also the JSON keys: plain
// ASCII that needs no escaping.
var coreNames = [numCoreAttrs]string{
	cExternalID: "externalId", cUserName: "userName", cName: "name", cDisplayName: "displayName",
	cNickName: "nickName", cProfileURL: "profileUrl", cTitle: "title", cUserType: "userType",
	cPreferredLanguage: "preferredLanguage", cLocale: "locale", cTimezone: "timezone", cActive: "active",
	cEmails: "emails", cPhoneNumbers: "phoneNumbers", cIMs: "ims", cPhotos: "photos",
	cAddresses: "addresses", cGroups: "groups", cEntitlements: "entitlements", cRoles: "roles",
	cX509Certificates: "x509Certificates", cMembers: "members", cMeta: "meta",
}

// coreKeys holds the key literals of coreNames, for jsonWriter.name.
var coreKeys = func() (keys [numCoreAttrs]string) {
	for k, name := range coreNames {
		keys[k] = `,"` + name + `":`
	}
	return keys
}()

// coreIndex holds the definitions of a core schema's attributes (nil for
// those the schema lacks) and of the sub-attributes that MultiValue
// renders.
type coreIndex struct {
	attrs [numCoreAttrs]*Attribute
	subs  [numCoreAttrs]*mvSubs
}

type mvSubs struct{ value, display, typ, primary, ref *Attribute }

func newCoreIndex(s *Schema) *coreIndex {
	ix := &coreIndex{}
	for k, name := range coreNames {
		a := findAttr(commonAttrs, name)
		if a == nil {
			a = s.Attr(name)
		}
		if a == nil || a.Name != name {
			continue
		}
		ix.attrs[k] = a
		if a.MultiValued && a.typ() == TypeComplex {
			ix.subs[k] = &mvSubs{a.Sub("value"), a.Sub("display"), a.Sub("type"), a.Sub("primary"), a.Sub("$ref")}
		}
	}
	return ix
}

var (
	userIndex  = newCoreIndex(userSchema)
	groupIndex = newCoreIndex(groupSchema)
)

func (e *encoder) index() *coreIndex {
	if e.rt.schema == groupSchema {
		return groupIndex
	}
	return userIndex
}

// want returns the core or common attribute k and reports whether the
// projection wants it.
func (e *encoder) want(k coreAttr) (*Attribute, bool) {
	a := e.index().attrs[k]
	if e.p == nil {
		return a, true
	}
	return a, e.p.wants(a)
}

func (e *encoder) stringAttr(w *jsonWriter, k coreAttr, v string) {
	if v == "" {
		return
	}
	if _, ok := e.want(k); ok {
		w.name(coreKeys[k])
		w.str(v)
	}
}

// multi renders a multi-valued attribute; a value without $ref gets
// base+refPath+value as its $ref when refPath is not empty.
func (e *encoder) multi(w *jsonWriter, k coreAttr, vs []MultiValue, refPath string) {
	if len(vs) == 0 {
		return
	}
	a, ok := e.want(k)
	if !ok {
		return
	}
	ss := e.index().subs[k]
	value, display, typ, primary, ref := ss.value, ss.display, ss.typ, ss.primary, ss.ref
	wantValue := value != nil && e.p.wantsSub(a, value)
	wantRef := ref != nil && e.p.wantsSub(a, ref)
	wantDisplay := display != nil && e.p.wantsSub(a, display)
	wantType := typ != nil && e.p.wantsSub(a, typ)
	wantPrimary := primary != nil && e.p.wantsSub(a, primary)
	w.name(coreKeys[k])
	w.open('[')
	for i := range vs {
		v := &vs[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.open('{')
		if wantValue && v.Value != "" {
			w.name(`,"value":`)
			w.str(v.Value)
		}
		if wantRef {
			switch {
			case v.Ref != "":
				w.name(`,"$ref":`)
				w.str(v.Ref)
			case refPath == "" || v.Value == "":
			case v.Type == "Group" && k == cMembers:
				w.name(`,"$ref":`)
				e.ref(w, "/Groups/", "", v.Value)
			default:
				w.name(`,"$ref":`)
				e.ref(w, refPath, "", v.Value)
			}
		}
		if wantDisplay && v.Display != "" {
			w.name(`,"display":`)
			w.str(v.Display)
		}
		if wantType && v.Type != "" {
			w.name(`,"type":`)
			w.str(v.Type)
		}
		if wantPrimary && v.Primary {
			w.name(`,"primary":`)
			w.raw("true")
		}
		w.close('}')
	}
	w.close(']')
}

// subField writes one string sub-attribute of the complex attribute a,
// given by key literals (key for a, lit for the sub-attribute), opening a's
// object if open is not set yet.
func (e *encoder) subField(w *jsonWriter, a *Attribute, open *bool, key, lit, v string) {
	if v == "" {
		return
	}
	// Without a projection every sub-attribute is wanted: skip the lookup.
	if e.p != nil {
		if sa := a.Sub(litName(lit)); sa == nil || !e.p.wantsSub(a, sa) {
			return
		}
	}
	if !*open {
		w.name(key)
		w.open('{')
		*open = true
	}
	w.name(lit)
	w.str(v)
}

// litName returns the name in a key literal `,"name":`.
func litName(lit string) string { return lit[2 : len(lit)-2] }

func (e *encoder) schemas(w *jsonWriter, exts Extensions, enterprise bool) {
	w.name(`,"schemas":`)
	w.open('[')
	w.str(e.rt.schema.ID)
	if enterprise {
		w.b = append(w.b, `,"`+EnterpriseUserSchema+`"`...)
	}
	if len(exts) > 0 {
		for _, x := range e.rt.extensions {
			if len(exts[x.schema.ID]) > 0 {
				w.elem()
				w.str(x.schema.ID)
			}
		}
	}
	w.close(']')
}

func (e *encoder) meta(w *jsonWriter, m *Meta, id string) {
	a, ok := e.want(cMeta)
	if !ok {
		return
	}
	w.name(`,"meta":`)
	w.open('{')
	if e.p == nil {
		// Every sub-attribute, in schema order.
		w.name(`,"resourceType":`)
		w.str(e.rt.name)
		e.times(w, m)
		w.name(`,"location":`)
		e.ref(w, e.rt.endpoint, "/", id)
		w.strLit(`,"version":`, m.Version)
		w.close('}')
		return
	}
	for _, sa := range a.SubAttributes {
		if !e.p.wantsSub(a, sa) {
			continue
		}
		switch sa.Name {
		case "resourceType":
			w.name(`,"resourceType":`)
			w.str(e.rt.name)
		case "created":
			if !m.Created.IsZero() {
				w.name(`,"created":`)
				w.b = appendTime(w.b, m.Created)
				w.comma = true
			}
		case "lastModified":
			if !m.LastModified.IsZero() {
				w.name(`,"lastModified":`)
				w.b = appendTime(w.b, m.LastModified)
				w.comma = true
			}
		case "location":
			w.name(`,"location":`)
			e.ref(w, e.rt.endpoint, "/", id)
		case "version":
			w.strLit(`,"version":`, m.Version)
		}
	}
	w.close('}')
}

// times writes meta.created and meta.lastModified. They are often the same
// instant (a resource never changed), which is then formatted once.
func (e *encoder) times(w *jsonWriter, m *Meta) {
	start, end := -1, -1
	if !m.Created.IsZero() {
		w.name(`,"created":`)
		start = len(w.b)
		w.b = appendTime(w.b, m.Created)
		end = len(w.b)
		w.comma = true
	}
	if !m.LastModified.IsZero() {
		w.name(`,"lastModified":`)
		if start >= 0 && m.LastModified.Equal(m.Created) {
			w.b = append(w.b, w.b[start:end]...)
		} else {
			w.b = appendTime(w.b, m.LastModified)
		}
		w.comma = true
	}
}

// extensions renders the registered extensions other than Enterprise User,
// in schema order, as nested objects.
func (e *encoder) extensions(w *jsonWriter, exts Extensions) {
	for _, x := range e.rt.extensions {
		vals := exts[x.schema.ID]
		if len(vals) == 0 {
			continue
		}
		open := false
		for _, a := range x.schema.Attributes {
			v, ok := vals[a.Name]
			if !ok || !e.p.wants(a) {
				continue
			}
			if !open {
				w.key(x.schema.ID)
				w.open('{')
				open = true
			}
			w.key(a.Name)
			e.value(w, a, v)
		}
		if open {
			w.close('}')
		}
	}
}

// value renders a document value of attribute a (used for extensions).
func (e *encoder) value(w *jsonWriter, a *Attribute, v any) {
	switch x := v.(type) {
	case string:
		w.str(x)
	case bool:
		w.boolean(x)
	case json.Number:
		w.raw(string(x))
	case []any:
		w.open('[')
		for _, item := range x {
			w.elem()
			e.value(w, a, item)
		}
		w.close(']')
	case map[string]any:
		w.open('{')
		if a != nil && len(a.SubAttributes) > 0 {
			for _, sa := range a.SubAttributes {
				if sv, ok := x[sa.Name]; ok && e.p.wantsSub(a, sa) {
					w.key(sa.Name)
					e.value(w, nil, sv)
				}
			}
		} else {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				w.key(k)
				e.value(w, nil, x[k])
			}
		}
		w.close('}')
	default:
		b, err := json.Marshal(x)
		if err != nil {
			b = []byte("null")
		}
		w.raw(string(b))
	}
}

// appendUser appends the JSON of u to b.
func (e *encoder) appendUser(b []byte, u *User) []byte {
	return e.appendUserGroups(b, u, u.Groups)
}

// appendUserGroups appends the JSON of u, with groups as its groups, to b.
func (e *encoder) appendUserGroups(b []byte, u *User, groups []MultiValue) []byte {
	w := jsonWriter{b: b}
	w.open('{')
	ent := u.Enterprise
	hasEnt := ent != nil && (ent.EmployeeNumber != "" || ent.CostCenter != "" || ent.Organization != "" ||
		ent.Division != "" || ent.Department != "" || (ent.Manager != nil && ent.Manager.Value != ""))
	e.schemas(&w, u.Extensions, hasEnt)
	w.name(`,"id":`)
	w.str(u.ID)
	e.stringAttr(&w, cExternalID, u.ExternalID)
	e.stringAttr(&w, cUserName, u.UserName)
	if n := u.Name; n != nil {
		if a, ok := e.want(cName); ok {
			const key = `,"name":`
			open := false
			e.subField(&w, a, &open, key, `,"formatted":`, n.Formatted)
			e.subField(&w, a, &open, key, `,"familyName":`, n.FamilyName)
			e.subField(&w, a, &open, key, `,"givenName":`, n.GivenName)
			e.subField(&w, a, &open, key, `,"middleName":`, n.MiddleName)
			e.subField(&w, a, &open, key, `,"honorificPrefix":`, n.HonorificPrefix)
			e.subField(&w, a, &open, key, `,"honorificSuffix":`, n.HonorificSuffix)
			if open {
				w.close('}')
			}
		}
	}
	e.stringAttr(&w, cDisplayName, u.DisplayName)
	e.stringAttr(&w, cNickName, u.NickName)
	e.stringAttr(&w, cProfileURL, u.ProfileURL)
	e.stringAttr(&w, cTitle, u.Title)
	e.stringAttr(&w, cUserType, u.UserType)
	e.stringAttr(&w, cPreferredLanguage, u.PreferredLanguage)
	e.stringAttr(&w, cLocale, u.Locale)
	e.stringAttr(&w, cTimezone, u.Timezone)
	if u.Active != nil {
		if _, ok := e.want(cActive); ok {
			w.name(`,"active":`)
			w.boolean(*u.Active)
		}
	}
	e.multi(&w, cEmails, u.Emails, "")
	e.multi(&w, cPhoneNumbers, u.PhoneNumbers, "")
	e.multi(&w, cIMs, u.IMs, "")
	e.multi(&w, cPhotos, u.Photos, "")
	if len(u.Addresses) > 0 {
		if a, ok := e.want(cAddresses); ok {
			e.addresses(&w, a, u.Addresses)
		}
	}
	e.multi(&w, cGroups, groups, "/Groups/")
	e.multi(&w, cEntitlements, u.Entitlements, "")
	e.multi(&w, cRoles, u.Roles, "")
	e.multi(&w, cX509Certificates, u.X509Certificates, "")
	if hasEnt {
		e.enterprise(&w, ent)
	}
	if len(u.Extensions) > 0 {
		e.extensions(&w, u.Extensions)
	}
	e.meta(&w, &u.Meta, u.ID)
	w.close('}')
	return w.b
}

func (e *encoder) addresses(w *jsonWriter, a *Attribute, as []Address) {
	w.name(coreKeys[cAddresses])
	w.open('[')
	for i := range as {
		ad := &as[i]
		w.elem()
		w.open('{')
		for _, kv := range [...][2]string{{`,"formatted":`, ad.Formatted}, {`,"streetAddress":`, ad.StreetAddress},
			{`,"locality":`, ad.Locality}, {`,"region":`, ad.Region}, {`,"postalCode":`, ad.PostalCode},
			{`,"country":`, ad.Country}, {`,"type":`, ad.Type}} {
			if kv[1] != "" && (e.p == nil || e.p.wantsSub(a, a.Sub(litName(kv[0])))) {
				w.name(kv[0])
				w.str(kv[1])
			}
		}
		if ad.Primary && (e.p == nil || e.p.wantsSub(a, a.Sub("primary"))) {
			w.name(`,"primary":`)
			w.boolean(true)
		}
		w.close('}')
	}
	w.close(']')
}

// enterpriseKey is the key literal of the Enterprise User extension.
const enterpriseKey = `,"` + EnterpriseUserSchema + `":`

func (e *encoder) enterprise(w *jsonWriter, ent *EnterpriseUser) {
	s := enterpriseUserSchema
	open := false
	e.entField(w, &open, `,"employeeNumber":`, ent.EmployeeNumber)
	e.entField(w, &open, `,"costCenter":`, ent.CostCenter)
	e.entField(w, &open, `,"organization":`, ent.Organization)
	e.entField(w, &open, `,"division":`, ent.Division)
	e.entField(w, &open, `,"department":`, ent.Department)
	if m := ent.Manager; m != nil && m.Value != "" {
		var a *Attribute
		if e.p != nil {
			a = s.Attr("manager")
		}
		if e.p == nil || e.p.wants(a) {
			if !open {
				w.name(enterpriseKey)
				w.open('{')
				open = true
			}
			w.name(`,"manager":`)
			w.open('{')
			if e.p == nil || e.p.wantsSub(a, a.Sub("value")) {
				w.strLit(`,"value":`, m.Value)
			}
			if e.p == nil || e.p.wantsSub(a, a.Sub("$ref")) {
				w.name(`,"$ref":`)
				if m.Ref != "" {
					w.str(m.Ref)
				} else {
					e.ref(w, "/Users/", "", m.Value)
				}
			}
			if e.p == nil || e.p.wantsSub(a, a.Sub("displayName")) {
				w.strLit(`,"displayName":`, m.DisplayName)
			}
			w.close('}')
		}
	}
	if open {
		w.close('}')
	}
}

// entField writes one string attribute of the Enterprise User extension,
// given by its key literal, opening the extension's object if open is not
// set yet.
func (e *encoder) entField(w *jsonWriter, open *bool, lit, v string) {
	if v == "" || (e.p != nil && !e.p.wants(enterpriseUserSchema.Attr(litName(lit)))) {
		return
	}
	if !*open {
		w.name(enterpriseKey)
		w.open('{')
		*open = true
	}
	w.name(lit)
	w.str(v)
}

// appendGroup appends the JSON of g to b. Members are rendered when the
// projection wants them; a nil Members then renders as [].
func (e *encoder) appendGroup(b []byte, g *Group) []byte {
	w := jsonWriter{b: b}
	w.open('{')
	e.schemas(&w, g.Extensions, false)
	w.name(`,"id":`)
	w.str(g.ID)
	e.stringAttr(&w, cExternalID, g.ExternalID)
	e.stringAttr(&w, cDisplayName, g.DisplayName)
	if _, ok := e.want(cMembers); ok {
		if len(g.Members) == 0 {
			w.name(coreKeys[cMembers])
			w.raw("[]")
		} else {
			e.multi(&w, cMembers, g.Members, "/Users/")
		}
	}
	e.extensions(&w, g.Extensions)
	e.meta(&w, &g.Meta, g.ID)
	w.close('}')
	return w.b
}

// appendResource appends the JSON of r, a *User or *Group.
func appendResource[R Resource](e *encoder, b []byte, r *R) []byte {
	switch x := any(r).(type) {
	case *User:
		return e.appendUser(b, x)
	case *Group:
		return e.appendGroup(b, x)
	}
	return b
}
