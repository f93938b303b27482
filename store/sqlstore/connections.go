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

	"github.com/scimkit/scim/connections"
)

// Connections is a [connections.Store] on the database of a UserStore and
// GroupStore, in the tables scim_connections and scim_credentials that
// [Migrate] creates. Every replica of an application that shares the
// database sees a revocation or a disabled connection at its next request:
// LookupCredential reads the database every time (one statement: the
// credential, its connection and an access token's client secret, each by
// primary key).
type Connections struct {
	db *sql.DB
	d  Dialect
	// writeMu serialises this store's writers on SQLite, as the user and
	// group stores do theirs.
	writeMu sync.Mutex
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	queries map[string]string // rebound for the dialect
}

var (
	_ connections.Store                = (*Connections)(nil)
	_ connections.AllConnectionsLister = (*Connections)(nil)
)

// NewConnections returns the connection store on db, whose tables [Migrate]
// must have created. It is safe for concurrent use, by any number of
// processes sharing the database.
//
//	store := sqlstore.NewConnections(db, sqlstore.Postgres)
//	h := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))
func NewConnections(db *sql.DB, d Dialect) *Connections {
	return &Connections{db: db, d: d, stmts: map[string]*sql.Stmt{}, queries: map[string]string{}}
}

// connectionsMigration returns the schema version that adds the tables of
// [Connections] in dialect d. Credential ids are globally unique (they are
// embedded in the secrets), and so are connection ids (they are OAuth
// client ids); every other lookup is scoped by tenant. A credential is
// never stored, only its SHA-256.
func connectionsMigration(version int, pg bool) migration {
	text, ts, boolean, blob := "TEXT", "TEXT", "INTEGER", "BLOB"
	if pg {
		text, ts, boolean, blob = `TEXT COLLATE "C"`, "TIMESTAMPTZ", "BOOLEAN", "BYTEA"
	}
	return migration{version: version, stmts: []string{
		`CREATE TABLE scim_connections (
	id ` + text + ` PRIMARY KEY,
	tenant ` + text + ` NOT NULL,
	display_name TEXT NOT NULL,
	provider TEXT NOT NULL,
	created ` + ts + ` NOT NULL,
	disabled ` + boolean + ` NOT NULL
)`,
		`CREATE INDEX scim_connections_tenant ON scim_connections (tenant, created, id)`,
		`CREATE TABLE scim_credentials (
	id ` + text + ` PRIMARY KEY,
	connection_id ` + text + ` NOT NULL REFERENCES scim_connections (id) ON DELETE CASCADE,
	tenant ` + text + ` NOT NULL,
	kind ` + text + ` NOT NULL,
	hash ` + blob + ` NOT NULL,
	parent_id ` + text + `,
	created ` + ts + ` NOT NULL,
	expires ` + ts + `,
	revoked ` + ts + `,
	last_used ` + ts + `
)`,
		`CREATE INDEX scim_credentials_connection ON scim_credentials (connection_id, created, id)`,
		`CREATE INDEX scim_credentials_parent ON scim_credentials (parent_id) WHERE parent_id IS NOT NULL`,
		`CREATE INDEX scim_credentials_expired ON scim_credentials (expires) WHERE kind = 'access_token'`,
	}}
}

var (
	pgConnectionsMigration     = connectionsMigration(2, true)
	sqliteConnectionsMigration = connectionsMigration(2, false)
)

