package connections_test

import (
	"log/slog"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/connections/connectionstest"
	"github.com/scimkit/scim/store/memstore"
)

func TestMemstoreConformance(t *testing.T) {
	connectionstest.Run(t, func(t *testing.T) connections.Store { return memstore.NewConnections() })
}

// TestTenantIsolation runs the two-tenant HTTP suite on memstore, with
// each tenant's requests authenticated by a token of its connection.
func TestTenantIsolation(t *testing.T) {
	store := memstore.NewConnections()
	m := connections.NewManager(store)
	ctx := t.Context()
	var tokens []string
	for _, tenant := range []string{"acme", "globex"} {
		c, err := m.Create(ctx, tenant, tenant+" Entra ID", connections.ProviderEntraID)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := m.IssueToken(ctx, tenant, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok.Secret.Reveal())
	}
	users, groups := memstore.New()
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	h := scim.NewHandler(users, groups, scim.WithLogger(logger),
		scim.WithAuthenticator(connections.NewAuthenticator(store, connections.WithLogger(logger))))
	connectionstest.RunTenantIsolation(t, h, tokens[0], tokens[1])
}
