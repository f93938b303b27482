package scim

// The document form of a resource, used by the PATCH engine and input
// validation, is a map[string]any with canonical attribute names as keys;
// extension attributes nest under the canonical extension URN. Values are
// string, bool, json.Number, map[string]any and []any; an unassigned
// attribute has no key (never a nil value). It holds "id" and "externalId",
// never "meta", "schemas" or the read-only "groups".

func setStr(doc map[string]any, key, v string) {
	if v != "" {
		doc[key] = v
	}
}

func getStr(doc map[string]any, key string) string {
	s, _ := doc[key].(string)
	return s
}

func getBool(doc map[string]any, key string) bool {
	b, _ := doc[key].(bool)
	return b
}

func multiToDoc(vs []MultiValue) []any {
	out := make([]any, 0, len(vs))
	for i := range vs {
		v := &vs[i]
		m := make(map[string]any, 4)
		setStr(m, "value", v.Value)
		setStr(m, "display", v.Display)
		setStr(m, "type", v.Type)
		setStr(m, "$ref", v.Ref)
		if v.Primary {
			m["primary"] = true
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func multiFromDoc(v any) []MultiValue {
	list, _ := v.([]any)
	if len(list) == 0 {
		return nil
	}
	out := make([]MultiValue, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, MultiValue{
			Value:   getStr(m, "value"),
			Display: getStr(m, "display"),
			Type:    getStr(m, "type"),
			Primary: getBool(m, "primary"),
			Ref:     getStr(m, "$ref"),
		})
	}
	return out
}

func setMulti(doc map[string]any, key string, vs []MultiValue) {
	if len(vs) > 0 {
		if l := multiToDoc(vs); len(l) > 0 {
			doc[key] = l
		}
	}
}

func extensionsToDoc(doc map[string]any, exts Extensions) {
	for urn, attrs := range exts {
		if len(attrs) > 0 {
			doc[urn] = deepCopyValue(attrs)
		}
	}
}

// deepCopyValue copies a document value so that the copy shares no map or
// slice with the original.
func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopyValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopyValue(e)
		}
		return l
	default:
		return v
	}
}

func userToDoc(u *User) map[string]any {
	doc := make(map[string]any, 16)
	setStr(doc, "id", u.ID)
	setStr(doc, "externalId", u.ExternalID)
	setStr(doc, "userName", u.UserName)
	if n := u.Name; n != nil {
		m := make(map[string]any, 6)
		setStr(m, "formatted", n.Formatted)
		setStr(m, "familyName", n.FamilyName)
		setStr(m, "givenName", n.GivenName)
		setStr(m, "middleName", n.MiddleName)
		setStr(m, "honorificPrefix", n.HonorificPrefix)
		setStr(m, "honorificSuffix", n.HonorificSuffix)
		if len(m) > 0 {
			doc["name"] = m
		}
	}
	setStr(doc, "displayName", u.DisplayName)
	setStr(doc, "nickName", u.NickName)
	setStr(doc, "profileUrl", u.ProfileURL)
	setStr(doc, "title", u.Title)
	setStr(doc, "userType", u.UserType)
	setStr(doc, "preferredLanguage", u.PreferredLanguage)
	setStr(doc, "locale", u.Locale)
	setStr(doc, "timezone", u.Timezone)
	if u.Active != nil {
		doc["active"] = *u.Active
	}
	setStr(doc, "password", u.Password)
	setMulti(doc, "emails", u.Emails)
	setMulti(doc, "phoneNumbers", u.PhoneNumbers)
	setMulti(doc, "ims", u.IMs)
	setMulti(doc, "photos", u.Photos)
	if len(u.Addresses) > 0 {
		l := make([]any, 0, len(u.Addresses))
		for i := range u.Addresses {
			a := &u.Addresses[i]
			m := make(map[string]any, 8)
			setStr(m, "formatted", a.Formatted)
			setStr(m, "streetAddress", a.StreetAddress)
			setStr(m, "locality", a.Locality)
			setStr(m, "region", a.Region)
			setStr(m, "postalCode", a.PostalCode)
			setStr(m, "country", a.Country)
			setStr(m, "type", a.Type)
			if a.Primary {
				m["primary"] = true
			}
			if len(m) > 0 {
				l = append(l, m)
			}
		}
		if len(l) > 0 {
			doc["addresses"] = l
		}
	}
	setMulti(doc, "entitlements", u.Entitlements)
	setMulti(doc, "roles", u.Roles)
	setMulti(doc, "x509Certificates", u.X509Certificates)
	if e := u.Enterprise; e != nil {
		m := make(map[string]any, 6)
		setStr(m, "employeeNumber", e.EmployeeNumber)
		setStr(m, "costCenter", e.CostCenter)
		setStr(m, "organization", e.Organization)
		setStr(m, "division", e.Division)
		setStr(m, "department", e.Department)
		if mg := e.Manager; mg != nil {
			mm := make(map[string]any, 3)
			setStr(mm, "value", mg.Value)
			setStr(mm, "$ref", mg.Ref)
			setStr(mm, "displayName", mg.DisplayName)
			if len(mm) > 0 {
				m["manager"] = mm
			}
		}
		if len(m) > 0 {
			doc[EnterpriseUserSchema] = m
		}
	}
	extensionsToDoc(doc, u.Extensions)
	return doc
}

