package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// A PATCH with more operations than WithMaxPatchOperations allows is
// refused as a whole, the way /Bulk refuses too many operations.
func ExampleWithMaxPatchOperations() {
	users, groups := memstore.New()
	srv := httptest.NewServer(scim.NewHandler(users, groups, scim.WithBearerToken("T"), scim.WithMaxPatchOperations(2)))
	defer srv.Close()
	_, body := send("POST", srv.URL+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}`)
	id := between(body, `"id":"`, `"`)

	op := `{"op":"replace","path":"nickName","value":"Babs"}`
	status, body := send("PATCH", srv.URL+"/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[`+strings.Repeat(op+",", 2)+op+`]}`)
	fmt.Println(status)
	fmt.Println(between(body, `"detail":"`, `"`))
	_, spc := send("GET", srv.URL+"/ServiceProviderConfig", "")
	fmt.Println(between(spc, `"patch":`, `}`) + "}")
	// Output:
	// 413 Request Entity Too Large
	// The number of PATCH operations exceeds the maxOperations (2).
	// {"supported":true,"maxOperations":2}
}

// Group displayNames are unique per tenant by default, as Entra ID
// expects; WithoutUniqueGroupDisplayNames allows duplicates.
func ExampleWithoutUniqueGroupDisplayNames() {
	for _, opts := range [][]scim.Option{nil, {scim.WithoutUniqueGroupDisplayNames()}} {
		users, groups := memstore.New()
		srv := httptest.NewServer(scim.NewHandler(users, groups, append(opts, scim.WithBearerToken("T"))...))
		group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`
		first, _ := send("POST", srv.URL+"/Groups", group)
		second, _ := send("POST", srv.URL+"/Groups", group)
		fmt.Println(first, "then", second)
		srv.Close()
	}
	// Output:
	// 201 Created then 409 Conflict
	// 201 Created then 201 Created
}

// An application that writes groups to a store itself, without the
// handler, asks for unique names in the context, as the handler does.
func ExampleContextWithUniqueGroupDisplayNames() {
	_, groups := memstore.New()
	ctx := scim.ContextWithUniqueGroupDisplayNames(context.Background(), true)
	_, err := groups.Create(ctx, &scim.Group{DisplayName: "Sales"})
	fmt.Println(err)
	_, err = groups.Create(ctx, &scim.Group{DisplayName: "sales"})
	fmt.Println(errors.Is(err, scim.ErrConflict))
	// Output:
	// <nil>
	// true
}
