package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// Group commit on SQLite.
//
// SQLite has one writer at a time, and a commit appends to the WAL every
// page its transaction changed: a user create changes the rightmost leaf
// of the users table and of several of its indexes, of the outbox, of the
// block counts, about thirteen pages in all, most of which the next create
// changes again. Writers that arrive while another writes wait in a queue;
// the first of them to get the lock runs every write queued, each in a
// savepoint of its own, in one transaction, and commits once. Pages that
// several writes change are written once, and the commit's cost is shared.
// A write that fails rolls back to its savepoint and leaves the others;
// every caller returns once the commit that holds its write is durable,
// with that commit's error if it failed. A write that runs alone runs as
// before, in a transaction of its own.
//
// Once a write has started it runs to its end, whatever its caller's
// context does: cancelling a statement interrupts SQLite's connection,
// which rolls back the whole transaction, the other writes with it. A
// caller whose context is done before its write starts gets the context's
// error, and its write is not made.

// maxGroupWrites bounds the writes of one transaction, and so the time a
// writer that arrived last waits for the commit.
const maxGroupWrites = 64

// writeQueue is the queue of a store's writers on SQLite.
type writeQueue struct {
	mu      sync.Mutex
	queue   []*queuedWrite
	leading bool // a writer is running the queue
	// batches and grouped count transactions and the writes they held, for
	// tests.
	batches, grouped int
}

type queuedWrite struct {
	ctx  context.Context
	fn   func(tx querier) error
	done chan writeResult
}

// writeResult ends a queued write: its error, or lead, which makes its
// writer the one that runs the queue.
type writeResult struct {
	err  error
	lead bool
}

// groupWrite runs fn in a transaction, with the writes queued alongside it.
func (s *store) groupWrite(ctx context.Context, fn func(tx querier) error) error {
	w := &queuedWrite{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	b := &s.writers
	b.mu.Lock()
	b.queue = append(b.queue, w)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if !lead {
		r := <-w.done
		if !r.lead {
			return r.err
		}
	}
	// This writer runs what is queued, its own write first among it, and
	// then passes the lead to the writer that queued next, if any, so that
	// it returns after one transaction however long the queue stays full.
	b.mu.Lock()
	n := min(len(b.queue), maxGroupWrites)
	ws := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()
	s.runWrites(ws)
	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].done <- writeResult{lead: true}
	} else {
		b.leading = false
		b.queue = nil
	}
	b.mu.Unlock()
	return (<-w.done).err
}

// runWrites runs ws in one transaction and tells each its result.
func (s *store) runWrites(ws []*queuedWrite) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.writers.mu.Lock()
	s.writers.batches++
	s.writers.grouped += len(ws)
	s.writers.mu.Unlock()
	if len(ws) == 1 {
		w := ws[0]
		w.done <- writeResult{err: s.tx(w.ctx, w.fn)}
		return
	}
	errs := make([]error, len(ws))
	err := s.runGroup(ws, errs)
	for i, w := range ws {
		if errs[i] == nil {
			errs[i] = err
		}
		w.done <- writeResult{err: errs[i]}
	}
}

// runGroup runs ws, each in a savepoint, in one transaction, setting errs
// for the writes that failed; it returns the transaction's error, which
// the others share.
func (s *store) runGroup(ws []*queuedWrite, errs []error) error {
	// No writer's context must end the transaction the others share.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	q := detached{s.inTx(tx)}
	for i, w := range ws {
		if errs[i] = w.ctx.Err(); errs[i] != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			_ = tx.Rollback()
			return err
		}
		if errs[i] = w.fn(q); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// detached runs statements with their context's values but not its
// cancellation (see the top of this file).
type detached struct{ q querier }

func (d detached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}
