package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/scimkit/scim"
)

// The PostgreSQL side of the outbox.
//
// Cursors come from one sequence, scim_event_seq, shared by all tenants, so
// a tenant's cursors increase with gaps, and writers of a tenant never wait
// for each other: each commits, and flushes the WAL, together with the
// others (group commit). A sequence hands out values when transactions
// ask, not when they commit, so a reader of "cursor > last" could pass over
// a transaction that took a smaller cursor and commits later. A per-tenant
// advisory lock closes that window:
//
//   - a writer takes it shared (writers never block each other) in the
//     statement that inserts its events, before that statement asks the
//     sequence for their cursors, and keeps it until it commits or rolls
//     back;
//   - a reader first takes it exclusively, in a transaction of its own,
//     which waits only for the writers that already hold it, that is, those
//     that may hold a cursor and have not finished; it reads the sequence's
//     last value H, and commits, which lets the writers on. Every event of
//     the tenant with a cursor up to H is then final (committed or rolled
//     back for good): its writer either finished before the reader got the
//     lock, or took the lock, and so its cursor, after the reader read H.
//     The reader reads "cursor > last and cursor <= H" in a later
//     statement, whose snapshot includes every such commit.
//
// So a reader that goes on from the last cursor it got never skips an
// event. Cursors also follow commits wherever an order can be observed: a
// write that saw another's change, or changed the same resource (row locks
// order those), asked for its cursors after the other committed.
//
// Expiry: with gaps, a read cannot tell deleted events from cursors that
// were never used, so pruning notes in scim_event_pruned the greatest
// cursor it deleted, per tenant, and a read after a smaller cursor is
// expired.

// pgEventSeqMigration is version 7 (PostgreSQL only): the sequence, started
// above every cursor handed out so far in any tenant, so that new cursors
// follow old ones; the pruning watermark, filled from the tenants whose
// events were pruned already (their oldest retained cursor less one: a
// reader behind it missed something, or may have); and the end of the
// per-tenant counters. Dropping those is what stops a replica of an
// earlier build, still running during an upgrade, from recording events
// with cursors of its own numbering: its recording writes fail until it is
// replaced. The lock keeps such a replica's writes out while the sequence
// is set.
var pgEventSeqMigration = migration{version: 7, stmts: []string{
	`LOCK TABLE scim_event_counters, scim_events IN EXCLUSIVE MODE`,
	`CREATE SEQUENCE scim_event_seq AS BIGINT`,
	`SELECT setval('scim_event_seq', GREATEST(m.seq, 1), m.seq > 0) FROM (SELECT COALESCE(GREATEST(
	(SELECT MAX(seq) FROM scim_event_counters), (SELECT MAX(seq) FROM scim_events)), 0) AS seq) AS m`,
	`CREATE TABLE scim_event_pruned (
	tenant TEXT COLLATE "C" PRIMARY KEY,
	seq BIGINT NOT NULL
)`,
	`INSERT INTO scim_event_pruned (tenant, seq) SELECT tenant, MIN(seq) - 1 FROM scim_events GROUP BY tenant HAVING MIN(seq) > 1`,
	`DROP TABLE scim_event_counters`,
}}

// pgEventLockClass is the first key of the advisory lock of a tenant's
// feed ("sev" in ASCII); the second is hashtext(tenant). Two tenants whose
// names hash alike share a lock, which costs a little waiting, never
// correctness. The two-key form never collides with one-key advisory
// locks, such as the one Migrate takes.
const pgEventLockClass = 0x736576

var pgEventLock = "(" + strconv.Itoa(pgEventLockClass) + ", hashtext("

// pgRecord inserts evs, the events of the write that tx makes, in one
// statement: the shared lock, then one cursor for each from the sequence,
// sorted so that they follow the events' order, then the rows. It returns
// the cursors, in the events' order.
func (s *store) pgRecord(ctx context.Context, tx querier, tenant string, evs []scim.Event, data []string) ([]int64, error) {
	q := &sqlBuf{d: s.d}
	q.sql("WITH ")
	pgEventCursors(q, tenant, len(evs), "")
	q.sql(" ")
	pgEventInsert(q, tenant, evs, data)
	q.sql(" RETURNING seq")
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cursors := make([]int64, 0, len(evs))
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		cursors = append(cursors, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cursors) != len(evs) {
		return nil, errEventRows
	}
	// Event k got the k-th smallest.
	slices.Sort(cursors)
	return cursors, nil
}

