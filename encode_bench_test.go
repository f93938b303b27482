package scim

import (
	"fmt"
	"testing"
	"time"
)

func typicalUser(i int) *User {
	active := true
	return &User{
		ID: fmt.Sprintf("2819c223-7f76-453a-919d-%012d", i), ExternalID: fmt.Sprint("ext", i),
		UserName:    fmt.Sprintf("user%06d@example.com", i),
		Name:        &Name{Formatted: "Ms. Barbara J Jensen III", FamilyName: "Jensen", GivenName: "Barbara"},
		DisplayName: "Babs Jensen", Active: &active,
		Emails: []MultiValue{{Value: "bjensen@example.com", Type: "work", Primary: true}, {Value: "babs@jensen.org", Type: "home"}},
		Enterprise: &EnterpriseUser{EmployeeNumber: fmt.Sprint(i), Department: "Tour Operations",
			Manager: &Manager{Value: "26118915-6090-4610-87e4-49d8ca9f808d"}},
		Meta: Meta{Created: time.Unix(1700000000, 0), LastModified: time.Unix(1700000100, 0), Version: `W/"3"`},
	}
}

// BenchmarkEncodeUser renders one typical user without a projection.
func BenchmarkEncodeUser(b *testing.B) {
	e := encoder{rt: newResourceType("User", nil), base: "https://app.example.com/scim/v2"}
	u := typicalUser(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = e.appendUser(buf[:0], u)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeUserProjected renders one user with attributes=userName,emails.
func BenchmarkEncodeUserProjected(b *testing.B) {
	rt := newResourceType("User", nil)
	e := encoder{rt: rt, base: "https://app.example.com/scim/v2", p: rt.newProjection("userName,emails.value", "")}
	u := typicalUser(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = e.appendUser(buf[:0], u)
	}
}

// BenchmarkEncodeGroupMembers renders a group of 10,000 members.
func BenchmarkEncodeGroupMembers(b *testing.B) {
	e := encoder{rt: newResourceType("Group", nil), base: "https://app.example.com/scim/v2"}
	g := &Group{ID: "g1", DisplayName: "Sales"}
	for i := range 10000 {
		g.Members = append(g.Members, MultiValue{Value: fmt.Sprintf("2819c223-7f76-453a-919d-%012d", i), Display: "Member"})
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = e.appendGroup(buf[:0], g)
	}
	b.SetBytes(int64(len(buf)))
}
