package events_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/memstore"
)

// Revoke a person's sessions when the identity provider deactivates or
// deletes them, whatever shape of request it sends.
func ExampleConsumer() {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())

	revoked := make(chan string)
	revoke := events.NewConsumer(users, users, "revoke-sessions", func(ctx context.Context, e scim.Event) error {
		switch e.Type {
		case scim.EventUserDeactivated, scim.EventUserDeleted:
			revoked <- e.ResourceID // your app: sessions.RevokeAll(ctx, e.ResourceID)
		}
		return nil // an error is retried, with backoff, before the next event
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go revoke.Run(ctx) // with a tenant in ctx, that tenant's events

	// Entra ID creates a user, then disables it.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`)))
	id := strings.TrimPrefix(w.Header().Get("Location"), "http://example.com/Users/")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/Users/"+id, strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)))

	fmt.Println("revoked the sessions of the deactivated user:", <-revoked == id)
	// Output: revoked the sessions of the deactivated user: true
}
