package memstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// The stores serve a handler; here requests are authenticated by the
// application's own middleware, as WithoutAuthentication requires.
func ExampleNew() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`
	req := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	page, err := users.List(context.Background(), &scim.Query{StartIndex: 1, Count: 10})
	if err != nil {
		panic(err)
	}
	fmt.Println(page.TotalResults, page.Resources[0].UserName)
	// Output:
	// 201
	// 1 ada@example.com
}

// Each tenant sees only its own data: by default the partition is the
// tenant that scim.ContextWithTenant put in the context (an Authenticator
// does so for requests).
func ExampleWithPartition() {
	users, _ := memstore.New(memstore.WithPartition(scim.TenantFromContext))
	acme := scim.ContextWithTenant(context.Background(), "acme")
	globex := scim.ContextWithTenant(context.Background(), "globex")
	if _, err := users.Create(acme, &scim.User{UserName: "ada"}); err != nil {
		panic(err)
	}
	// The same userName in another tenant is no conflict.
	if _, err := users.Create(globex, &scim.User{UserName: "ada"}); err != nil {
		panic(err)
	}
	for _, ctx := range []context.Context{acme, globex, context.Background()} {
		page, err := users.List(ctx, &scim.Query{StartIndex: 1, Count: 10})
		if err != nil {
			panic(err)
		}
		fmt.Println(page.TotalResults)
	}
	// Output:
	// 1
	// 1
	// 0
}
