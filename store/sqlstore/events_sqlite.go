package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimkit/scim"
)

// The SQLite outbox. SQLite has one writer at a time, so a cursor can come
// from one sequence for all tenants: the rowid of scim_events, which the
// INSERT of a write's events takes as the table's largest rowid plus one,
// inside the write's transaction, so in commit order. A reader that reads
// "cursor > last" never skips an event, but a tenant's cursors have gaps
// where other tenants wrote.
//
// The table is a plain rowid table with no index, because that is where
// SQLite appends cheapest: a new row goes on the last leaf page, and when
// that page is full a new one is started (balance_quick) instead of
// redistributing rows among siblings, as the earlier table keyed by
// (tenant, seq) did every two or three writes. A write's commit thus adds
// about 1.3 pages to the WAL for its events, against 2.4 with that table
// or with a (tenant, seq) index, which every write would have to dirty
// as well. The price is that a tenant's reads and prunings step over the
// events of the other tenants in the cursor range they cover; SQLite
// databases usually serve one tenant, or a few.
//
// Cursors having gaps, a reader cannot tell expiry from the cursors it
// reads: pruning records in scim_event_pruned the newest cursor of the
// tenant's it deleted, and a reader whose cursor is older gets
// scim.ErrCursorExpired. Pruning keeps each tenant's newest event, so the
// table's largest rowid is never deleted and never reused.

// sqliteEventLogVersion is the schema version that moves the SQLite
// outbox to one sequence of cursors.
const sqliteEventLogVersion = 9

// sqliteEventLogMigration renumbers the events of the (tenant, seq) table
// in the order of their cursors, so that each tenant's events keep their
// order: a database that serves one tenant keeps its cursors as they
// were. The consumers' saved cursors are renumbered with them; a cursor
// that was already expired stays expired. The snapshot, which data held,
// has a column of its own in new rows (data is left as it is in old ones).
var sqliteEventLogMigration = migration{version: sqliteEventLogVersion, stmts: []string{
	`CREATE TABLE scim_events_v9 (
	seq INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	time TEXT NOT NULL,
	type TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	data TEXT NOT NULL,
	snapshot TEXT,
	old_seq INTEGER
)`,
	`CREATE TABLE scim_event_pruned (
	tenant TEXT PRIMARY KEY,
	seq INTEGER NOT NULL
) WITHOUT ROWID`,
	`INSERT INTO scim_events_v9 (seq, tenant, id, time, type, resource_type, resource_id, data, old_seq)
SELECT ROW_NUMBER() OVER (ORDER BY seq, tenant) + (SELECT COALESCE(MIN(seq), 1) - 1 FROM scim_events),
	tenant, id, time, type, resource_type, resource_id, data, seq
FROM scim_events`,
	// A tenant's first event that is left, m, got cursor n >= 2 when m > 1
	// (cursors start at the smallest seq left), so n - 1 >= 1 can stand for
	// the deleted ones, and n - 2 for a consumer that had not read them.
	`INSERT INTO scim_event_pruned (tenant, seq)
SELECT tenant, MIN(seq) - 1 FROM scim_events_v9 GROUP BY tenant HAVING MIN(old_seq) > 1`,
	`UPDATE scim_event_consumers AS c SET seq = COALESCE((
	SELECT CASE
		WHEN c.seq < MIN(e.old_seq) - 1 THEN MIN(e.seq) - 2
		WHEN c.seq >= MAX(e.old_seq) THEN MAX(e.seq)
		ELSE (SELECT MIN(f.seq) - 1 FROM scim_events_v9 f WHERE f.tenant = c.tenant AND f.old_seq > c.seq)
	END
	FROM scim_events_v9 e WHERE e.tenant = c.tenant), 0)`,
	`DROP TABLE scim_events`,
	`ALTER TABLE scim_events_v9 DROP COLUMN old_seq`,
	`ALTER TABLE scim_events_v9 RENAME TO scim_events`,
}}

