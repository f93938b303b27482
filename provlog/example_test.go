package provlog_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
)

// A handler logs every request through a queue into an in-memory ring;
// the admin page then asks for a tenant's failures, newest first.
func ExampleNewQueue() {
	log := memstore.NewRequestLog(10000)
	queue := provlog.NewQueue(log)
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithBearerToken("example-token"), scim.WithRequestLog(queue))

	for _, name := range []string{"ann", "ann"} { // the second create fails
		req := httptest.NewRequest("POST", "/Users", strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`","password":"not-logged"}`))
		req.Header.Set("Authorization", "Bearer example-token")
		req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	_ = queue.Close(context.Background()) // at shutdown: writes what it holds

	page, _ := log.Query(context.Background(), provlog.Query{FailuresOnly: true, Target: "ann"})
	for _, r := range page.Records {
		fmt.Println(r.Client, r.Action, r.TargetName, r.Status, r.ScimType)
		fmt.Println(r.Body)
	}
	fmt.Println("dropped:", queue.Dropped())

	// Output:
	// okta user.create ann 409 uniqueness
	// {"password":"[redacted]","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}
	// dropped: 0
}

// The slog adapter writes one line per request, at Warn for failures.
func ExampleNewSlogSink() {
	queue := provlog.NewQueue(provlog.NewSlogSink(slogToStdout()))
	queue.LogRequest(context.Background(), &scim.RequestRecord{RequestID: "r1", Tenant: "acme", Client: scim.ClientEntraID,
		Method: "PATCH", Path: "/Users/42", Action: scim.ActionUserDeactivate, TargetID: "42", Status: 404, Detail: `User "42" not found`})
	_ = queue.Close(context.Background())
	// Output:
	// level=WARN msg="scim request" request_id=r1 tenant=acme connection_id="" client=entra-id method=PATCH path=/Users/42 action=user.deactivate target_id=42 target_name="" status=404 duration=0s scim_type="" detail="User \"42\" not found"
}

func slogToStdout() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}
