package scim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// A RequestLogger receives a record of every request: here a function
// that prints what an admin would want to know about a failure. Real
// applications put a provlog.Queue here.
func ExampleWithRequestLog() {
	printFailures := scim.RequestLoggerFunc(func(_ context.Context, r *scim.RequestRecord) {
		if r.Failed() {
			fmt.Println(r.Client, r.Action, r.TargetName, r.Status, r.ScimType, r.Detail)
			fmt.Println(r.Body)
		}
	})
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithRequestLog(printFailures))
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest("POST", "/Users", strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","password":"t0p-secret"}`))
		req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// okta user.create bjensen 409 uniqueness a resource with the same unique attribute value already exists
	// {"password":"[redacted]","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}
}
