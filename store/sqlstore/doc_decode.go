package sqlstore

import (
	"encoding/json"
	"strings"

	"github.com/scimkit/scim"
)

// A hand-written decoder of the doc column (issue 15): every read of a
// resource decodes its document, and decoding it with encoding/json's
// reflection was about a third of the CPU of a list page. The decoder
// reads the userDoc and groupDoc shapes directly into scim.User and
// scim.Group, and hands the rare extensions object to encoding/json (with
// UseNumber, so numbers round-trip exactly).
//
// It accepts exactly the documents json.Decoder.Decode into userDoc
// (groupDoc) accepts, and gives the same result, which
// doc_decode_test.go checks against that path: keys match fields exactly
// or else case-insensitively (bytes.EqualFold), unknown keys are skipped,
// null leaves a string or bool as it is and clears a pointer, slice or map,
// a repeated key decodes into what the first one left (objects merge),
// invalid UTF-8 and lone surrogates become U+FFFD, nesting deeper than
// 10,000 is refused, and whatever follows the top-level value is ignored.

var (
	userFields = []string{"externalId", "userName", "name", "displayName", "nickName", "profileUrl", "title",
		"userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers",
		"ims", "photos", "addresses", "entitlements", "roles", "x509Certificates", "enterprise", "extensions"}
	nameFields       = []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}
	mvFields         = []string{"value", "display", "type", "primary", "$ref"}
	addressFields    = []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}
	enterpriseFields = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
	managerFields    = []string{"value", "$ref", "displayName"}
	groupFields      = []string{"externalId", "displayName", "extensions"}
)

// decodeUserDoc decodes a stored user document into u, which it resets.
func decodeUserDoc(doc string, u *scim.User) error {
	*u = scim.User{}
	r := &docReader{s: doc}
	if ok, err := r.top(); !ok || err != nil {
		return err
	}
	if err := r.object(1, func(k string) error { return r.userMember(k, u) }); err != nil {
		return err
	}
	normalizeUser(u)
	return nil
}

// normalizeUser makes the empty multi-valued attributes nil, as decodeUser
// did by copying them.
func normalizeUser(u *scim.User) {
	for _, p := range []*[]scim.MultiValue{&u.Emails, &u.PhoneNumbers, &u.IMs, &u.Photos,
		&u.Entitlements, &u.Roles, &u.X509Certificates} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	if len(u.Addresses) == 0 {
		u.Addresses = nil
	}
}

func (r *docReader) userMember(key string, u *scim.User) error {
	const d = 2 // depth of the values of the document's members
	switch field(key, userFields) {
	case "externalId":
		return r.setStr(&u.ExternalID)
	case "userName":
		return r.setStr(&u.UserName)
	case "displayName":
		return r.setStr(&u.DisplayName)
	case "nickName":
		return r.setStr(&u.NickName)
	case "profileUrl":
		return r.setStr(&u.ProfileURL)
	case "title":
		return r.setStr(&u.Title)
	case "userType":
		return r.setStr(&u.UserType)
	case "preferredLanguage":
		return r.setStr(&u.PreferredLanguage)
	case "locale":
		return r.setStr(&u.Locale)
	case "timezone":
		return r.setStr(&u.Timezone)
	case "password":
		return r.setStr(&u.Password)
	case "active":
		if null, err := r.isNull(); null || err != nil {
			if null {
				u.Active = nil
			}
			return err
		}
		if u.Active == nil {
			u.Active = new(bool)
		}
		if c := r.peek(); c != 't' && c != 'f' {
			return r.fail()
		}
		return r.setBool(u.Active)
	case "name":
		if null, err := r.isNull(); null || err != nil {
			if null {
				u.Name = nil
			}
			return err
		}
		if r.peek() != '{' {
			return r.fail()
		}
		if u.Name == nil {
			u.Name = new(scim.Name)
		}
		n := u.Name
		return r.object(d, func(k string) error { return r.nameMember(k, n) })
	case "emails":
		return docSlice(r, d, &u.Emails, r.mvElem)
	case "phoneNumbers":
		return docSlice(r, d, &u.PhoneNumbers, r.mvElem)
	case "ims":
		return docSlice(r, d, &u.IMs, r.mvElem)
	case "photos":
		return docSlice(r, d, &u.Photos, r.mvElem)
	case "entitlements":
		return docSlice(r, d, &u.Entitlements, r.mvElem)
	case "roles":
		return docSlice(r, d, &u.Roles, r.mvElem)
	case "x509Certificates":
		return docSlice(r, d, &u.X509Certificates, r.mvElem)
	case "addresses":
		return docSlice(r, d, &u.Addresses, r.addressElem)
	case "enterprise":
		if null, err := r.isNull(); null || err != nil {
			if null {
				u.Enterprise = nil
			}
			return err
		}
		if r.peek() != '{' {
			return r.fail()
		}
		if u.Enterprise == nil {
			u.Enterprise = new(scim.EnterpriseUser)
		}
		e := u.Enterprise
		return r.object(d, func(k string) error { return r.enterpriseMember(k, e) })
	case "extensions":
		return r.extensions(d, &u.Extensions)
	}
	return r.skip(d)
}

