// Package sqlstore is a [scim.UserStore] and [scim.GroupStore] on
// PostgreSQL or SQLite through database/sql, with filters, sorting and
// paging pushed down to parameterised SQL, uniqueness and optimistic
// concurrency enforced by the database, and group membership in its own
// table so that identity providers can maintain large groups cheaply. It is
// safe to share one database between several replicas of an application.
//
// The package imports no driver: register one in the application, such as
// github.com/jackc/pgx/v5/stdlib ("pgx") for PostgreSQL or
// modernc.org/sqlite ("sqlite") for SQLite.
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//	...
//	if err := sqlstore.Migrate(ctx, db, sqlstore.Postgres); err != nil { ... }
//	users, groups := sqlstore.New(db, sqlstore.Postgres)
//	h := scim.NewHandler(users, groups, scim.WithBearerToken(token))
//
// See the package README for the tables and the design.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scim"
)

// Option configures the stores made by [New].
type Option func(*config)

type config struct {
	partition    func(context.Context) string
	now          func() time.Time
	maxScan      int
	retention    time.Duration // events.go
	retentionSet bool
}

// DefaultMaxScan is the default of [WithMaxScan].
const DefaultMaxScan = 5000

// WithMaxScan bounds the rows a list reads to filter or sort in Go, which
// it does when part of a filter, or a sort, cannot be translated to SQL
// (a sort by a multi-valued attribute such as emails.value, a filter on
// x509Certificates or meta.version, …; see the README). Such a list reads
// every resource of the tenant that the translatable part of the filter
// selects; when there are more than n, it is refused with a *scim.Error
// of status 400 and scimType tooMany (RFC 7644 §3.12: more results than
// the server is willing to process), whose detail says which part to
// change, instead of reading them all on every request. The default is
// [DefaultMaxScan]; n <= 0 removes the bound.
func WithMaxScan(n int) Option {
	return func(c *config) { c.maxScan = n }
}

// WithPartition partitions the stores by tenant: every call reads and
// writes only the rows of the tenant that partition returns for the call's
// context, so a resource of one tenant is invisible to, and unchangeable
// by, every other. By default the tenant is [scim.TenantFromContext], the
// one that an [scim.Authenticator] (or the application's middleware) put in
// the context with [scim.ContextWithTenant]; calls without one share the
// tenant "".
func WithPartition(partition func(ctx context.Context) string) Option {
	return func(c *config) { c.partition = partition }
}

// store is what the UserStore and GroupStore of one New share.
type store struct {
	db *sql.DB
	d  Dialect
	config
	// writeMu serialises this process's writers on SQLite, which has one
	// writer at a time anyway, so that they queue here rather than spin on
	// SQLITE_BUSY.
	writeMu sync.Mutex
	writers writeQueue // groupcommit.go
	stmts   stmtCache
	events  eventState
	stripes stripePool // group_versions.go
}

// New returns a UserStore and a GroupStore on db, whose tables [Migrate]
// must have created. The stores are safe for concurrent use, by any number
// of processes sharing the database.
func New(db *sql.DB, d Dialect, opts ...Option) (*UserStore, *GroupStore) {
	s := &store{db: db, d: d, config: config{
		partition: scim.TenantFromContext,
		maxScan:   DefaultMaxScan,
		now:       time.Now,
	}}
	for _, o := range opts {
		o(&s.config)
	}
	if !s.retentionSet {
		s.retention = DefaultEventRetention
	}
	return &UserStore{s: s}, &GroupStore{s: s}
}

func (s *store) tenant(ctx context.Context) string { return s.partition(ctx) }

// now returns the current time at the precision both dialects store.
func (s *store) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// write runs fn in a transaction, serialised in-process on SQLite (where
// concurrent writes share transactions: groupcommit.go), and retries it a few times when PostgreSQL aborts it for a deadlock or a
// serialisation failure between replicas.
func (s *store) write(ctx context.Context, fn func(tx querier) error) error {
	if s.d.serialWrites() {
		return s.groupWrite(ctx, fn)
	}
	return s.retry(ctx, func() error { return s.tx(ctx, fn) })
}

