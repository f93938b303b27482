package harness

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver sqlstore is tested with
	_ "modernc.org/sqlite"             // the SQLite driver sqlstore is tested with
)

// The databases of the SQL comparison (issue 15): every server of a round
// gets a fresh database of its own, so that no server reads pages another
// one warmed or left dead tuples in.
const (
	DBSQLite   = "sqlite"
	DBPostgres = "postgres"
)

// Pool sizes, the ones examples/server sets (see its sizePool): the
// comparison runs scimkit with the example server's defaults, and the bare
// handler gets the same pool, so that neither wins by opening connections.
const (
	postgresPoolSize = 16
	sqlitePoolSize   = 8
)

// freshDB is one fresh database: a SQLite file in a temporary directory, or
// a PostgreSQL database created on the server of a DSN and dropped by
// Close.
type freshDB struct {
	db      *sql.DB
	dialect string
	// drop removes the database; nil when there is nothing to remove.
	drop func() error
}

// openFresh creates an empty database of the dialect. sqliteDSN turns a
// file path into the SQLite DSN to open (scimkit's sqlstore.SQLiteDSN, so
// that both servers run with the same settings); pgDSN is a PostgreSQL
// server's DSN, whose database is used only to create and drop the fresh
// one.
func openFresh(dialect, pgDSN string, sqliteDSN func(string) string) (*freshDB, error) {
	switch dialect {
	case DBSQLite:
		dir, err := os.MkdirTemp("", "scimbench-*")
		if err != nil {
			return nil, err
		}
		db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(dir, "bench.db")))
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		sizePool(db, sqlitePoolSize)
		return &freshDB{db: db, dialect: dialect, drop: func() error { return os.RemoveAll(dir) }}, nil
	case DBPostgres:
		if pgDSN == "" {
			return nil, fmt.Errorf("no PostgreSQL DSN: set -pg or SCIMKIT_POSTGRES_DSN")
		}
		admin, err := sql.Open("pgx", pgDSN)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name := "scimbench_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			admin.Close()
			return nil, err
		}
		u, err := url.Parse(pgDSN)
		if err != nil {
			admin.Close()
			return nil, err
		}
		u.Path = "/" + name
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			admin.Close()
			return nil, err
		}
		sizePool(db, postgresPoolSize)
		drop := func() error {
			defer admin.Close()
			_, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			return err
		}
		return &freshDB{db: db, dialect: dialect, drop: drop}, nil
	}
	return nil, fmt.Errorf("unknown database %q (want %s or %s)", dialect, DBSQLite, DBPostgres)
}

func sizePool(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
}

// analyze updates the planner's statistics after the preload, as
// autovacuum would before production traffic (PostgreSQL: VACUUM ANALYZE,
// which also sets the visibility map for index-only scans).
func (f *freshDB) analyze() error {
	stmt := "ANALYZE"
	if f.dialect == DBPostgres {
		stmt = "VACUUM ANALYZE"
	}
	_, err := f.db.ExecContext(context.Background(), stmt)
	return err
}

// Close closes the pool and removes the database.
func (f *freshDB) Close() error {
	err := f.db.Close()
	if f.drop != nil {
		if e := f.drop(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// ph returns the n-th bind parameter of the dialect.
func (f *freshDB) ph(n int) string {
	if f.dialect == DBPostgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// sql rewrites a statement written with $n parameters for the dialect.
func (f *freshDB) sql(stmt string) string {
	if f.dialect == DBPostgres {
		return stmt
	}
	for n := 9; n >= 1; n-- {
		stmt = strings.ReplaceAll(stmt, fmt.Sprintf("$%d", n), "?")
	}
	return stmt
}

// sqliteDSN opens a SQLite file with the settings sqlstore.SQLiteDSN uses
// (WAL, busy_timeout, synchronous NORMAL, foreign keys, immediate
// transactions), so that both servers run on the same configuration.
func sqliteDSN(path string) string {
	return path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
}