// recordSQLite is record's statement on SQLite: it inserts evs in one
// statement and sets their cursors, the consecutive rowids that follow
// the table's largest.
func (s *store) recordSQLite(ctx context.Context, tx querier, tenant string, evs []scim.Event) error {
	ins := &sqlBuf{d: s.d}
	ins.sql("INSERT INTO scim_events (tenant, id, time, type, resource_type, resource_id, data, snapshot) VALUES ")
	for i := range evs {
		e := &evs[i]
		data, err := appendEventFields(nil, e)
		if err != nil {
			return err
		}
		// The snapshot is stored as the handler rendered it (compact
		// JSON), not re-encoded inside data.
		var snap any
		if len(e.Snapshot) > 0 {
			snap = string(e.Snapshot)
		}
		if i > 0 {
			ins.sql(", ")
		}
		ins.sql("(").arg(tenant).sql(", ").arg(e.ID).sql(", ").arg(s.d.timeArg(e.Time)).sql(", ").arg(string(e.Type))
		ins.sql(", ").arg(e.ResourceType).sql(", ").arg(e.ResourceID).sql(", ").arg(string(data)).sql(", ").arg(snap).sql(")")
	}
	res, err := tx.ExecContext(ctx, ins.String(), ins.args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for i := range evs {
		evs[i].Cursor = last - int64(len(evs)-1-i)
		evs[i].Tenant = tenant
	}
	return nil
}

// readEventsSQLite is readEvents on SQLite. The statement reads the
// tenant's pruning mark with the events, so that both come from one
// snapshot.
func (s *store) readEventsSQLite(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	tenant := s.tenant(ctx)
	q := &sqlBuf{d: s.d}
	q.sql("SELECT seq, id, time, type, resource_type, resource_id, data, snapshot, (SELECT seq FROM scim_event_pruned WHERE tenant = ").arg(tenant)
	q.sql(") FROM scim_events WHERE seq > ").arg(after).sql(" AND tenant = ").arg(tenant).sql(" ORDER BY seq LIMIT ").arg(limit)
	rows, err := s.conn().QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scim.Event
	for rows.Next() {
		var (
			seq                    int64
			id, typ, rt, rid, data string
			snap                   sql.NullString
			pruned                 sql.NullInt64
			at                     dbTime
		)
		if err := rows.Scan(&seq, &id, &at, &typ, &rt, &rid, &data, &snap, &pruned); err != nil {
			return nil, err
		}
		// The events after a deleted one of the tenant's would read as if
		// nothing was missing.
		if after < pruned.Int64 {
			return nil, expired(after)
		}
		var e scim.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return nil, fmt.Errorf("sqlstore: event %d: %w", seq, err)
		}
		if snap.Valid {
			e.Snapshot = json.RawMessage(snap.String)
		}
		e.ID, e.Time, e.Type, e.ResourceType, e.ResourceID = id, at.t, scim.EventType(typ), rt, rid
		e.Cursor, e.Tenant = seq, tenant
		out = append(out, e)
	}
	// With no event after the cursor there is nothing new: pruning keeps
	// the newest event, so a cursor older than a deleted event has events
	// after it.
	return out, rows.Err()
}

// lastCursorSQLite is lastCursor on SQLite: the tenant's newest event is
// found from the end of the table.
func (s *store) lastCursorSQLite(ctx context.Context) (int64, error) {
	q := &sqlBuf{d: s.d}
	q.sql("SELECT seq FROM scim_events WHERE tenant = ").arg(s.tenant(ctx)).sql(" ORDER BY seq DESC LIMIT 1")
	var last int64
	err := s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&last)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return last, err
}

// pruneSQLite is prune on SQLite: it deletes as prune does and raises the
// tenant's pruning mark to the newest cursor it deleted, in tx, so that
// no reader sees the deletion without the mark.
func pruneSQLite(ctx context.Context, tx querier, d Dialect, tenant string, before time.Time) (int64, error) {
	del := &sqlBuf{d: d}
	del.sql("DELETE FROM scim_events WHERE tenant = ").arg(tenant).sql(" AND seq < COALESCE(")
	del.sql("(SELECT seq FROM scim_events WHERE tenant = ").arg(tenant).sql(" AND time >= ").arg(d.timeArg(before))
	del.sql(" ORDER BY seq LIMIT 1), (SELECT seq FROM scim_events WHERE tenant = ").arg(tenant).sql(" ORDER BY seq DESC LIMIT 1)) RETURNING seq")
	rows, err := tx.QueryContext(ctx, del.String(), del.args...)
	if err != nil {
		return 0, err
	}
	var n, newest int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return 0, err
		}
		n, newest = n+1, max(newest, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	mark := &sqlBuf{d: d}
	mark.sql("INSERT INTO scim_event_pruned (tenant, seq) VALUES (").arg(tenant).sql(", ").arg(newest)
	mark.sql(") ON CONFLICT (tenant) DO UPDATE SET seq = MAX(seq, excluded.seq)")
	if _, err := tx.ExecContext(ctx, mark.String(), mark.args...); err != nil {
		return 0, err
	}
	return n, nil
}

// appendEventFields appends to b the JSON of eventData for e without the
// snapshot: what json.Marshal writes, written directly, since it is done
// for every recording write.
func appendEventFields(b []byte, e *scim.Event) ([]byte, error) {
	b = append(b, '{')
	sep := false
	name := func(n string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"', ':')
	}
	var err error
	list := func(l []string) {
		b = append(b, '[')
		for i, v := range l {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSONString(b, v); err != nil {
				return
			}
		}
		b = append(b, ']')
	}
	if e.ExternalID != "" {
		name("externalId")
		if b, err = appendJSONString(b, e.ExternalID); err != nil {
			return nil, err
		}
	}
	if e.Version != "" {
		name("version")
		if b, err = appendJSONString(b, e.Version); err != nil {
			return nil, err
		}
	}
	if len(e.ChangedAttributes) > 0 {
		name("changedAttributes")
		if list(e.ChangedAttributes); err != nil {
			return nil, err
		}
	}
	if len(e.MemberIDs) > 0 {
		name("memberIds")
		if list(e.MemberIDs); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string: printable ASCII is copied
// (with '"' and '\\' escaped), anything else goes through json.Marshal.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			return append(b, q...), err
		}
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\', c)
		} else {
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}
