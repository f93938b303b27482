package sqlstore_test

import (
	"database/sql"
	"testing"

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
