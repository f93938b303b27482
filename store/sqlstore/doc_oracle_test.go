package sqlstore

import (
	"bytes"
	"encoding/json"

	"github.com/scimkit/scim"
)

// The reflection decoder of the doc column that doc_decode.go replaced,
// kept as the oracle of the differential and fuzz tests: the hand-written
// decoder must accept what it accepts and produce what it produces.

func mvsFromDoc(vs []mvDoc) []scim.MultiValue {
	if len(vs) == 0 {
		return nil
	}
	out := make([]scim.MultiValue, len(vs))
	for i, v := range vs {
		out[i] = scim.MultiValue(v)
	}
	return out
}

func oracleDecodeUser(b []byte, u *scim.User) error {
	var d userDoc
	if err := oracleUnmarshal(b, &d); err != nil {
		return err
	}
	*u = scim.User{
		ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName, NickName: d.NickName,
		ProfileURL: d.ProfileURL, Title: d.Title, UserType: d.UserType, PreferredLanguage: d.PreferredLanguage,
		Locale: d.Locale, Timezone: d.Timezone, Active: d.Active, Password: d.Password,
		Emails: mvsFromDoc(d.Emails), PhoneNumbers: mvsFromDoc(d.PhoneNumbers), IMs: mvsFromDoc(d.IMs),
		Photos: mvsFromDoc(d.Photos), Entitlements: mvsFromDoc(d.Entitlements), Roles: mvsFromDoc(d.Roles),
		X509Certificates: mvsFromDoc(d.X509Certificates), Extensions: d.Extensions,
	}
	if d.Name != nil {
		u.Name = (*scim.Name)(d.Name)
	}
	if len(d.Addresses) > 0 {
		u.Addresses = make([]scim.Address, len(d.Addresses))
		for i, a := range d.Addresses {
			u.Addresses[i] = scim.Address(a)
		}
	}
	if e := d.Enterprise; e != nil {
		u.Enterprise = &scim.EnterpriseUser{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter,
			Organization: e.Organization, Division: e.Division, Department: e.Department}
		if e.Manager != nil {
			u.Enterprise.Manager = (*scim.Manager)(e.Manager)
		}
	}
	return nil
}

func oracleDecodeGroup(b []byte, g *scim.Group) error {
	var d groupDoc
	if err := oracleUnmarshal(b, &d); err != nil {
		return err
	}
	*g = scim.Group{ExternalID: d.ExternalID, DisplayName: d.DisplayName, Extensions: d.Extensions}
	return nil
}

func oracleUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
