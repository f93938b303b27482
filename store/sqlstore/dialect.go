package sqlstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect is the SQL dialect of the database a store runs on: [Postgres] or
// [SQLite]. Its methods are unexported, so these two are the only dialects.
type Dialect interface {
	// String returns the dialect's name.
	String() string

	// placeholder returns the n-th (1-based) bind parameter marker.
	placeholder(n int) string
	// timeArg converts a time to the value bound for a time column.
	timeArg(t time.Time) any
	// searchText returns the SQL expression for the text at key in the
	// search document of the row aliased alias. key is a safe literal
	// (see safeKey).
	searchText(alias, key string) string
	// jsonPairs returns an aggregate of [a, b] JSON arrays ordered by
	// order, or NULL over no rows.
	jsonPairs(a, b, order string) string
	// orderText wraps a text expression so that it orders byte-wise.
	orderText(expr string) string
	// like returns a case-sensitive pattern match of expr against the
	// bound parameter ph, and the parameter value for op ("co", "sw" or
	// "ew") and the (non-empty) literal s.
	like(expr, ph, op, s string) (string, any)
	// memberOrder is the column that orders a group's members by insertion.
	memberOrder() string
	// migrations are the schema versions, oldest first.
	migrations() []migration
	// forUpdate is the suffix of a SELECT that locks the rows it reads
	// until the transaction ends.
	forUpdate() string
	// snapshotReads reports whether reads of several statements should
	// share a read-only snapshot transaction.
	snapshotReads() bool
	// cacheStatements reports whether the store should keep prepared
	// statements (see stmtCache).
	cacheStatements() bool
	// serialWrites reports whether writes must be serialised in-process.
	serialWrites() bool
	// retryable reports whether a failed transaction can be retried as it is.
	retryable(err error) bool
}

// Postgres is the dialect of PostgreSQL (version 12 or later), used with a
// driver such as github.com/jackc/pgx/v5/stdlib.
var Postgres Dialect = postgres{}

// SQLite is the dialect of SQLite (3.44 or later), used with a driver such as
// modernc.org/sqlite. Open the database with a DSN from [SQLiteDSN].
var SQLite Dialect = sqlite{}

// SQLiteDSN returns a modernc.org/sqlite data source name for the database
// file at path with the settings this store relies on: write-ahead logging
// (readers never block the writer), a busy timeout (writers of several
// processes wait for each other instead of failing), foreign keys on, and
// transactions that take the write lock when they begin, so that a
// transaction never fails halfway when it upgrades from reading to writing.
// path must not contain '?'.
func SQLiteDSN(path string) string {
	return path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
}

type postgres struct{}

func (postgres) String() string            { return "postgres" }
func (postgres) placeholder(n int) string  { return "$" + strconv.Itoa(n) }
func (postgres) timeArg(t time.Time) any   { return t }
func (postgres) orderText(e string) string { return e + ` COLLATE "C"` }
func (postgres) memberOrder() string       { return "pos" }
func (postgres) serialWrites() bool        { return false }
func (postgres) cacheStatements() bool     { return false }
func (postgres) snapshotReads() bool       { return true }
func (postgres) forUpdate() string         { return " FOR UPDATE" }
func (postgres) migrations() []migration   { return pgMigrations }
func (postgres) searchText(a, k string) string {
	return "(" + a + ".search->>'" + k + `')`
}

func (postgres) jsonPairs(a, b, order string) string {
	return "json_agg(json_build_array(" + a + ", " + b + ") ORDER BY " + order + ")"
}

func (postgres) like(expr, ph, op, s string) (string, any) {
	// Backslash is PostgreSQL's default LIKE escape; it is named anyway so
	// that the statement does not depend on server settings.
	p := likeEscaper.Replace(s)
	switch op {
	case "co":
		p = "%" + p + "%"
	case "sw":
		p += "%"
	default:
		p = "%" + p
	}
	return expr + " LIKE " + ph + ` ESCAPE '\'`, p
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// sqlState is implemented by PostgreSQL driver errors (pgconn.PgError), so
// the store can read error codes without importing a driver.
type sqlState interface{ SQLState() string }

func (postgres) retryable(err error) bool {
	var e sqlState
	if errors.As(err, &e) {
		// serialization_failure, deadlock_detected
		return e.SQLState() == "40001" || e.SQLState() == "40P01"
	}
	return false
}

type sqlite struct{}

func (sqlite) String() string            { return "sqlite" }
func (sqlite) placeholder(int) string    { return "?" }
func (sqlite) orderText(e string) string { return e }
func (sqlite) memberOrder() string       { return "rowid" }
func (sqlite) serialWrites() bool        { return true }

func (sqlite) cacheStatements() bool { return true }

// snapshotReads is false: a transaction on a connection opened with
// SQLiteDSN takes the write lock, which readers must not wait for.
func (sqlite) snapshotReads() bool { return false }

// forUpdate is empty: a SQLite write transaction locks the whole database.
func (sqlite) forUpdate() string       { return "" }
func (sqlite) migrations() []migration { return sqliteMigrations }
func (sqlite) retryable(error) bool    { return false }

// timeArg stores times as fixed-width UTC text, whose byte order is
// chronological order.
func (sqlite) timeArg(t time.Time) any { return formatTime(t) }

func (sqlite) searchText(a, k string) string {
	return "json_extract(" + a + `.search, '$."` + k + `"')`
}

func (sqlite) jsonPairs(a, b, order string) string {
	return "json_group_array(json_array(" + a + ", " + b + ") ORDER BY " + order + ")"
}

// like uses GLOB, not LIKE, because SQLite's LIKE ignores ASCII case, and
// case-insensitive matches compare folded keys (so ignoring case there is
// harmless) but case-exact ones must not.
func (sqlite) like(expr, ph, op, s string) (string, any) {
	p := globEscaper.Replace(s)
	switch op {
	case "co":
		p = "*" + p + "*"
	case "sw":
		p += "*"
	default:
		p = "*" + p
	}
	return expr + " GLOB " + ph, p
}

var globEscaper = strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`)

const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// dbTime scans a time column of either dialect.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		d.t = v.UTC()
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return fmt.Errorf("sqlstore: cannot scan %T as a time", src)
}

func (d *dbTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	d.t = t.UTC()
	return err
}

// isUniqueViolation reports whether err is a unique constraint violation of
// PostgreSQL (SQLSTATE 23505) or SQLite (SQLITE_CONSTRAINT_UNIQUE or
// SQLITE_CONSTRAINT_PRIMARYKEY).
func isUniqueViolation(err error) bool {
	var s sqlState
	if errors.As(err, &s) {
		return s.SQLState() == "23505"
	}
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code() == 2067 || c.Code() == 1555
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
