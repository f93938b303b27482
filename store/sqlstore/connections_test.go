package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
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
		out = append(out, seedConnections(t, m, tenant, 1, 1)...)
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
		logger := slog.New(slog.NewTextHandler(t.Output(), nil)) // scanned for secrets by CI
		h := scim.NewHandler(users, groups, scim.WithLogger(logger),
			scim.WithAuthenticator(connections.NewAuthenticator(store, connections.WithLogger(logger))))
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
		logger := slog.New(slog.NewTextHandler(t.Output(), nil)) // scanned for secrets by CI
		return connections.NewManager(store), scim.NewHandler(users, groups, scim.WithLogger(logger),
			scim.WithAuthenticator(connections.NewAuthenticator(store, connections.WithLogger(logger))))
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

// seedConnections creates conns connections of tenant with perConn tokens
// each, and returns the tokens.
func seedConnections(tb testing.TB, m *connections.Manager, tenant string, conns, perConn int) []*connections.Issued {
	tb.Helper()
	var out []*connections.Issued
	for i := range conns {
		c, err := m.Create(context.Background(), tenant, fmt.Sprintf("conn %d", i), connections.ProviderOther)
		require.NoError(tb, err)
		for range perConn {
			tok, err := m.IssueToken(context.Background(), tenant, c.ID, 0)
			require.NoError(tb, err)
			out = append(out, tok)
		}
	}
	return out
}

// TestConnectionsLookupPlan checks that authenticating a request is one
// statement that finds the credential, its connection and its parent
// through their primary keys, at the scale of a SaaS with thousands of customers (on a
// table of a few pages, PostgreSQL rightly prefers reading it whole).
func TestConnectionsLookupPlan(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		m := connections.NewManager(sqlstore.NewConnections(db, d))
		tenant := "plan-" + uniquePrefix()
		toks := seedConnections(t, m, tenant, 3, 2)
		id := toks[len(toks)/2].Credential.ID
		var plan []string
		if d == sqlstore.Postgres {
			// 5,000 more connections with a token each, written directly.
			_, err := db.Exec(`INSERT INTO scim_connections (id, tenant, display_name, provider, created, disabled)
SELECT $1 || '-' || i, $1, 'bulk', 'other', now(), false FROM generate_series(1, 5000) i`, tenant)
			require.NoError(t, err)
			_, err = db.Exec(`INSERT INTO scim_credentials (id, connection_id, tenant, kind, hash, created)
SELECT $1 || '-c' || i, $1 || '-' || i, $1, 'token', sha256(i::text::bytea), now() FROM generate_series(1, 5000) i`, tenant)
			require.NoError(t, err)
			_, err = db.Exec("ANALYZE scim_credentials, scim_connections")
			require.NoError(t, err)
			rows, err := db.Query("EXPLAIN "+sqlstore.LookupCredentialSQL(d), id)
			require.NoError(t, err)
			for rows.Next() {
				var line string
				require.NoError(t, rows.Scan(&line))
				plan = append(plan, line)
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			require.Contains(t, text, "Index Scan using scim_credentials_pkey", text)
			require.Contains(t, text, "Index Scan using scim_connections_pkey", text)
			require.NotContains(t, text, "Seq Scan", text)
			return
		}
		rows, err := db.Query("EXPLAIN QUERY PLAN "+sqlstore.LookupCredentialSQL(d), id)
		require.NoError(t, err)
		for rows.Next() {
			var a, b, c int
			var detail string
			require.NoError(t, rows.Scan(&a, &b, &c, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		require.Len(t, plan, 3, "the credential, its connection and its parent: %q", plan)
		for _, step := range plan {
			require.Regexp(t, `^SEARCH \w+ USING INDEX sqlite_autoindex_scim_(credentials|connections)_1 \(id=\?\)( LEFT-JOIN)?$`, step)
		}
	})
}

// BenchmarkConnectionsAuthenticate is the authentication of one request
// against the SQL connection store (among 1,000 tokens), beside a bare
// primary-key read of the same table for comparison.
func BenchmarkConnectionsAuthenticate(b *testing.B) {
	for _, dl := range dialects {
		b.Run(dl.name, func(b *testing.B) {
			db := benchDB(b, dl.name)
			store := sqlstore.NewConnections(db, dl.d)
			toks := seedConnections(b, connections.NewManager(store), "bench-"+uniquePrefix(), 100, 10)
			a := connections.NewAuthenticator(store)
			reqs := make([]*http.Request, len(toks))
			for i, tok := range toks {
				reqs[i] = httptest.NewRequest(http.MethodGet, "/Users", nil)
				reqs[i].Header.Set("Authorization", "Bearer "+tok.Secret.Reveal())
				_, err := a.Authenticate(reqs[i]) // records the first use now
				require.NoError(b, err)
			}
			b.Run("authenticate", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := a.Authenticate(reqs[(i*7919)%len(reqs)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			q := "SELECT kind FROM scim_credentials WHERE id = ?"
			if dl.d == sqlstore.Postgres {
				q = "SELECT kind FROM scim_credentials WHERE id = $1"
			}
			stmt, err := db.Prepare(q)
			require.NoError(b, err)
			defer stmt.Close()
			b.Run("select-by-primary-key", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				var kind string
				for b.Loop() {
					if err := stmt.QueryRow(toks[(i*7919)%len(toks)].Credential.ID).Scan(&kind); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}
