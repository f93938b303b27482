package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache. Statement texts depend only
// on the shape of a request (filter structure, page size, list lengths),
// not on its values, and the shapes identity providers send are few; once
// the cache is full, further shapes run unprepared. Entries are never
// evicted, because closing a statement that another goroutine is about to
// use would fail its query.
const maxCachedStmts = 256

// stmtCache keeps prepared statements for dialects whose driver does not:
// modernc.org/sqlite parses every statement anew, which is most of the
// cost of a point query, while pgx caches prepared statements itself.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// get returns the prepared statement for query, preparing it if the cache
// has room, or nil.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m) >= maxCachedStmts {
		return nil
	}
	// The statement must outlive ctx, the context of one request.
	st, err := db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		// Let the caller run the query unprepared and report the error.
		return nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

// cached is a querier that runs statements through the cache.
type cached struct {
	s  *store
	db querier
	tx *sql.Tx // the transaction db is, if any
}

func (s *store) conn() querier {
	if !s.d.cacheStatements() {
		return s.db
	}
	return cached{s: s, db: s.db}
}

func (s *store) inTx(tx *sql.Tx) querier {
	if !s.d.cacheStatements() {
		return tx
	}
	return cached{s: s, db: tx, tx: tx}
}

func (c cached) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.s.stmts.get(ctx, c.s.db, query)
	if st != nil && c.tx != nil {
		// Closed with the transaction.
		st = c.tx.StmtContext(ctx, st)
	}
	return st
}

func (c cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c cached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

func (c cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}
