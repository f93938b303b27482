package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
)

// The Activity page shows the library's own provisioning log and event
// feed: the SCIM handler logs every request (through a queue, to
// memstore's ring here; sqlstore's UserStore.RequestLog in production)
// and the store records the events of every change.
func Example_activity() {
	conns := memstore.NewConnections()
	users, groups := memstore.New()
	requestLog := memstore.NewRequestLog(10000)
	queue := provlog.NewQueue(requestLog)
	scimHandler := scim.NewHandler(users, groups,
		scim.WithAuthenticator(connections.NewAuthenticator(conns)),
		scim.WithRequestLog(queue))

	mgr := connections.NewManager(conns)
	c := console.New(mgr, users, groups,
		func(r *http.Request) (string, bool) { return "acme", true }, // the signed-in admin's tenant
		console.WithSCIMHandler(scimHandler),
		console.WithRecords(console.FromRequestLog(requestLog)),
		console.WithEvents(console.FromEventLog(users)))

	// Acme's identity provider creates a user, then the same one again.
	conn, _ := mgr.Create(context.Background(), "acme", "Acme Entra ID", connections.ProviderEntraID)
	token, _ := mgr.IssueToken(context.Background(), "acme", conn.ID, 0)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/Users",
			strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example"}`))
		req.Header.Set("Authorization", "Bearer "+token.Secret.Reveal())
		req.Header.Set("Content-Type", "application/scim+json")
		scimHandler.ServeHTTP(httptest.NewRecorder(), req)
	}
	_ = queue.Close(context.Background()) // an application closes it when it stops

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/activity", nil))
	page := rec.Body.String()
	fmt.Println(strings.Contains(page, "409 uniqueness"), strings.Contains(page, "A user with this userName already exists"),
		strings.Contains(page, "user.created"))
	// Output: true true true
}

// FromRequestLog reads a provisioning log for one tenant.
func ExampleFromRequestLog() {
	requestLog := memstore.NewRequestLog(100)
	_ = requestLog.Write(context.Background(), []scim.RequestRecord{
		{Tenant: "acme", Client: scim.ClientOkta, Method: "POST", Path: "/Users", Action: scim.ActionUserCreate,
			TargetName: "ada@acme.example", Status: 409, ScimType: "uniqueness", Detail: "userName is taken"},
		{Tenant: "globex", Method: "GET", Path: "/Users", Action: scim.ActionUsersList, Status: 200},
	})
	records, _ := console.FromRequestLog(requestLog).Records(context.Background(),
		console.RecordQuery{Tenant: "acme", FailuresOnly: true, Limit: 50})
	for _, r := range records {
		fmt.Println(r.Client, r.Action, r.TargetName, r.Status, r.ScimType)
		fmt.Println(console.Hint(r))
	}
	// Output:
	// Okta user.create ada@acme.example 409 uniqueness
	// A user with this userName already exists. Check your identity provider's matching attribute, or delete the old user.
}

// FromEventLog reads a store's event feed, newest first.
func ExampleFromEventLog() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	ctx := scim.ContextWithTenant(context.Background(), "acme")
	for _, name := range []string{"ada@acme.example", "grace@acme.example"} {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/Users",
			strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
		req.Header.Set("Content-Type", "application/scim+json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	events, _ := console.FromEventLog(users).RecentEvents(context.Background(), "acme", 10)
	for _, e := range events {
		fmt.Println(e.Type, e.Name)
	}
	// Output:
	// user.created grace@acme.example
	// user.created ada@acme.example
}
