package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/store/storetest"
)

// An adopter runs the conformance suite against the stores it uses.
func TestStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) { return memstore.New() })
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(t.TempDir(), "scim.db")))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := sqlstore.Migrate(t.Context(), db, sqlstore.SQLite); err != nil {
			t.Fatal(err)
		}
		return sqlstore.New(db, sqlstore.SQLite)
	})
}
