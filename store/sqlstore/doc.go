package sqlstore

import (
	"bytes"
	"encoding/json"

	"github.com/scimkit/scim"
)

// The doc column holds a resource in the private, stable JSON shape below:
// everything but ID, Meta and (for Users) the derived Groups, and (for
// Groups) Members, which live in scim_group_members. It is this package's
// own encoding, not the SCIM wire format, so that a change in how the
// handler renders resources never changes what is stored, and extension
// values (json.Number included) round-trip exactly.

type userDoc struct {
	ExternalID        string          `json:"externalId,omitempty"`
	UserName          string          `json:"userName,omitempty"`
	Name              *nameDoc        `json:"name,omitempty"`
	DisplayName       string          `json:"displayName,omitempty"`
	NickName          string          `json:"nickName,omitempty"`
	ProfileURL        string          `json:"profileUrl,omitempty"`
	Title             string          `json:"title,omitempty"`
	UserType          string          `json:"userType,omitempty"`
	PreferredLanguage string          `json:"preferredLanguage,omitempty"`
	Locale            string          `json:"locale,omitempty"`
	Timezone          string          `json:"timezone,omitempty"`
	Active            *bool           `json:"active,omitempty"`
	Password          string          `json:"password,omitempty"`
	Emails            []mvDoc         `json:"emails,omitempty"`
	PhoneNumbers      []mvDoc         `json:"phoneNumbers,omitempty"`
	IMs               []mvDoc         `json:"ims,omitempty"`
	Photos            []mvDoc         `json:"photos,omitempty"`
	Addresses         []addressDoc    `json:"addresses,omitempty"`
	Entitlements      []mvDoc         `json:"entitlements,omitempty"`
	Roles             []mvDoc         `json:"roles,omitempty"`
	X509Certificates  []mvDoc         `json:"x509Certificates,omitempty"`
	Enterprise        *enterpriseDoc  `json:"enterprise,omitempty"`
	Extensions        scim.Extensions `json:"extensions,omitempty"`
}

type nameDoc struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

type mvDoc struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Ref     string `json:"$ref,omitempty"`
}

type addressDoc struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

type enterpriseDoc struct {
	EmployeeNumber string      `json:"employeeNumber,omitempty"`
	CostCenter     string      `json:"costCenter,omitempty"`
	Organization   string      `json:"organization,omitempty"`
	Division       string      `json:"division,omitempty"`
	Department     string      `json:"department,omitempty"`
	Manager        *managerDoc `json:"manager,omitempty"`
}

type managerDoc struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

type groupDoc struct {
	ExternalID  string          `json:"externalId,omitempty"`
	DisplayName string          `json:"displayName,omitempty"`
	Extensions  scim.Extensions `json:"extensions,omitempty"`
}

func mvsToDoc(vs []scim.MultiValue) []mvDoc {
	if len(vs) == 0 {
		return nil
	}
	out := make([]mvDoc, len(vs))
	for i, v := range vs {
		out[i] = mvDoc(v)
	}
	return out
}

func encodeUser(u *scim.User) ([]byte, error) {
	d := userDoc{
		ExternalID: u.ExternalID, UserName: u.UserName, DisplayName: u.DisplayName, NickName: u.NickName,
		ProfileURL: u.ProfileURL, Title: u.Title, UserType: u.UserType, PreferredLanguage: u.PreferredLanguage,
		Locale: u.Locale, Timezone: u.Timezone, Active: u.Active, Password: u.Password,
		Emails: mvsToDoc(u.Emails), PhoneNumbers: mvsToDoc(u.PhoneNumbers), IMs: mvsToDoc(u.IMs),
		Photos: mvsToDoc(u.Photos), Entitlements: mvsToDoc(u.Entitlements), Roles: mvsToDoc(u.Roles),
		X509Certificates: mvsToDoc(u.X509Certificates), Extensions: u.Extensions,
	}
	if u.Name != nil {
		d.Name = (*nameDoc)(u.Name)
	}
	if len(u.Addresses) > 0 {
		d.Addresses = make([]addressDoc, len(u.Addresses))
		for i, a := range u.Addresses {
			d.Addresses[i] = addressDoc(a)
		}
	}
	if e := u.Enterprise; e != nil {
		d.Enterprise = &enterpriseDoc{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter,
			Organization: e.Organization, Division: e.Division, Department: e.Department}
		if e.Manager != nil {
			d.Enterprise.Manager = (*managerDoc)(e.Manager)
		}
	}
	return marshal(d)
}