// userFromDoc builds a User from a document that normalizeDoc produced.
// ID, Groups and Meta are left for the caller.
func userFromDoc(doc map[string]any) *User {
	u := &User{
		ID:                getStr(doc, "id"),
		ExternalID:        getStr(doc, "externalId"),
		UserName:          getStr(doc, "userName"),
		DisplayName:       getStr(doc, "displayName"),
		NickName:          getStr(doc, "nickName"),
		ProfileURL:        getStr(doc, "profileUrl"),
		Title:             getStr(doc, "title"),
		UserType:          getStr(doc, "userType"),
		PreferredLanguage: getStr(doc, "preferredLanguage"),
		Locale:            getStr(doc, "locale"),
		Timezone:          getStr(doc, "timezone"),
		Password:          getStr(doc, "password"),
		Emails:            multiFromDoc(doc["emails"]),
		PhoneNumbers:      multiFromDoc(doc["phoneNumbers"]),
		IMs:               multiFromDoc(doc["ims"]),
		Photos:            multiFromDoc(doc["photos"]),
		Entitlements:      multiFromDoc(doc["entitlements"]),
		Roles:             multiFromDoc(doc["roles"]),
		X509Certificates:  multiFromDoc(doc["x509Certificates"]),
	}
	if m, ok := doc["name"].(map[string]any); ok {
		u.Name = &Name{
			Formatted:       getStr(m, "formatted"),
			FamilyName:      getStr(m, "familyName"),
			GivenName:       getStr(m, "givenName"),
			MiddleName:      getStr(m, "middleName"),
			HonorificPrefix: getStr(m, "honorificPrefix"),
			HonorificSuffix: getStr(m, "honorificSuffix"),
		}
	}
	if b, ok := doc["active"].(bool); ok {
		u.Active = &b
	}
	if l, ok := doc["addresses"].([]any); ok {
		for _, item := range l {
			m, ok := item.(map[string]any)
			if !ok {
				continue
			}
			u.Addresses = append(u.Addresses, Address{
				Formatted:     getStr(m, "formatted"),
				StreetAddress: getStr(m, "streetAddress"),
				Locality:      getStr(m, "locality"),
				Region:        getStr(m, "region"),
				PostalCode:    getStr(m, "postalCode"),
				Country:       getStr(m, "country"),
				Type:          getStr(m, "type"),
				Primary:       getBool(m, "primary"),
			})
		}
	}
	u.Extensions = extensionsFromDoc(doc, func(k string, m map[string]any) bool {
		if k != EnterpriseUserSchema {
			return false
		}
		e := &EnterpriseUser{
			EmployeeNumber: getStr(m, "employeeNumber"),
			CostCenter:     getStr(m, "costCenter"),
			Organization:   getStr(m, "organization"),
			Division:       getStr(m, "division"),
			Department:     getStr(m, "department"),
		}
		if mm, ok := m["manager"].(map[string]any); ok {
			e.Manager = &Manager{Value: getStr(mm, "value"), Ref: getStr(mm, "$ref"), DisplayName: getStr(mm, "displayName")}
		}
		u.Enterprise = e
		return true
	})
	return u
}

// extensionsFromDoc collects the extension objects of a document (keys
// that are URNs) into Extensions, except those that typed handles.
func extensionsFromDoc(doc map[string]any, typed func(urn string, m map[string]any) bool) Extensions {
	var exts Extensions
	for k, v := range doc {
		m, ok := v.(map[string]any)
		if !ok || len(k) < 4 || k[:4] != "urn:" || (typed != nil && typed(k, m)) {
			continue
		}
		if exts == nil {
			exts = Extensions{}
		}
		exts[k] = deepCopyValue(m).(map[string]any)
	}
	return exts
}

func groupToDoc(g *Group) map[string]any {
	doc := make(map[string]any, 4)
	setStr(doc, "id", g.ID)
	setStr(doc, "externalId", g.ExternalID)
	setStr(doc, "displayName", g.DisplayName)
	setMulti(doc, "members", g.Members)
	extensionsToDoc(doc, g.Extensions)
	return doc
}

// groupFromDoc builds a Group from a document that normalizeDoc produced.
func groupFromDoc(doc map[string]any) *Group {
	g := &Group{
		ID:          getStr(doc, "id"),
		ExternalID:  getStr(doc, "externalId"),
		DisplayName: getStr(doc, "displayName"),
		Members:     multiFromDoc(doc["members"]),
	}
	g.Extensions = extensionsFromDoc(doc, nil)
	return g
}

// CloneExtensions returns a deep copy of e, for stores that keep resources
// in memory.
func CloneExtensions(e Extensions) Extensions {
	if e == nil {
		return nil
	}
	out := make(Extensions, len(e))
	for k, v := range e {
		out[k] = deepCopyValue(v).(map[string]any)
	}
	return out
}

// docOf returns the document form of a resource.
func docOf[R Resource](r *R) map[string]any {
	switch x := any(r).(type) {
	case *User:
		return userToDoc(x)
	case *Group:
		return groupToDoc(x)
	}
	return nil
}

func fromDoc[R Resource](doc map[string]any) *R {
	var r *R
	switch p := any(&r).(type) {
	case **User:
		*p = userFromDoc(doc)
	case **Group:
		*p = groupFromDoc(doc)
	}
	return r
}
