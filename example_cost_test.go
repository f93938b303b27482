package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

func ExampleFilter_Cost() {
	for _, expr := range []string{
		`userName eq "ada"`,
		`id eq "1" and members eq "2"`,
		`members.value co "a" or members.value co "b"`,
	} {
		f, _ := scim.ParseGroupFilter(expr)
		if f == nil {
			f, _ = scim.ParseUserFilter(expr)
		}
		fmt.Println(f.Cost(), expr)
	}
	// Output:
	// 1 userName eq "ada"
	// 11 id eq "1" and members eq "2"
	// 200 members.value co "a" or members.value co "b"
}

func ExampleWithMaxFilterCost() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithMaxFilterCost(100))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", `/Groups?filter=members.value%20co%20%22a%22%20or%20members.value%20co%20%22b%22`, nil))
	fmt.Println(rec.Code)
	// Output:
	// 400
}

func ExampleContextWithMemberCheck() {
	ctx := context.Background()
	users, groups := memstore.New()
	ada, _ := users.Create(ctx, &scim.User{UserName: "ada"})
	check := scim.ContextWithMemberCheck(ctx)
	_, err := groups.Create(check, &scim.Group{DisplayName: "team", Members: []scim.MultiValue{{Value: ada.ID}}})
	fmt.Println(err)
	_, err = groups.Create(check, &scim.Group{DisplayName: "ghosts", Members: []scim.MultiValue{{Value: "nobody"}}})
	fmt.Println(errors.Is(err, scim.ErrMemberNotFound), err)
	// Output:
	// <nil>
	// true scim: member "nobody" names no user or group
}

func ExampleWithForeignMembers() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonRequest("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"team","members":[{"value":"lives-elsewhere"}]}`))
	fmt.Println(rec.Code)
	// Output:
	// 201
}

func ExampleWithMaxPageMembers() {
	ctx := context.Background()
	users, groups := memstore.New()
	var ms []scim.MultiValue
	for _, name := range []string{"ada", "grace", "edsger"} {
		u, _ := users.Create(ctx, &scim.User{UserName: name})
		ms = append(ms, scim.MultiValue{Value: u.ID})
	}
	for _, name := range []string{"a", "b", "c"} {
		_, _ = groups.Create(ctx, &scim.Group{DisplayName: name, Members: ms})
	}
	// Pages of at least 4 members: two groups of three a page.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithMaxPageMembers(4))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/Groups?count=10&attributes=displayName,members", nil))
	var page struct{ TotalResults, ItemsPerPage int }
	_ = jsonUnmarshal(rec.Body.Bytes(), &page)
	fmt.Println(page.TotalResults, page.ItemsPerPage)
	// Output:
	// 3 2
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func ExampleWithBulkTimeout() {
	users, groups := memstore.New()
	// A /Bulk request runs for at most 10 seconds; operations it has not
	// run by then answer 503, and the client sends them again.
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithBulkTimeout(10*time.Second))
	_ = h
}