// pgEventCursors appends the CTEs l, which takes the tenant's lock shared,
// and c, which holds n cursors from the sequence in increasing order. With
// after, the name of an earlier CTE, l takes the lock once for each of
// its rows: with none, it takes nothing and c holds no cursors. l is
// materialised, and every cursor is computed in a row of a join with it,
// so the lock is held, and the rows of after written (and locked), before
// the sequence is asked.
func pgEventCursors(q *sqlBuf, tenant string, n int, after string) {
	q.sql("l AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared").sql(pgEventLock).arg(tenant).sql("))")
	if after != "" {
		q.sql(" FROM ", after)
	}
	// n is written out, not bound: with a parameter, a generic plan must
	// assume generate_series returns 1,000 rows, which kept PostgreSQL
	// planning the statement afresh at every execution (a custom plan),
	// at 200 to 400 µs a write.
	if n == 1 {
		// Most writes have one event: no series to sort.
		q.sql("), c AS MATERIALIZED (SELECT ARRAY[nextval('scim_event_seq')] AS a FROM l)")
		return
	}
	q.sql("), c AS MATERIALIZED (SELECT ARRAY(SELECT nextval('scim_event_seq') AS seq FROM l, generate_series(1, ", strconv.Itoa(n))
	q.sql(") ORDER BY seq) AS a)")
}

// pgEventInsert appends the INSERT of evs, with the cursors of the CTEs
// that pgEventCursors appends: none when l is empty.
func pgEventInsert(q *sqlBuf, tenant string, evs []scim.Event, data []string) {
	q.sql("INSERT INTO scim_events (tenant, seq, id, time, type, resource_type, resource_id, data)")
	q.sql(" SELECT ").arg(tenant).sql(", c.a[v.k], v.id, v.time, v.type, v.rt, v.rid, v.data FROM l, c, (VALUES ")
	for i := range evs {
		e := &evs[i]
		if i > 0 {
			q.sql(", ")
		}
		q.sql("(").arg(int64(i + 1)).sql("::int, ").arg(e.ID).sql(", ").arg(e.Time).sql("::timestamptz, ").arg(string(e.Type))
		q.sql(", ").arg(e.ResourceType).sql(", ").arg(e.ResourceID).sql(", ").arg(data[i]).sql(")")
	}
	q.sql(") AS v(k, id, time, type, rt, rid, data)")
}

var errEventRows = errors.New("sqlstore: the outbox insert returned a row count unlike its events'")

// pgHorizon returns H for the tenant's feed: every event with a cursor up
// to H is final (see the top of this file). It is one statement in a
// transaction of its own: the lock is released when it ends, and the
// caller's later statements see what the writers it waited for committed.
func (s *store) pgHorizon(ctx context.Context, tenant string) (int64, error) {
	q := &sqlBuf{d: s.d}
	q.sql("WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock").sql(pgEventLock).arg(tenant).sql(")))")
	q.sql(" SELECT COALESCE(pg_sequence_last_value('scim_event_seq'), 0) FROM l")
	var h int64
	err := s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&h)
	return h, err
}

