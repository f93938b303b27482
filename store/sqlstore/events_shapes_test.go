package sqlstore_test

import (
	"database/sql"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventcase"
	"github.com/scimkit/scim/store/sqlstore"
)

// The event cases of the scim package's TestEventShapes, on SQLite and
// PostgreSQL: each IdP shape of a deactivation yields exactly one event,
// failed and no-op writes none (nothing is recorded for a transaction that
// rolls back), group changes their own events, and the member fast path
// reads no group.
func TestEventShapesSQL(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		eventcase.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
			users, groups := newStores(db, d)
			return users, groups
		})
	})
}
