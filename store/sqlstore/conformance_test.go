package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/store/storetest"
)

// TestConformance runs the store conformance suite on both dialects, on
// one database each: every subtest works in fresh tenants. The races that
// need two instances get a second store on its own pool over the same
// database, as a second process would have.
func TestConformance(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			var db, other *sql.DB
			if dl.d == sqlstore.SQLite {
				path := filepath.Join(t.TempDir(), "scim.db")
				db, other = sqliteFile(t, path), sqliteFile(t, path)
			} else {
				db, other = dl.open(t), postgresPool(t)
			}
			storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
				return sqlstore.New(db, dl.d)
			}, storetest.WithTenants(storetest.FreshTenants),
				storetest.WithSecondInstance(func(*testing.T, scim.UserStore, scim.GroupStore) (scim.UserStore, scim.GroupStore) {
					return sqlstore.New(other, dl.d)
				}))
		})
	}
}
