package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// postgresEnv names the environment variable that holds the DSN of a
// PostgreSQL server for the tests, such as
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The tests
// create a fresh database on that server for each run and drop it at the
// end; without the variable they skip the PostgreSQL half.
const postgresEnv = "SCIMKIT_POSTGRES_DSN"

var pg struct {
	once    sync.Once
	db      *sql.DB
	cfg     *pgx.ConnConfig // of the test database
	err     error
	cleanup func()
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		crashChild(spec) // never returns: it writes until it is killed
		os.Exit(3)
	}
	code := m.Run()
	if pg.cleanup != nil {
		pg.cleanup()
	}
	os.Exit(code)
}

// postgresDB returns the migrated database of this test run, creating it on
// first use.
func postgresDB(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s to a server's DSN, e.g. "+
			"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", postgresEnv)
	}
	pg.once.Do(func() { pg.db, pg.cfg, pg.cleanup, pg.err = createPostgresDB(dsn) })
	require.NoError(tb, pg.err, "creating the test database from %s", postgresEnv)
	return pg.db
}

// postgresPool returns a new pool on the test database, as another
// replica of an application would have.
func postgresPool(tb testing.TB) *sql.DB {
	postgresDB(tb)
	db := stdlib.OpenDB(*pg.cfg.Copy())
	db.SetMaxOpenConns(8)
	tb.Cleanup(func() { db.Close() })
	return db
}

// createPostgresDB creates a database named scimkit_test_<random> on the
// server of dsn, migrates it, and returns a pool on it and a function that
// closes the pool and drops the database.
func createPostgresDB(dsn string) (*sql.DB, *pgx.ConnConfig, func(), error) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	admin := stdlib.OpenDB(*cfg)
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "scimkit_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, nil, nil, err
	}
	drop := func() {
		a := stdlib.OpenDB(*cfg)
		defer a.Close()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "dropping test database %s: %v\n", name, err)
		}
	}
	dbCfg := cfg.Copy()
	dbCfg.Database = name
	db := stdlib.OpenDB(*dbCfg)
	db.SetMaxOpenConns(8)
	if err := sqlstore.Migrate(ctx, db, sqlstore.Postgres); err != nil {
		db.Close()
		drop()
		return nil, nil, nil, err
	}
	return db, dbCfg, func() { db.Close(); drop() }, nil
}

// sqliteDB returns a migrated SQLite database in a new file.
func sqliteDB(tb testing.TB) *sql.DB {
	tb.Helper()
	return sqliteFile(tb, filepath.Join(tb.TempDir(), "scim.db"))
}

// sqliteFile opens and migrates the SQLite database at path.
func sqliteFile(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	require.NoError(tb, err)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	tb.Cleanup(func() { db.Close() })
	require.NoError(tb, sqlstore.Migrate(context.Background(), db, sqlstore.SQLite))
	return db
}

// dialects lists the databases under test.
var dialects = []struct {
	name string
	d    sqlstore.Dialect
	open func(testing.TB) *sql.DB
}{
	{"sqlite", sqlstore.SQLite, sqliteDB},
	{"postgres", sqlstore.Postgres, postgresDB},
}

// forEachDialect runs f once per dialect.
func forEachDialect(t *testing.T, f func(t *testing.T, db *sql.DB, d sqlstore.Dialect)) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) { f(t, dl.open(t), dl.d) })
	}
}

type tenantKey struct{}

// withTenant returns ctx carrying a tenant for byTenant.
func withTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// byTenant partitions stores by the tenant of withTenant, prefixed with
// prefix, so that tests sharing one database never see each other's rows.
func byTenant(prefix string) sqlstore.Option {
	return sqlstore.WithPartition(func(ctx context.Context) string {
		t, _ := ctx.Value(tenantKey{}).(string)
		return prefix + "/" + t
	})
}

// uniquePrefix returns a tenant prefix no other test uses.
func uniquePrefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newStores returns stores on db with a tenant space of their own.
func newStores(db *sql.DB, d sqlstore.Dialect, opts ...sqlstore.Option) (*sqlstore.UserStore, *sqlstore.GroupStore) {
	return sqlstore.New(db, d, append([]sqlstore.Option{byTenant(uniquePrefix())}, opts...)...)
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

func ptr[T any](v T) *T { return &v }

var _ scim.UserStore