func (r *docReader) nameMember(key string, n *scim.Name) error {
	switch field(key, nameFields) {
	case "formatted":
		return r.setStr(&n.Formatted)
	case "familyName":
		return r.setStr(&n.FamilyName)
	case "givenName":
		return r.setStr(&n.GivenName)
	case "middleName":
		return r.setStr(&n.MiddleName)
	case "honorificPrefix":
		return r.setStr(&n.HonorificPrefix)
	case "honorificSuffix":
		return r.setStr(&n.HonorificSuffix)
	}
	return r.skip(3)
}

// mvElem decodes an element of a multi-valued attribute, at depth 3.
func (r *docReader) mvElem(v *scim.MultiValue) error {
	return r.structElem(3, func(key string) error {
		switch field(key, mvFields) {
		case "value":
			return r.setStr(&v.Value)
		case "display":
			return r.setStr(&v.Display)
		case "type":
			return r.setStr(&v.Type)
		case "primary":
			return r.setBool(&v.Primary)
		case "$ref":
			return r.setStr(&v.Ref)
		}
		return r.skip(4)
	})
}

// addressElem decodes an element of addresses, at depth 3.
func (r *docReader) addressElem(a *scim.Address) error {
	return r.structElem(3, func(key string) error {
		switch field(key, addressFields) {
		case "formatted":
			return r.setStr(&a.Formatted)
		case "streetAddress":
			return r.setStr(&a.StreetAddress)
		case "locality":
			return r.setStr(&a.Locality)
		case "region":
			return r.setStr(&a.Region)
		case "postalCode":
			return r.setStr(&a.PostalCode)
		case "country":
			return r.setStr(&a.Country)
		case "type":
			return r.setStr(&a.Type)
		case "primary":
			return r.setBool(&a.Primary)
		}
		return r.skip(4)
	})
}

func (r *docReader) enterpriseMember(key string, e *scim.EnterpriseUser) error {
	switch field(key, enterpriseFields) {
	case "employeeNumber":
		return r.setStr(&e.EmployeeNumber)
	case "costCenter":
		return r.setStr(&e.CostCenter)
	case "organization":
		return r.setStr(&e.Organization)
	case "division":
		return r.setStr(&e.Division)
	case "department":
		return r.setStr(&e.Department)
	case "manager":
		if null, err := r.isNull(); null || err != nil {
			if null {
				e.Manager = nil
			}
			return err
		}
		if r.peek() != '{' {
			return r.fail()
		}
		if e.Manager == nil {
			e.Manager = new(scim.Manager)
		}
		m := e.Manager
		return r.object(3, func(key string) error {
			switch field(key, managerFields) {
			case "value":
				return r.setStr(&m.Value)
			case "$ref":
				return r.setStr(&m.Ref)
			case "displayName":
				return r.setStr(&m.DisplayName)
			}
			return r.skip(4)
		})
	}
	return r.skip(3)
}

// decodeGroupDoc decodes a stored group document into g, which it resets.
func decodeGroupDoc(doc string, g *scim.Group) error {
	*g = scim.Group{}
	r := &docReader{s: doc}
	if ok, err := r.top(); !ok || err != nil {
		return err
	}
	return r.object(1, func(key string) error {
		switch field(key, groupFields) {
		case "externalId":
			return r.setStr(&g.ExternalID)
		case "displayName":
			return r.setStr(&g.DisplayName)
		case "extensions":
			return r.extensions(2, &g.Extensions)
		}
		return r.skip(2)
	})
}

// decodeGroupPairs decodes the [[id, displayName], …] aggregate of
// userGroupsSubquery, appending to dst. Anything but that plain shape
// (which both dialects produce) goes to encoding/json.
func decodeGroupPairs(agg string, dst []scim.MultiValue) ([]scim.MultiValue, error) {
	r := &docReader{s: agg}
	if r.peek() == '[' {
		n := len(dst)
		more, err := r.openArray()
		for ; more && err == nil; more, err = r.next(']') {
			var id, display string
			if r.peek() != '[' {
				break
			}
			r.i++
			if r.peek() != '"' {
				break
			}
			if id, err = r.str(); err != nil || r.peek() != ',' {
				break
			}
			r.i++
			if r.peek() != '"' {
				break
			}
			if display, err = r.str(); err != nil || r.peek() != ']' {
				break
			}
			r.i++
			dst = append(dst, scim.MultiValue{Value: id, Display: display, Type: "direct"})
		}
		if !more && err == nil && strings.TrimLeft(r.s[r.i:], " \t\r\n") == "" {
			return dst, nil
		}
		dst = dst[:n]
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(agg), &pairs); err != nil {
		return dst, err
	}
	for _, p := range pairs {
		dst = append(dst, scim.MultiValue{Value: p[0], Display: p[1], Type: "direct"})
	}
	return dst, nil
}

// decodeUser decodes a stored user document held in bytes.
func decodeUser(b []byte, u *scim.User) error { return decodeUserDoc(string(b), u) }

// decodeGroup decodes a stored group document held in bytes.
func decodeGroup(b []byte, g *scim.Group) error { return decodeGroupDoc(string(b), g) }