const (
	connColumns = `id, tenant, display_name, provider, created, disabled`
	credColumns = `c.id, c.connection_id, c.tenant, c.kind, c.hash, c.parent_id, c.created, c.expires, c.revoked, c.last_used`

	qInsertConnection = `INSERT INTO scim_connections (` + connColumns + `) VALUES (?, ?, ?, ?, ?, ?)`
	qConnection       = `SELECT ` + connColumns + ` FROM scim_connections WHERE tenant = ? AND id = ?`
	qConnections      = `SELECT ` + connColumns + ` FROM scim_connections WHERE tenant = ? ORDER BY created, id`
	qAllConnections   = `SELECT ` + connColumns + ` FROM scim_connections ORDER BY tenant, created, id`
	qUpdateConnection = `UPDATE scim_connections SET display_name = ?, provider = ?, disabled = ? WHERE tenant = ? AND id = ?`
	qDeleteCreds      = `DELETE FROM scim_credentials WHERE tenant = ? AND connection_id = ?`
	qDeleteConnection = `DELETE FROM scim_connections WHERE tenant = ? AND id = ?`
	qInsertCredential = `INSERT INTO scim_credentials (id, connection_id, tenant, kind, hash, parent_id, created, expires)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qConnectionExists = `SELECT COUNT(*) FROM scim_connections WHERE tenant = ? AND id = ?`
	qCredentials      = `SELECT ` + credColumns + ` FROM scim_credentials c
WHERE c.tenant = ? AND c.connection_id = ? AND c.kind <> 'access_token' ORDER BY c.created, c.id`
	qCredentialExists = `SELECT COUNT(*) FROM scim_credentials WHERE tenant = ? AND id = ?`
	qRevoke           = `UPDATE scim_credentials SET revoked = ? WHERE tenant = ? AND (id = ? OR parent_id = ?) AND revoked IS NULL`
	qExpire           = `UPDATE scim_credentials SET expires = ? WHERE tenant = ? AND (id = ? OR parent_id = ?) AND (expires IS NULL OR expires > ?)`
	qLookup           = `SELECT ` + credColumns + `, n.display_name, n.provider, n.created, n.disabled, p.revoked, p.expires
FROM scim_credentials c JOIN scim_connections n ON n.id = c.connection_id
LEFT JOIN scim_credentials p ON p.id = c.parent_id WHERE c.id = ?`
	qTouch         = `UPDATE scim_credentials SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)`
	qDeleteExpired = `DELETE FROM scim_credentials WHERE id IN (SELECT id FROM scim_credentials
WHERE kind = 'access_token' AND expires < ? LIMIT ` + deleteExpiredBatch + `)`

	deleteExpiredBatch = "1000"
)

// query returns q with the dialect's placeholders.
func (s *Connections) query(q string) string {
	if _, ok := s.d.(postgres); !ok {
		return q
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.queries[q]; ok {
		return r
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	s.queries[q] = b.String()
	return b.String()
}

// stmt returns q prepared, on SQLite (whose driver parses every statement
// anew, most of the cost of a point query), or nil.
func (s *Connections) stmt(ctx context.Context, q string) *sql.Stmt {
	if !s.d.cacheStatements() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st
	}
	// The statement outlives ctx, the context of one request. The
	// queries are this file's constants, so the map stays small.
	st, err := s.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil // run it unprepared, which reports the error
	}
	s.stmts[q] = st
	return st
}

func (s *Connections) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, s.query(q), args...)
}

func (s *Connections) queryRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, s.query(q), args...)
}

// exec runs a write statement and returns the number of rows it changed.
func (s *Connections) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if s.d.serialWrites() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	var res sql.Result
	var err error
	if st := s.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = s.db.ExecContext(ctx, s.query(q), args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// timeOrNull is the argument for a nullable time column.
func (s *Connections) timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(t.UTC())
}

// nullTime scans a nullable time column of either dialect; NULL is zero.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(src any) error {
	if src == nil {
		*n.t = time.Time{}
		return nil
	}
	var d dbTime
	if err := d.Scan(src); err != nil {
		return err
	}
	*n.t = d.t
	return nil
}

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

func scanConnection(sc interface{ Scan(...any) error }) (*connections.Connection, error) {
	var c connections.Connection
	var provider string
	if err := sc.Scan(&c.ID, &c.Tenant, &c.DisplayName, &provider, nullTime{&c.Created}, &c.Disabled); err != nil {
		return nil, err
	}
	c.Provider = connections.Provider(provider)
	return &c, nil
}

// credDest returns the scan destinations of credColumns into c.
func credDest(c *connections.Credential, hash *[]byte, parent *sql.NullString, kind *string) []any {
	return []any{&c.ID, &c.ConnectionID, &c.Tenant, kind, hash, parent,
		nullTime{&c.Created}, nullTime{&c.Expires}, nullTime{&c.Revoked}, nullTime{&c.LastUsed}}
}

func finishCred(c *connections.Credential, hash []byte, parent sql.NullString, kind string) error {
	if len(hash) != len(c.Hash) {
		return fmt.Errorf("sqlstore: credential %q has a hash of %d bytes", c.ID, len(hash))
	}
	copy(c.Hash[:], hash)
	c.Parent = parent.String
	c.Kind = connections.Kind(kind)
	return nil
}

// CreateConnection implements [connections.Store].
func (s *Connections) CreateConnection(ctx context.Context, c *connections.Connection) error {
	_, err := s.exec(ctx, qInsertConnection, c.ID, c.Tenant, c.DisplayName, string(c.Provider), s.d.timeArg(c.Created.UTC()), c.Disabled)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: connection %q: %w", c.ID, connections.ErrExists)
	}
	return wrapErr("create connection", err)
}

// Connection implements [connections.Store].
func (s *Connections) Connection(ctx context.Context, tenant, id string) (*connections.Connection, error) {
	c, err := scanConnection(s.queryRow(ctx, qConnection, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: connection %q: %w", id, connections.ErrNotFound)
	}
	return c, wrapErr("read connection", err)
}

// Connections implements [connections.Store].
func (s *Connections) Connections(ctx context.Context, tenant string) ([]*connections.Connection, error) {
	return s.listConnections(ctx, qConnections, tenant)
}

// AllConnections implements [connections.AllConnectionsLister].
func (s *Connections) AllConnections(ctx context.Context) ([]*connections.Connection, error) {
	return s.listConnections(ctx, qAllConnections)
}

func (s *Connections) listConnections(ctx context.Context, q string, args ...any) ([]*connections.Connection, error) {
	rows, err := s.queryRows(ctx, q, args...)
	if err != nil {
		return nil, wrapErr("list connections", err)
	}
	defer rows.Close()
	out := []*connections.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, wrapErr("list connections", err)
		}
		out = append(out, c)
	}
	return out, wrapErr("list connections", rows.Err())
}

// UpdateConnection implements [connections.Store].
func (s *Connections) UpdateConnection(ctx context.Context, c *connections.Connection) error {
	n, err := s.exec(ctx, qUpdateConnection, c.DisplayName, string(c.Provider), c.Disabled, c.Tenant, c.ID)
	if err == nil && n == 0 {
		return fmt.Errorf("sqlstore: connection %q: %w", c.ID, connections.ErrNotFound)
	}
	return wrapErr("update connection", err)
}

// DeleteConnection implements [connections.Store]. It deletes the
// credentials itself rather than leave it to the foreign key's cascade,
// which SQLite applies only on connections that turned foreign keys on.
func (s *Connections) DeleteConnection(ctx context.Context, tenant, id string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.query(qDeleteCreds), tenant, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.query(qDeleteConnection), tenant, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("sqlstore: connection %q: %w", id, connections.ErrNotFound)
			}
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, connections.ErrNotFound) {
		return wrapErr("delete connection", err)
	}
	return err
}

// CreateCredential implements [connections.Store].
func (s *Connections) CreateCredential(ctx context.Context, tenant string, cr *connections.Credential) error {
	parent := any(nil)
	if cr.Parent != "" {
		parent = cr.Parent
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.query(qConnectionExists), tenant, cr.ConnectionID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: connection %q: %w", cr.ConnectionID, connections.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.query(qInsertCredential), cr.ID, cr.ConnectionID, tenant, string(cr.Kind), cr.Hash[:],
			parent, s.d.timeArg(cr.Created.UTC()), s.timeOrNull(cr.Expires))
		return err
	})
	switch {
	case err != nil && isUniqueViolation(err):
		return fmt.Errorf("sqlstore: credential %q: %w", cr.ID, connections.ErrExists)
	case err != nil && isForeignKeyViolation(err):
		// The connection was deleted as the row went in.
		return fmt.Errorf("sqlstore: connection %q: %w", cr.ConnectionID, connections.ErrNotFound)
	case err != nil && !errors.Is(err, connections.ErrNotFound):
		return wrapErr("create credential", err)
	case err != nil:
		return err
	}
	cr.Tenant = tenant
	return nil
}

// tx runs fn in a transaction, serialised in-process on SQLite.
func (s *Connections) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.d.serialWrites() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// isForeignKeyViolation reports whether err is PostgreSQL's
// foreign_key_violation (SQLSTATE 23503) or SQLite's
// SQLITE_CONSTRAINT_FOREIGNKEY.
func isForeignKeyViolation(err error) bool {
	var s sqlState
	if errors.As(err, &s) {
		return s.SQLState() == "23503"
	}
	var c interface{ Code() int }
	return errors.As(err, &c) && c.Code() == 787
}

// Credentials implements [connections.Store].
func (s *Connections) Credentials(ctx context.Context, tenant, connectionID string) ([]*connections.Credential, error) {
	if _, err := s.Connection(ctx, tenant, connectionID); err != nil {
		return nil, err
	}
	rows, err := s.queryRows(ctx, qCredentials, tenant, connectionID)
	if err != nil {
		return nil, wrapErr("list credentials", err)
	}
	defer rows.Close()
	out := []*connections.Credential{}
	for rows.Next() {
		var c connections.Credential
		var hash []byte
		var parent sql.NullString
		var kind string
		if err := rows.Scan(credDest(&c, &hash, &parent, &kind)...); err != nil {
			return nil, wrapErr("list credentials", err)
		}
		if err := finishCred(&c, hash, parent, kind); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, wrapErr("list credentials", rows.Err())
}

// changeFamily runs an update of the credential id of tenant and its
// children; if it changed nothing, it tells a missing credential
// (ErrNotFound) from one that needed no change (nil).
func (s *Connections) changeFamily(ctx context.Context, op, q, tenant, id string, args ...any) error {
	n, err := s.exec(ctx, q, args...)
	if err != nil || n > 0 {
		return wrapErr(op, err)
	}
	var count int
	if err := s.queryRow(ctx, qCredentialExists, tenant, id).Scan(&count); err != nil {
		return wrapErr(op, err)
	}
	if count == 0 {
		return fmt.Errorf("sqlstore: credential %q: %w", id, connections.ErrNotFound)
	}
	return nil
}

// RevokeCredential implements [connections.Store].
func (s *Connections) RevokeCredential(ctx context.Context, tenant, id string, at time.Time) error {
	return s.changeFamily(ctx, "revoke credential", qRevoke, tenant, id, s.d.timeArg(at.UTC()), tenant, id, id)
}

// ExpireCredential implements [connections.Store].
func (s *Connections) ExpireCredential(ctx context.Context, tenant, id string, at time.Time) error {
	t := s.d.timeArg(at.UTC())
	return s.changeFamily(ctx, "expire credential", qExpire, tenant, id, t, tenant, id, id, t)
}

// LookupCredential implements [connections.Store].
func (s *Connections) LookupCredential(ctx context.Context, id string) (*connections.Credential, *connections.Connection, error) {
	var c connections.Credential
	var hash []byte
	var parent sql.NullString
	var kind, provider string
	n := &connections.Connection{}
	var parentRevoked, parentExpires time.Time
	dest := append(credDest(&c, &hash, &parent, &kind), &n.DisplayName, &provider, nullTime{&n.Created}, &n.Disabled,
		nullTime{&parentRevoked}, nullTime{&parentExpires})
	if err := s.queryRow(ctx, qLookup, id).Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("sqlstore: credential %q: %w", id, connections.ErrNotFound)
		}
		return nil, nil, wrapErr("look up credential", err)
	}
	if err := finishCred(&c, hash, parent, kind); err != nil {
		return nil, nil, err
	}
	n.ID, n.Tenant, n.Provider = c.ConnectionID, c.Tenant, connections.Provider(provider)
	// An access token is no more usable than its client secret.
	if c.Revoked.IsZero() {
		c.Revoked = parentRevoked
	}
	if !parentExpires.IsZero() && (c.Expires.IsZero() || parentExpires.Before(c.Expires)) {
		c.Expires = parentExpires
	}
	return &c, n, nil
}

// TouchCredential implements [connections.Store].
func (s *Connections) TouchCredential(ctx context.Context, id string, at time.Time) error {
	t := s.d.timeArg(at.UTC())
	_, err := s.exec(ctx, qTouch, t, id, t)
	return wrapErr("touch credential", err)
}

// DeleteExpired implements [connections.Store]. It deletes in batches of
// 1,000 rows, each its own statement, so that it never holds locks long.
func (s *Connections) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	total := 0
	batch, _ := strconv.Atoi(deleteExpiredBatch)
	for {
		n, err := s.exec(ctx, qDeleteExpired, s.d.timeArg(before.UTC()))
		total += int(n)
		if err != nil || n < int64(batch) {
			return total, wrapErr("delete expired access tokens", err)
		}
	}
}
