package scim

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// userChangedPaths, which compares users field by field, lists exactly
// the paths that comparing their documents lists, for random pairs of
// users that differ in few attributes (as a PATCH's do) or many.
func TestUserChangedPathsAgreesWithDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string { return []string{"", "", "a", "b"}[r.IntN(4)] }
	multi := func() []MultiValue {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []MultiValue{}
		}
		l := make([]MultiValue, 1+r.IntN(2))
		for i := range l {
			l[i] = MultiValue{Value: str(), Type: str(), Primary: r.IntN(2) == 0, Display: str()}
		}
		return l
	}
	user := func() *User {
		u := &User{ID: "x", ExternalID: str(), UserName: str(), DisplayName: str(), NickName: str(), ProfileURL: str(),
			Title: str(), UserType: str(), PreferredLanguage: str(), Locale: str(), Timezone: str(), Password: str(),
			Emails: multi(), PhoneNumbers: multi(), IMs: multi(), Photos: multi(), Entitlements: multi(), Roles: multi(),
			X509Certificates: multi(), Groups: multi()}
		if r.IntN(3) > 0 {
			u.Name = &Name{Formatted: str(), FamilyName: str(), GivenName: str(), MiddleName: str(), HonorificPrefix: str(), HonorificSuffix: str()}
		}
		if r.IntN(3) > 0 {
			u.Enterprise = &EnterpriseUser{EmployeeNumber: str(), CostCenter: str(), Organization: str(), Division: str(), Department: str()}
			if r.IntN(2) == 0 {
				u.Enterprise.Manager = &Manager{Value: str(), Ref: str(), DisplayName: str()}
			}
		}
		if r.IntN(2) == 0 {
			u.Addresses = []Address{{Locality: str(), Country: str(), Primary: r.IntN(2) == 0}}
		}
		if r.IntN(8) == 0 {
			u.Extensions = Extensions{"urn:example:ext": {"a": str()}}
		}
		if r.IntN(2) == 0 {
			u.Active = new(bool)
		}
		return u
	}
	// change copies u and changes one to three of its fields to those of
	// another random user.
	change := func(u *User) *User {
		c, o := *u, user()
		cv, ov := reflect.ValueOf(&c).Elem(), reflect.ValueOf(o).Elem()
		for range 1 + r.IntN(3) {
			i := r.IntN(cv.NumField())
			cv.Field(i).Set(ov.Field(i))
		}
		return &c
	}
	for i := range 20000 {
		a := user()
		b := change(a)
		if i%4 == 0 {
			b = user()
		}
		require.Equal(t, userDocPaths(a, b), userChangedPaths(a, b), "%+v\n%+v", a, b)
	}
	u := user()
	require.Equal(t, userDocPaths(nil, u), userChangedPaths(nil, u))
}

// userChangedPaths names every field of User that is part of its
// document: a field added to User must be added there too (or be one it
// need not compare).
func TestUserChangedPathsCoversUser(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[User]().Fields() {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"ID", "ExternalID", "UserName", "Name", "DisplayName", "NickName", "ProfileURL", "Title",
		"UserType", "PreferredLanguage", "Locale", "Timezone", "Active", "Password", "Emails", "PhoneNumbers", "IMs",
		"Photos", "Addresses", "Groups", "Entitlements", "Roles", "X509Certificates", "Enterprise", "Extensions", "Meta"}, names)
	require.Equal(t, 6, reflect.TypeFor[Name]().NumField())
	require.Equal(t, 6, reflect.TypeFor[EnterpriseUser]().NumField())
	require.Equal(t, 3, reflect.TypeFor[Manager]().NumField())
}
