package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// benchUsers seeds n users through the store: every 1000th has a work
// email at example.com, the others at corp.test.
func benchUsers(b *testing.B, users scim.UserStore, n int) []*scim.User {
	b.Helper()
	ctx := context.Background()
	out := make([]*scim.User, 0, n)
	active := true
	for i := range n {
		domain := "corp.test"
		if i%1000 == 0 {
			domain = "example.com"
		}
		u, err := users.Create(ctx, &scim.User{
			UserName:    fmt.Sprintf("user%06d@corp.test", i),
			Name:        &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i)},
			DisplayName: fmt.Sprintf("User %d", i),
			Active:      &active,
			Emails: []scim.MultiValue{
				{Value: fmt.Sprintf("user%06d@%s", i, domain), Type: "work", Primary: true},
				{Value: fmt.Sprintf("u%06d@home.test", i), Type: "home"},
			},
			Enterprise: &scim.EnterpriseUser{EmployeeNumber: fmt.Sprint(i), Department: "Sales"},
		})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func serve(b *testing.B, h http.Handler, method, target, body string, want int) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
}

// BenchmarkUserNameLookup is Entra ID's matching query: it must cost the
// same at 1,000 and at 100,000 users (an index, not a scan).
func BenchmarkUserNameLookup(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			users, groups := memstore.New()
			benchUsers(b, users, n)
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
			targets := make([]string, 64)
			for i := range targets {
				targets[i] = "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "USER%06d@corp.test"`, (i*7919)%n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve(b, h, "GET", targets[i%len(targets)], "", 200)
			}
		})
	}
}

const scanFilter = `emails[type eq "work" and value co "example"]`

// BenchmarkHandlerFilterScan runs a filter no index answers over 100,000
// users through the handler. BenchmarkHandlerFilterScanLoop is the floor to
// compare it with: the same match as a hand-written loop over the same
// structs.
func BenchmarkHandlerFilterScan(b *testing.B) {
	users, groups := memstore.New()
	benchUsers(b, users, 100000)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	target := "/Users?filter=" + url.QueryEscape(scanFilter)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve(b, h, "GET", target, "", 200)
	}
}

func BenchmarkHandlerFilterScanLoop(b *testing.B) {
	users, _ := memstore.New()
	all := benchUsers(b, users, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for i := 0; i < b.N; i++ {
		for _, u := range all {
			for j := range u.Emails {
				e := &u.Emails[j]
				if strings.EqualFold(e.Type, "work") && strings.Contains(strings.ToLower(e.Value), "example") {
					matched++
					break
				}
			}
		}
	}
	if matched != 100*b.N {
		b.Fatalf("matched %d", matched)
	}
}

// BenchmarkPatchAddMember adds one member to a group of 100 and of
// 100,000 members through the handler, as Entra ID does, answered with 204
// (WithPatchNoContent, the setting for large groups).
func BenchmarkPatchAddMember(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			users, groups := memstore.New()
			ctx := context.Background()
			members := make([]scim.MultiValue, n)
			for i := range members {
				members[i] = scim.MultiValue{Value: fmt.Sprintf("m%07d", i)}
			}
			g, err := groups.Create(ctx, &scim.Group{DisplayName: "big", Members: members})
			if err != nil {
				b.Fatal(err)
			}
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithPatchNoContent())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"new` + fmt.Sprint(i) + `"}]}]}`
				serve(b, h, "PATCH", "/Groups/"+g.ID, body, 204)
			}
		})
	}
}

// BenchmarkGetUser reads one user by id through the handler.
func BenchmarkGetUser(b *testing.B) {
	users, groups := memstore.New()
	all := benchUsers(b, users, 10000)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve(b, h, "GET", "/Users/"+all[(i*7919)%len(all)].ID, "", 200)
	}
}