// retry runs fn, again a few times when PostgreSQL aborts it for a deadlock
// or a serialisation failure between replicas.
func (s *store) retry(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt == 4 || !s.d.retryable(err) {
			return tooLong(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
}

// read runs fn, which reads with several statements, on one snapshot of
// the database where the dialect allows it without blocking writers
// (PostgreSQL: a read-only REPEATABLE READ transaction), so that a
// resource's version, members and totalResults agree with each other. With
// several false, or on SQLite, fn reads from the pool directly.
func (s *store) read(ctx context.Context, several bool, fn func(q querier) error) error {
	if !several || !s.d.snapshotReads() {
		return fn(s.conn())
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	if err := fn(s.inTx(tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *store) tx(ctx context.Context, fn func(tx querier) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(s.inTx(tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// sqlBuf builds a statement and its arguments, numbering placeholders as the
// dialect wants. Values only ever reach the database as arguments.
type sqlBuf struct {
	d    Dialect
	b    strings.Builder
	args []any
}

func (q *sqlBuf) sql(s ...string) *sqlBuf {
	for _, x := range s {
		q.b.WriteString(x)
	}
	return q
}

// arg appends a placeholder bound to v.
func (q *sqlBuf) arg(v any) *sqlBuf {
	q.args = append(q.args, v)
	q.b.WriteString(q.d.placeholder(len(q.args)))
	return q
}

// ph binds v and returns its placeholder without writing it.
func (q *sqlBuf) ph(v any) string {
	q.args = append(q.args, v)
	return q.d.placeholder(len(q.args))
}

func (q *sqlBuf) String() string { return q.b.String() }

// newID returns a random (version 4) UUID in lower case, which fold leaves
// as it is, so that ids compare equal folded or not.
func newID() string { return scim.NewID() }

// etag returns the weak entity tag of a version number.
func etag(v int64) string { return `W/"` + strconv.FormatInt(v, 10) + `"` }

// parseETag returns the version number of an entity tag made by etag; it
// reports false for any other text, which then matches no stored version.
func parseETag(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	n, err := strconv.ParseInt(s[1:len(s)-1], 10, 64)
	return n, err == nil
}

// nullStr maps the empty (unassigned) string to NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// conflict maps a unique violation to scim.ErrConflict.
// tooLong turns PostgreSQL's "index row size exceeds maximum" (SQLSTATE
// 54000, for a value of more than about 2,700 bytes in an indexed column)
// into a client error: the request is what is wrong, not the server.
func tooLong(err error) error {
	var s sqlState
	if err != nil && errors.As(err, &s) && s.SQLState() == "54000" {
		return scim.NewError(400, scim.ScimTypeInvalidValue, "a value is too long for this server to index")
	}
	return err
}

func conflict(err error, what string) error {
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: %s: %w", what, scim.ErrConflict)
	}
	return err
}

// missingOrStale tells, after a write matched no row, whether the row is
// missing (ErrNotFound) or has another version (ErrPreconditionFailed).
func missingOrStale(ctx context.Context, tx querier, d Dialect, table, tenant, id string) error {
	var n int
	q := "SELECT COUNT(*) FROM " + table + " WHERE tenant = " + d.placeholder(1) + " AND id = " + d.placeholder(2)
	if err := tx.QueryRowContext(ctx, q, tenant, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: %s %q: %w", table, id, scim.ErrNotFound)
	}
	return fmt.Errorf("sqlstore: %s %q: %w", table, id, scim.ErrPreconditionFailed)
}

// versionCond returns the extra WHERE condition of a conditional write, and
// whether ifVersion can match at all.
func versionCond(q *sqlBuf, ifVersion string) (string, bool) {
	if ifVersion == "" {
		return "", true
	}
	v, ok := parseETag(ifVersion)
	if !ok {
		return "", false
	}
	return " AND version = " + q.ph(v), true
}

var errNilResource = errors.New("sqlstore: nil resource")

// inChunks calls fn for consecutive slices of at most n items of all.
func inChunks[T any](all []T, n int, fn func([]T) error) error {
	for len(all) > 0 {
		k := min(n, len(all))
		if err := fn(all[:k]); err != nil {
			return err
		}
		all = all[k:]
	}
	return nil
}
