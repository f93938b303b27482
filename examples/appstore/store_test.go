package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

// postgresEnv names the environment variable with the DSN of a PostgreSQL
// server; the tests create a database of their own on it and drop it at
// the end. Without it they run on SQLite only.
const postgresEnv = "SCIMKIT_POSTGRES_DSN"

// databases returns the DSNs to test on: a new SQLite file, and a new
// PostgreSQL database when postgresEnv is set.
func databases(t *testing.T) map[string]string {
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "app.db")}
	if dsn := os.Getenv(postgresEnv); dsn != "" {
		dbs["postgres"] = postgresDatabase(t, dsn)
	} else {
		t.Logf("PostgreSQL not tested: set %s", postgresEnv)
	}
	return dbs
}

// postgresDatabase creates a database on the server of dsn, dropped when
// the test ends, and returns its DSN.
func postgresDatabase(t *testing.T, dsn string) string {
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "appstore_test_" + hex.EncodeToString(b[:])
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err == nil {
			_, err = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// openDB opens and migrates the database of dsn for a test.
func openDB(t *testing.T, dsn string) (*sql.DB, bool) {
	db, postgres, err := open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, postgres
}

// The stores pass the conformance suite, on what they declare, with one
// database for the whole suite: every subtest works in two new
// organisations.
func TestConformance(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			db, postgres := openDB(t, dsn)
			storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
				return NewStores(db, postgres)
			}, storetest.WithTenants(func(t *testing.T) (a, b context.Context) {
				return orgContext(t, db, postgres), orgContext(t, db, postgres)
			}))
		})
	}
}

// orgContext creates an organisation and returns a context whose requests
// are its own.
func orgContext(t *testing.T, db *sql.DB, postgres bool) context.Context {
	id, err := newOrg(t.Context(), db, postgres, t.Name())
	require.NoError(t, err)
	return scim.ContextWithTenant(t.Context(), strconv.FormatInt(id, 10))
}
