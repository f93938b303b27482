package connections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
)

// One SCIM endpoint for many customers: each customer's identity provider
// gets a token of its own connection, and every request is served for the
// tenant its token belongs to.
func Example() {
	ctx := context.Background()
	store := memstore.NewConnections() // or sqlstore.NewConnections(db, dialect)
	users, groups := memstore.New()    // partitioned by scim.TenantFromContext
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))

	// What an application's settings page does for each customer's admin.
	m := connections.NewManager(store)
	token := map[string]string{}
	for _, tenant := range []string{"acme", "globex"} {
		c, err := m.Create(ctx, tenant, tenant+" Entra ID", connections.ProviderEntraID)
		if err != nil {
			panic(err)
		}
		issued, err := m.IssueToken(ctx, tenant, c.ID, 0)
		if err != nil {
			panic(err)
		}
		fmt.Println("issued", issued.Secret) // prints redacted; Reveal() gives the token, once
		token[tenant] = issued.Secret.Reveal()
	}

	do := func(tenant, method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token[tenant])
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	created := do("acme", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@acme.example"}`)
	var ann struct{ ID string }
	_ = json.Unmarshal(created.Body.Bytes(), &ann)
	fmt.Println("acme creates a user:", created.Code)
	fmt.Println("acme reads it:", do("acme", "GET", "/Users/"+ann.ID, "").Code)
	fmt.Println("globex reads it:", do("globex", "GET", "/Users/"+ann.ID, "").Code)

	// Revoking a token refuses it from the next request on.
	list, _ := m.List(ctx, "acme")
	acmeCreds, _ := m.Credentials(ctx, "acme", list[0].ID)
	_ = m.Revoke(ctx, "acme", acmeCreds[0].ID)
	fmt.Println("acme after revocation:", do("acme", "GET", "/Users", "").Code)
	// Output:
	// issued scimkit_tok_[redacted]
	// issued scimkit_tok_[redacted]
	// acme creates a user: 201
	// acme reads it: 200
	// globex reads it: 404
	// acme after revocation: 401
}

// An identity provider that authenticates with OAuth 2.0 client
// credentials (as Microsoft Entra ID's app gallery asks) exchanges the
// connection's id and a client secret for an access token, which the
// Authenticator accepts for the connection's tenant.
func ExampleTokenHandler() {
	ctx := context.Background()
	store := memstore.NewConnections()
	m := connections.NewManager(store)
	c, _ := m.Create(ctx, "acme", "Acme Entra ID", connections.ProviderEntraID)
	client, _ := m.CreateClientSecret(ctx, "acme", c.ID, 0)

	mux := http.NewServeMux()
	mux.Handle("POST /oauth/token", connections.NewTokenHandler(store))
	users, groups := memstore.New()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2",
		scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))))

	form := url.Values{"grant_type": {"client_credentials"}}
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(client.ClientID()), url.QueryEscape(client.Secret.Reveal()))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &tok)
	fmt.Println(w.Code, tok.TokenType, tok.ExpiresIn, w.Header().Get("Cache-Control"))

	r = httptest.NewRequest("GET", "/scim/v2/Users", nil)
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println("GET /Users:", w.Code)
	// Output:
	// 200 Bearer 3600 no-store
	// GET /Users: 200
}