// pgReadEvents reads the tenant's events after the cursor after, up to the
// horizon; the same statement reads the pruning watermark, which tells
// whether events after the cursor were deleted.
func (s *store) pgReadEvents(ctx context.Context, tenant string, after int64, limit int) ([]scim.Event, error) {
	h, err := s.pgHorizon(ctx, tenant)
	if err != nil {
		return nil, err
	}
	q := &sqlBuf{d: s.d}
	q.sql("SELECT e.seq, e.id, e.time, e.type, e.resource_type, e.resource_id, e.data, p.seq FROM (SELECT COALESCE(")
	q.sql("(SELECT seq FROM scim_event_pruned WHERE tenant = ").arg(tenant).sql("), 0) AS seq) AS p")
	q.sql(" LEFT JOIN LATERAL (SELECT seq, id, time, type, resource_type, resource_id, data FROM scim_events WHERE tenant = ").arg(tenant)
	q.sql(" AND seq > ").arg(after).sql(" AND seq <= ").arg(h).sql(" ORDER BY seq LIMIT ").arg(limit).sql(") AS e ON TRUE")
	q.sql(" ORDER BY e.seq")
	rows, err := s.conn().QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scim.Event
	var pruned int64
	for rows.Next() {
		var (
			seq                    sql.NullInt64
			id, typ, rt, rid, data sql.NullString
			at                     time.Time
		)
		if err := rows.Scan(&seq, &id, nullTime{&at}, &typ, &rt, &rid, &data, &pruned); err != nil {
			return nil, err
		}
		if !seq.Valid {
			continue // no event: the watermark's row alone
		}
		e, err := decodeEvent(seq.Int64, tenant, id.String, at, typ.String, rt.String, rid.String, data.String)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if after < pruned {
		return nil, expired(after)
	}
	return out, nil
}

// pgLastCursor is the cursor of the tenant's newest final event.
func (s *store) pgLastCursor(ctx context.Context, tenant string) (int64, error) {
	h, err := s.pgHorizon(ctx, tenant)
	if err != nil {
		return 0, err
	}
	q := &sqlBuf{d: s.d}
	q.sql("SELECT COALESCE(MAX(seq), 0) FROM scim_events WHERE tenant = ").arg(tenant).sql(" AND seq <= ").arg(h)
	var last int64
	err = s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&last)
	return last, err
}

// pgPrune deletes as prune does, and raises the tenant's watermark to the
// greatest cursor it deleted, in the same statement.
func pgPrune(ctx context.Context, tx querier, d Dialect, tenant string, before time.Time) (int64, error) {
	q := &sqlBuf{d: d}
	q.sql("WITH d AS (")
	pruneDelete(q, tenant, before)
	q.sql(" RETURNING seq), w AS (INSERT INTO scim_event_pruned (tenant, seq) SELECT ").arg(tenant).sql(", MAX(seq) FROM d HAVING COUNT(*) > 0")
	q.sql(" ON CONFLICT (tenant) DO UPDATE SET seq = GREATEST(scim_event_pruned.seq, excluded.seq))")
	q.sql(" SELECT COUNT(*) FROM d")
	var n int64
	err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&n)
	return n, err
}

// pgNotifier sends the notifications that wake [UserStore.Listen] in every
// process, after the writes commit, rather than by pg_notify in the
// writes' transactions: PostgreSQL serialises the commits of all
// transactions that notify, database-wide, through their WAL flush, which
// would undo what the sequence gains. One goroutine at a time sends,
// for every tenant that committed events since its last statement, in a
// transaction that does not wait for the WAL flush (a notification is a
// hint: a crash that loses one leaves consumers to their polling), and
// then pauses, so that the commits of the pause share the next one.
type pgNotifier struct {
	mu      sync.Mutex
	pending map[string]struct{}
	sending bool
}

// pgCommitted queues the tenant's notification.
func (s *store) pgCommitted(tenant string) {
	n := &s.events.pg
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil {
		n.pending = map[string]struct{}{}
	}
	n.pending[tenant] = struct{}{}
	if !n.sending {
		n.sending = true
		go s.pgSendNotifications()
	}
}

func (s *store) pgSendNotifications() {
	n := &s.events.pg
	for {
		n.mu.Lock()
		if len(n.pending) == 0 {
			n.sending = false
			n.mu.Unlock()
			return
		}
		tenants := make([]string, 0, len(n.pending))
		for t := range n.pending {
			tenants = append(tenants, t)
		}
		clear(n.pending)
		n.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// An error loses these notifications only: readers of other
		// processes find the events at their next poll.
		_, _ = s.db.ExecContext(ctx, "SELECT set_config('synchronous_commit', 'off', true), pg_notify('scim_events', t) FROM unnest($1::text[]) AS t", tenants)
		cancel()
		// The commits of the pause share the next statement: at most one
		// a pause, however fast the writes.
		time.Sleep(pgNotifyPause)
	}
}

// pgNotifyPause is the least time between two notifying statements of a
// process, and so the most by which one delays a notification.
const pgNotifyPause = 10 * time.Millisecond
