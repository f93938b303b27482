package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/store/memstore"
)

// An application mounts SCIM and the console beside it. Its own sign-in
// middleware (here a header, for the example) says which tenant the admin
// manages.
func Example() {
	store := memstore.NewConnections()
	users, groups := memstore.New()
	scimHandler := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))

	c := console.New(connections.NewManager(store), users, groups,
		func(r *http.Request) (string, bool) {
			tenant := r.Header.Get("X-Signed-In-Tenant") // the application's own session, in a real app
			return tenant, tenant != ""
		},
		console.WithSCIMHandler(scimHandler),
		console.WithSCIMURL("https://app.example.com/scim/v2"))

	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scimHandler))
	mux.Handle("/settings/scim/", http.StripPrefix("/settings/scim", c))

	req := httptest.NewRequest(http.MethodGet, "/settings/scim/", nil)
	req.Header.Set("X-Signed-In-Tenant", "acme")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "https://app.example.com/scim/v2"))
	// Output: 200 true
}
