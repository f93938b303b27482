package sqlstore_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/connections/connectionstest"
	"github.com/scimkit/scim/store/sqlstore"
)

// TestConnectionsConformance runs the connection store conformance suite
// on both dialects; its subtests share one database, each in tenants of
// its own.
func TestConnectionsConformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		store := sqlstore.NewConnections(db, d)
		connectionstest.Run(t, func(t *testing.T) connections.Store { return store })
	})
}

// issueTokens creates a connection with a token for each tenant, and
// returns the tokens.
func issueTokens(t *testing.T, m *connections.Manager, tenants ...string) []*connections.Issued {
	t.Helper()
	var out []*connections.Issued
	for _, tenant := range tenants {
		c, err := m.Create(t.Context(), tenant, tenant+" IdP", connections.ProviderOther)
		require.NoError(t, err)
		tok, err := m.IssueToken(t.Context(), tenant, c.ID, 0)
		require.NoError(t, err)
		out = append(out, tok)
	}
	return out
}

// TestConnectionsTenantIsolation runs the two-tenant HTTP suite on the
// SQL stores of both dialects, partitioned by the tenant the connection
// store's Authenticator resolves (the stores' default).
func TestConnectionsTenantIsolation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		store := sqlstore.NewConnections(db, d)
		p := uniquePrefix()
		toks := issueTokens(t, connections.NewManager(store), "acme-"+p, "globex-"+p)
		users, groups := sqlstore.New(db, d)
		h := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))
		connectionstest.RunTenantIsolation(t, h, toks[0].Secret.Reveal(), toks[1].Secret.Reveal())
	})
}

// TestConnectionsRevocationAcrossReplicas: two replicas of an application,
// each with its own connection pool, store and handler on one database. A
// revocation, a disabling and a deletion made through one are in force at
// the very next request the other serves.
func TestConnectionsRevocationAcrossReplicas(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		runRevocationAcrossReplicas(t, sqlstore.Postgres, postgresPool(t), postgresPool(t))
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "scim.db")
		runRevocationAcrossReplicas(t, sqlstore.SQLite, sqliteFile(t, path), sqliteFile(t, path))
	})
}

func runRevocationAcrossReplicas(t *testing.T, d sqlstore.Dialect, db1, db2 *sql.DB) {
	replica := func(db *sql.DB) (*connections.Manager, http.Handler) {
		store := sqlstore.NewConnections(db, d)
		users, groups := sqlstore.New(db, d)
		return connections.NewManager(store), scim.NewHandler(users, groups,
			scim.WithAuthenticator(connections.NewAuthenticator(store)))
	}
	m1, h1 := replica(db1)
	_, h2 := replica(db2)
	get := func(h http.Handler, token string) int {
		req := httptest.NewRequest(http.MethodGet, "/Users", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	tenant := "acme-" + uniquePrefix()
	ctx := t.Context()
	toks := issueTokens(t, m1, tenant)
	tok, conn := toks[0], toks[0].Credential.ConnectionID
	spare, err := m1.IssueToken(ctx, tenant, conn, 0)
	require.NoError(t, err)

	// Both replicas accept the token, many times (so anything either might
	// cache is warm).
	for range 5 {
		require.Equal(t, http.StatusOK, get(h1, tok.Secret.Reveal()))
		require.Equal(t, http.StatusOK, get(h2, tok.Secret.Reveal()))
	}
	require.NoError(t, m1.Revoke(ctx, tenant, tok.Credential.ID))
	require.Equal(t, http.StatusUnauthorized, get(h2, tok.Secret.Reveal()), "revoked on replica 1, refused by replica 2 at once")
	require.Equal(t, http.StatusUnauthorized, get(h1, tok.Secret.Reveal()))
	require.Equal(t, http.StatusOK, get(h2, spare.Secret.Reveal()), "the connection's other token still works")

	_, err = m1.SetDisabled(ctx, tenant, conn, true)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, get(h2, spare.Secret.Reveal()), "disabled on replica 1, refused by replica 2 at once")
	_, err = m1.SetDisabled(ctx, tenant, conn, false)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(h2, spare.Secret.Reveal()), "enabled again")

	require.NoError(t, m1.Delete(ctx, tenant, conn))
	require.Equal(t, http.StatusUnauthorized, get(h2, spare.Secret.Reveal()), "deleted on replica 1, refused by replica 2 at once")
}
