package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// Writes queued behind a running one share a transaction: each keeps its
// own outcome (a failed write leaves no trace and the others stay; a write
// whose context ends before it starts is not made; one whose context ends
// while it runs is made whole), and every caller returns after the commit.
func TestGroupCommitKeepsEachWritesOutcome(t *testing.T) {
	db, err := sql.Open("sqlite", SQLiteDSN(filepath.Join(t.TempDir(), "g.db")))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE t (k TEXT PRIMARY KEY)")
	require.NoError(t, err)
	users, _ := New(db, SQLite)
	s := users.s

	insert := func(ctx context.Context, q querier, k string) error {
		_, err := q.ExecContext(ctx, "INSERT INTO t (k) VALUES (?)", k)
		return err
	}
	errBoom := errors.New("boom")
	release := make(chan struct{})
	leaderIn := make(chan struct{})
	results := make(map[string]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(name string, ctx context.Context, fn func(q querier) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.write(ctx, fn)
			mu.Lock()
			results[name] = err
			mu.Unlock()
		}()
	}
	// The leader holds the writer lock until the others have queued.
	run("leader", context.Background(), func(q querier) error {
		close(leaderIn)
		<-release
		return insert(context.Background(), q, "leader")
	})
	<-leaderIn
	cancelledEarly, cancel := context.WithCancel(context.Background())
	cancel()
	cancelledLate, cancelLate := context.WithCancel(context.Background())
	queued := []struct {
		name string
		ctx  context.Context
		fn   func(q querier) error
	}{
		{"ok1", context.Background(), func(q querier) error { return insert(context.Background(), q, "ok1") }},
		{"fails", context.Background(), func(q querier) error {
			if err := insert(context.Background(), q, "fails"); err != nil {
				return err
			}
			return errBoom // after a statement: it must be rolled back
		}},
		{"duplicate", context.Background(), func(q querier) error { return insert(context.Background(), q, "ok1") }},
		{"early", cancelledEarly, func(q querier) error { return insert(context.Background(), q, "early") }},
		{"late", cancelledLate, func(q querier) error {
			cancelLate()
			if err := insert(cancelledLate, q, "late1"); err != nil {
				return err
			}
			return insert(cancelledLate, q, "late2")
		}},
		{"ok2", context.Background(), func(q querier) error { return insert(context.Background(), q, "ok2") }},
	}
	for i, w := range queued {
		run(w.name, w.ctx, w.fn)
		// Queue them in this order.
		require.Eventually(t, func() bool {
			s.writers.mu.Lock()
			defer s.writers.mu.Unlock()
			return len(s.writers.queue) == i+1
		}, 10*time.Second, time.Millisecond)
	}
	s.writers.mu.Lock()
	require.Len(t, s.writers.queue, len(queued), "all wait behind the leader")
	s.writers.mu.Unlock()
	close(release)
	wg.Wait()

	assert.NoError(t, results["leader"])
	assert.NoError(t, results["ok1"])
	assert.NoError(t, results["ok2"])
	assert.NoError(t, results["late"], "a write whose context ends while it runs is made whole")
	assert.ErrorIs(t, results["fails"], errBoom)
	assert.Error(t, results["duplicate"])
	assert.ErrorIs(t, results["early"], context.Canceled)

	rows, err := db.Query("SELECT k FROM t ORDER BY k")
	require.NoError(t, err)
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"late1", "late2", "leader", "ok1", "ok2"}, keys)
	s.writers.mu.Lock()
	defer s.writers.mu.Unlock()
	assert.Equal(t, 2, s.writers.batches, "the leader alone, then the six queued in one transaction")
	assert.Equal(t, 7, s.writers.grouped)
	assert.False(t, s.writers.leading)
	assert.Empty(t, s.writers.queue)
}