func encodeGroup(g *scim.Group) ([]byte, error) {
	return marshal(groupDoc{ExternalID: g.ExternalID, DisplayName: g.DisplayName, Extensions: g.Extensions})
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Stored text is data, not HTML: keep <, > and & as they are.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// The search column is a flat JSON object of comparison keys, computed in
// Go, for the singular attributes that have no column of their own: for a
// string at canonical path p, "p" holds the value and "~p" the value folded
// (see fold); a boolean is "true" or "false". Extension attributes are
// included whether or not the store knows their schema, so registering an
// extension with the store later makes filters on it exact for old rows
// too.

type searchDoc map[string]string

func (s searchDoc) str(path, v string) {
	if v != "" {
		s[path] = v
		s["~"+path] = fold(v)
	}
}

func (s searchDoc) extensions(exts scim.Extensions) {
	for urn, attrs := range exts {
		for name, v := range attrs {
			p := urn + ":" + name
			switch v := v.(type) {
			case string:
				s.str(p, v)
			case bool:
				s[p] = boolKey(v)
			case map[string]any:
				for sub, sv := range v {
					switch sv := sv.(type) {
					case string:
						s.str(p+"."+sub, sv)
					case bool:
						s[p+"."+sub] = boolKey(sv)
					}
				}
			}
		}
	}
}

func boolKey(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func userSearch(u *scim.User) ([]byte, error) {
	s := searchDoc{}
	if n := u.Name; n != nil {
		s.str("name.formatted", n.Formatted)
		s.str("name.familyName", n.FamilyName)
		s.str("name.givenName", n.GivenName)
		s.str("name.middleName", n.MiddleName)
		s.str("name.honorificPrefix", n.HonorificPrefix)
		s.str("name.honorificSuffix", n.HonorificSuffix)
	}
	s.str("nickName", u.NickName)
	s.str("profileUrl", u.ProfileURL)
	s.str("title", u.Title)
	s.str("userType", u.UserType)
	s.str("preferredLanguage", u.PreferredLanguage)
	s.str("locale", u.Locale)
	s.str("timezone", u.Timezone)
	if e := u.Enterprise; e != nil {
		const p = scim.EnterpriseUserSchema + ":"
		s.str(p+"costCenter", e.CostCenter)
		s.str(p+"organization", e.Organization)
		s.str(p+"division", e.Division)
		s.str(p+"department", e.Department)
		if m := e.Manager; m != nil {
			s.str(p+"manager.value", m.Value)
			s.str(p+"manager.$ref", m.Ref)
			s.str(p+"manager.displayName", m.DisplayName)
		}
	}
	s.extensions(u.Extensions)
	return marshal(s)
}

func groupSearch(g *scim.Group) ([]byte, error) {
	s := searchDoc{}
	s.extensions(g.Extensions)
	return marshal(s)
}

// valueRow is one value of a multi-valued User attribute in
// scim_user_values; its text columns hold folded keys (every sub-attribute
// of the core multi-valued attributes is case-insensitive).
type valueRow struct {
	attr string
	pos  int
	// cols are value, display, type, formatted, street_address, locality,
	// region, postal_code, country.
	cols    [9]string
	primary bool
}

// valueColumns maps a sub-attribute name to its column in scim_user_values.
var valueColumns = map[string]string{
	"value": "value", "display": "display", "type": "type", "primary": "is_primary",
	"formatted": "formatted", "streetAddress": "street_address", "locality": "locality",
	"region": "region", "postalCode": "postal_code", "country": "country",
}

// indexedMultiValued lists the multi-valued User attributes kept in
// scim_user_values. x509Certificates is not: certificates are too large for
// a B-tree index, and nobody filters on them.
var indexedMultiValued = map[string]bool{
	"emails": true, "phoneNumbers": true, "ims": true, "photos": true,
	"addresses": true, "entitlements": true, "roles": true,
}

func userValueRows(u *scim.User) []valueRow {
	var rows []valueRow
	add := func(attr string, vs []scim.MultiValue) {
		for i, v := range vs {
			rows = append(rows, valueRow{attr: attr, pos: i, primary: v.Primary,
				cols: [9]string{fold(v.Value), fold(v.Display), fold(v.Type)}})
		}
	}
	add("emails", u.Emails)
	add("phoneNumbers", u.PhoneNumbers)
	add("ims", u.IMs)
	add("photos", u.Photos)
	add("entitlements", u.Entitlements)
	add("roles", u.Roles)
	for i, a := range u.Addresses {
		rows = append(rows, valueRow{attr: "addresses", pos: i, primary: a.Primary, cols: [9]string{
			"", "", fold(a.Type), fold(a.Formatted), fold(a.StreetAddress), fold(a.Locality),
			fold(a.Region), fold(a.PostalCode), fold(a.Country)}})
	}
	return rows
}

// fold returns the key under which s is compared case-insensitively:
// [scim.FoldKey], Unicode simple case folding, so that two strings have
// equal keys exactly when strings.EqualFold reports them equal, as the
// handler's evaluator and every other store compare them. Folding in Go
// rather than with SQL lower() makes both dialects agree with the
// evaluator: SQLite's lower() only folds ASCII, and PostgreSQL's depends on
// the database locale.
func fold(s string) string { return scim.FoldKey(s) }
