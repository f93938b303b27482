package main

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// The application's database helpers, which an application has in some
// form before it adds SCIM: one SQL text for SQLite and PostgreSQL,
// transactions, and reading rows.

// DB is the application's database.
type DB struct {
	*sql.DB
	pg bool // PostgreSQL; SQLite otherwise
	// writes serialises SQLite's writers in this process, which is faster
	// than letting them wait for the file lock.
	writes sync.Mutex
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q rewrites the ? placeholders of query as $1, $2… for PostgreSQL.
func (db *DB) q(query string) string {
	for n := 1; db.pg && strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", "$"+strconv.Itoa(n), 1)
	}
	return query
}

// tx runs fn in a transaction, which it commits if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if !db.pg {
		db.writes.Lock()
		defer db.writes.Unlock()
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// forUpdate is the suffix of a SELECT that locks the rows it reads until
// the transaction ends (SQLite's transactions lock the whole database).
func (db *DB) forUpdate() string {
	if db.pg {
		return " FOR UPDATE"
	}
	return ""
}

// isUnique reports whether err is the violation of a unique index.
func isUnique(err error) bool {
	var pg interface{ SQLState() string }
	var lite interface{ Code() int }
	return errors.As(err, &pg) && pg.SQLState() == "23505" || errors.As(err, &lite) && lite.Code() == 2067
}

// scanAll reads every row of rows with scan.
func scanAll[R any](rows *sql.Rows, scan func(row interface{ Scan(...any) error }) (*R, error)) ([]*R, error) {
	defer rows.Close()
	rs := []*R{}
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// related runs query, whose ? stands for the ids of owners (integers from
// the database), and hands add the columns of each row: an owner's id, a
// value and a display.
func related(ctx context.Context, q querier, query string, owners []string, add func(owner, value, display string)) error {
	if len(owners) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, strings.Replace(query, "?", strings.Join(owners, ","), 1))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var owner, value, display string
		if err := rows.Scan(&owner, &value, &display); err != nil {
			return err
		}
		add(owner, value, display)
	}
	return rows.Err()
}
