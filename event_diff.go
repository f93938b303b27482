package scim

import (
	"slices"
)

// userChangedPaths returns changedPaths of the two users' documents, with
// their passwords: what a user.updated event lists. It compares the
// structs field by field, without building the documents, whenever that
// gives the same answer for certain: no extension attributes on either
// side, and multi-valued attributes either identical or compared as
// documents. (A write is one transaction with the outbox row on a
// recording store, so what the event costs to build is paid by every
// write.)
func userChangedPaths(old, u *User) []string {
	if old == nil || len(old.Extensions) > 0 || len(u.Extensions) > 0 ||
		!slices.Equal(old.Emails, u.Emails) || !slices.Equal(old.PhoneNumbers, u.PhoneNumbers) ||
		!slices.Equal(old.IMs, u.IMs) || !slices.Equal(old.Photos, u.Photos) ||
		!slices.Equal(old.Addresses, u.Addresses) || !slices.Equal(old.Entitlements, u.Entitlements) ||
		!slices.Equal(old.Roles, u.Roles) || !slices.Equal(old.X509Certificates, u.X509Certificates) {
		return userDocPaths(old, u)
	}
	// An empty string is an absent attribute in a document, so comparing
	// the strings compares the documents' values.
	var paths []string
	str := func(path, a, b string) {
		if a != b {
			paths = append(paths, path)
		}
	}
	str("externalId", old.ExternalID, u.ExternalID)
	str("userName", old.UserName, u.UserName)
	var na, nb Name
	if old.Name != nil {
		na = *old.Name
	}
	if u.Name != nil {
		nb = *u.Name
	}
	str("name.formatted", na.Formatted, nb.Formatted)
	str("name.familyName", na.FamilyName, nb.FamilyName)
	str("name.givenName", na.GivenName, nb.GivenName)
	str("name.middleName", na.MiddleName, nb.MiddleName)
	str("name.honorificPrefix", na.HonorificPrefix, nb.HonorificPrefix)
	str("name.honorificSuffix", na.HonorificSuffix, nb.HonorificSuffix)
	str("displayName", old.DisplayName, u.DisplayName)
	str("nickName", old.NickName, u.NickName)
	str("profileUrl", old.ProfileURL, u.ProfileURL)
	str("title", old.Title, u.Title)
	str("userType", old.UserType, u.UserType)
	str("preferredLanguage", old.PreferredLanguage, u.PreferredLanguage)
	str("locale", old.Locale, u.Locale)
	str("timezone", old.Timezone, u.Timezone)
	str("password", old.Password, u.Password)
	var ea, eb EnterpriseUser
	if old.Enterprise != nil {
		ea = *old.Enterprise
	}
	if u.Enterprise != nil {
		eb = *u.Enterprise
	}
	const e = EnterpriseUserSchema + ":"
	str(e+"employeeNumber", ea.EmployeeNumber, eb.EmployeeNumber)
	str(e+"costCenter", ea.CostCenter, eb.CostCenter)
	str(e+"organization", ea.Organization, eb.Organization)
	str(e+"division", ea.Division, eb.Division)
	str(e+"department", ea.Department, eb.Department)
	var ma, mb Manager
	if ea.Manager != nil {
		ma = *ea.Manager
	}
	if eb.Manager != nil {
		mb = *eb.Manager
	}
	if ma != mb {
		paths = append(paths, e+"manager")
	}
	slices.Sort(paths)
	return paths
}

// userDocPaths is changedPaths of the users' documents with their
// passwords; old may be nil.
func userDocPaths(old, u *User) []string {
	var before map[string]any
	if old != nil {
		before = userToDoc(old)
		before["password"] = old.Password
	}
	after := userToDoc(u)
	after["password"] = u.Password
	return changedPaths(before, after)
}
