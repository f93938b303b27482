package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimkit/scim"
)

// The event feed, a transactional outbox: a write inserts its events into
// scim_events in its own transaction, so after any crash an event exists
// if and only if its change committed.
//
// Cursors increase in the order the changes commit wherever that order
// can be observed, and a reader that reads "cursor > last" never skips an
// event that commits late. On PostgreSQL they come from one sequence and a
// per-tenant advisory lock orders readers after the writers that hold a
// cursor (events_postgres.go), so a tenant's writers commit concurrently.
// SQLite has one writer at a time, so there the rowid of one table numbers
// the events of all tenants (events_sqlite.go). On both, a tenant's
// cursors can have gaps, and a per-tenant pruning mark tells a reader that
// events after its cursor expired.

// DefaultEventRetention is how long [New]'s stores keep events unless told
// otherwise with [WithEventRetention].
const DefaultEventRetention = 7 * 24 * time.Hour

// WithEventRetention keeps events for d; older ones are deleted as new
// ones are written, and a reader whose cursor is older gets
// [scim.ErrCursorExpired]. With d <= 0 the stores record no events at all
// (RecordsEvents reports false). The default is [DefaultEventRetention].
func WithEventRetention(d time.Duration) Option {
	return func(c *config) { c.retention = d; c.retentionSet = true }
}

// pruneEvery is how many recording writes of a process go by between two
// deletions of expired events of the writing tenant.
const pruneEvery = 256

var pgEventsMigration = migration{version: 4, stmts: []string{
	`CREATE TABLE scim_event_counters (
	tenant TEXT COLLATE "C" PRIMARY KEY,
	seq BIGINT NOT NULL
)`,
	`CREATE TABLE scim_events (
	tenant TEXT COLLATE "C" NOT NULL,
	seq BIGINT NOT NULL,
	id TEXT COLLATE "C" NOT NULL,
	time TIMESTAMPTZ NOT NULL,
	type TEXT COLLATE "C" NOT NULL,
	resource_type TEXT COLLATE "C" NOT NULL,
	resource_id TEXT COLLATE "C" NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY (tenant, seq)
)`,
	`CREATE TABLE scim_event_consumers (
	tenant TEXT COLLATE "C" NOT NULL,
	name TEXT COLLATE "C" NOT NULL,
	seq BIGINT NOT NULL,
	updated TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant, name)
)`,
}}

var sqliteEventsMigration = migration{version: 4, stmts: []string{
	`CREATE TABLE scim_events (
	tenant TEXT NOT NULL,
	seq INTEGER NOT NULL,
	id TEXT NOT NULL,
	time TEXT NOT NULL,
	type TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY (tenant, seq)
) WITHOUT ROWID`,
	`CREATE TABLE scim_event_consumers (
	tenant TEXT NOT NULL,
	name TEXT NOT NULL,
	seq INTEGER NOT NULL,
	updated TEXT NOT NULL,
	PRIMARY KEY (tenant, name)
)`,
}}

// eventState is the in-process part of the feed.
type eventState struct {
	writes atomic.Int64 // recording writes, for pruning
	mu     sync.Mutex
	wake   map[string]chan struct{} // by tenant
	pg     pgNotifier
}

// change returns the Change of a write made with ctx, or nil when the
// stores record no events.
func (s *store) change(ctx context.Context) *scim.Change {
	if s.retention <= 0 {
		return nil
	}
	return scim.ChangeFromContext(ctx)
}

// record writes evs, the events of the write that tx makes, with their
// cursors. It is the write's last statements: one statement a hundred
// events (on PostgreSQL lock, cursors and rows; on SQLite the rows).
func (s *store) record(ctx context.Context, tx querier, tenant string, evs []scim.Event) error {
	if len(evs) == 0 {
		return nil
	}
	err := inChunks(evs, 100, func(evs []scim.Event) error {
		if _, ok := s.d.(sqlite); ok {
			return s.recordSQLite(ctx, tx, tenant, evs)
		}
		rows, err := encodeEventRows(evs)
		if err != nil {
			return err
		}
		cursors, err := s.pgRecord(ctx, tx, tenant, evs, rows)
		if err != nil {
			return err
		}
		setCursors(evs, cursors, tenant)
		return nil
	})
	if err != nil {
		return err
	}
	if s.pruneDue() {
		if _, err := prune(ctx, tx, s.d, tenant, s.timestamp().Add(-s.retention)); err != nil {
			return err
		}
	}
	return nil
}

// pruneDue counts a recording write, and reports whether it is the one in
// pruneEvery that also prunes.
func (s *store) pruneDue() bool { return s.events.writes.Add(1)%pruneEvery == 0 }

// encodeEventRows returns the data column of each event (see eventData).
func encodeEventRows(evs []scim.Event) ([]string, error) {
	rows := make([]string, len(evs))
	for i := range evs {
		data, err := encodeEventData(&evs[i])
		if err != nil {
			return nil, err
		}
		rows[i] = data
	}
	return rows, nil
}

// setCursors gives evs their cursors, in order, and their tenant.
func setCursors(evs []scim.Event, cursors []int64, tenant string) {
	for i := range evs {
		evs[i].Cursor = cursors[i]
		evs[i].Tenant = tenant
	}
}

// eventData is the JSON of an event row's data column: the fields of a
// [scim.Event] that have no column of their own. The row's tenant, seq, id,
// time, type, resource_type and resource_id hold the others, once each
// (rows written before this form held them in data as well; a reader
// takes them from the columns either way). It keeps an outbox row small:
// the rows of a tenant are appended to one B-tree leaf page, which the
// commit writes whole, and smaller rows fill and split it less often.
// Every field has the same name, type and tag as Event's (a test checks
// it), so that data decodes into a scim.Event.
type eventData struct {
	ExternalID        string          `json:"externalId,omitempty"`
	Version           string          `json:"version,omitempty"`
	ChangedAttributes []string        `json:"changedAttributes,omitempty"`
	MemberIDs         []string        `json:"memberIds,omitempty"`
	Snapshot          json.RawMessage `json:"snapshot,omitempty"`
}

func encodeEventData(e *scim.Event) (string, error) {
	// What json.Marshal of eventData writes, written directly (it would
	// also validate and compact the snapshot, which the handler's encoder
	// wrote compact), since it is done for every recording write.
	b, err := appendEventFields(make([]byte, 0, 128+len(e.Snapshot)), e)
	if err != nil || len(e.Snapshot) == 0 {
		return string(b), err
	}
	b = b[:len(b)-1]
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = append(b, `"snapshot":`...)
	b = append(b, e.Snapshot...)
	return string(append(b, '}')), nil
}

// prune deletes the tenant's events recorded before before, except the
// newest, so that LastCursor never goes back. Events are found by cursor
// from the oldest up to the first that is recent enough, rather than
// through an index on time that every write would have to update; times
// follow cursors closely, as both follow commits. Each dialect also notes
// the greatest cursor it deleted, the tenant's pruning mark, from which a
// reader learns that events after its cursor expired (pgPrune,
// pruneSQLite).
func prune(ctx context.Context, tx querier, d Dialect, tenant string, before time.Time) (int64, error) {
	if _, ok := d.(sqlite); ok {
		return pruneSQLite(ctx, tx, d, tenant, before)
	}
	return pgPrune(ctx, tx, d, tenant, before)
}

func pruneDelete(del *sqlBuf, tenant string, before time.Time) {
	del.sql("DELETE FROM scim_events WHERE tenant = ").arg(tenant).sql(" AND seq < COALESCE(")
	del.sql("(SELECT seq FROM scim_events WHERE tenant = ").arg(tenant).sql(" AND time >= ").arg(del.d.timeArg(before))
	del.sql(" ORDER BY seq LIMIT 1), (SELECT MAX(seq) FROM scim_events WHERE tenant = ").arg(tenant).sql("))")
}

// committed wakes this process's readers of tenant's feed after a write
// that recorded events committed.
func (s *store) committed(ch *scim.Change, tenant string) {
	if ch != nil {
		s.wake(tenant)
		if _, ok := s.d.(postgres); ok {
			s.pgCommitted(tenant)
		}
	}
}

func (s *store) wake(tenant string) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	if c := s.events.wake[tenant]; c != nil {
		close(c)
		delete(s.events.wake, tenant)
	}
}

func (s *store) wakeAll() {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	for tenant, c := range s.events.wake {
		close(c)
		delete(s.events.wake, tenant)
	}
}

func (s *store) notify(ctx context.Context) <-chan struct{} {
	tenant := s.tenant(ctx)
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	if s.events.wake == nil {
		s.events.wake = map[string]chan struct{}{}
	}
	c := s.events.wake[tenant]
	if c == nil {
		c = make(chan struct{})
		s.events.wake[tenant] = c
	}
	return c
}

func (s *store) readEvents(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	if _, ok := s.d.(sqlite); ok {
		return s.readEventsSQLite(ctx, after, limit)
	}
	return s.pgReadEvents(ctx, s.tenant(ctx), after, limit)
}

// decodeEvent makes the event of a row of scim_events.
func decodeEvent(seq int64, tenant, id string, at time.Time, typ, rt, rid, data string) (scim.Event, error) {
	var e scim.Event
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return e, fmt.Errorf("sqlstore: event %d: %w", seq, err)
	}
	e.ID, e.Time, e.Type, e.ResourceType, e.ResourceID = id, at, scim.EventType(typ), rt, rid
	e.Cursor, e.Tenant = seq, tenant
	return e, nil
}

func expired(after int64) error {
	return fmt.Errorf("sqlstore: events after cursor %d are no longer retained: %w", after, scim.ErrCursorExpired)
}

func (s *store) lastCursor(ctx context.Context) (int64, error) {
	if _, ok := s.d.(sqlite); ok {
		return s.lastCursorSQLite(ctx)
	}
	return s.pgLastCursor(ctx, s.tenant(ctx))
}

func (s *store) loadCursor(ctx context.Context, consumer string) (int64, error) {
	q := &sqlBuf{d: s.d}
	q.sql("SELECT seq FROM scim_event_consumers WHERE tenant = ").arg(s.tenant(ctx)).sql(" AND name = ").arg(consumer)
	var c int64
	err := s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&c)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return c, err
}

func (s *store) saveCursor(ctx context.Context, consumer string, cursor int64) error {
	q := &sqlBuf{d: s.d}
	q.sql("INSERT INTO scim_event_consumers (tenant, name, seq, updated) VALUES (").arg(s.tenant(ctx))
	q.sql(", ").arg(consumer).sql(", ").arg(cursor).sql(", ").arg(s.d.timeArg(s.timestamp()))
	q.sql(") ON CONFLICT (tenant, name) DO UPDATE SET seq = excluded.seq, updated = excluded.updated")
	_, err := s.conn().ExecContext(ctx, q.String(), q.args...)
	return err
}

// PruneEvents deletes the events of the tenant of ctx recorded before
// before (from the oldest to the first recorded at or after it), and
// returns how many it deleted. Writes prune expired events as
// they go ([WithEventRetention]); this is for an application that wants
// to prune on its own schedule too.
func (us *UserStore) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	s := us.s
	if _, ok := s.d.(sqlite); ok {
		// Deleting and marking what was deleted go together.
		var n int64
		err := s.write(ctx, func(tx querier) error {
			var err error
			n, err = prune(ctx, tx, s.d, s.tenant(ctx), before.UTC())
			return err
		})
		return n, err
	}
	return prune(ctx, s.conn(), s.d, s.tenant(ctx), before.UTC())
}

// RecordsEvents reports whether the stores record events, in the write's
// transaction: true unless [WithEventRetention] was given d <= 0. It makes
// UserStore a [scim.EventRecorder].
func (us *UserStore) RecordsEvents() bool { return us.s.retention > 0 }

// RecordsEvents is UserStore.RecordsEvents.
func (gs *GroupStore) RecordsEvents() bool { return gs.s.retention > 0 }

// Events returns up to limit events of the tenant after the cursor after;
// see [scim.EventLog].
func (us *UserStore) Events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	return us.s.readEvents(ctx, after, limit)
}

// Events is UserStore.Events.
func (gs *GroupStore) Events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	return gs.s.readEvents(ctx, after, limit)
}

// LastCursor returns the cursor of the tenant's newest event; see
// [scim.EventLog].
func (us *UserStore) LastCursor(ctx context.Context) (int64, error) { return us.s.lastCursor(ctx) }

// LastCursor is UserStore.LastCursor.
func (gs *GroupStore) LastCursor(ctx context.Context) (int64, error) { return gs.s.lastCursor(ctx) }

// EventsNotify returns a channel closed when a write of this process
// commits events of the tenant; see [scim.EventNotifier]. Writes of other
// processes sharing the database close it only while [UserStore.Listen]
// runs; otherwise a consumer finds them by polling.
func (us *UserStore) EventsNotify(ctx context.Context) <-chan struct{} { return us.s.notify(ctx) }

// EventsNotify is UserStore.EventsNotify.
func (gs *GroupStore) EventsNotify(ctx context.Context) <-chan struct{} { return gs.s.notify(ctx) }

// Listen wakes this process's feed readers ([UserStore.EventsNotify]) when
// any process sharing the PostgreSQL database commits events: it LISTENs
// on conn, a connection of its own that the application opened with
// pgx.Connect (not one of the pool's), for the notifications that every
// process sends just after its recording writes commit (channel
// scim_events, payload the tenant; several writes share one). A process
// that dies between a commit and its notification wakes no one: readers
// find those events at their next poll. It returns when ctx is done or the connection fails; the
// application closes conn. A tenant's notification wakes readers of that
// partition key, so it suits stores made with the same [WithPartition].
func (us *UserStore) Listen(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN scim_events"); err != nil {
		return err
	}
	// What committed before the LISTEN took effect sent its notification
	// to no one: readers read again.
	us.s.wakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		us.s.wake(n.Payload)
	}
}

// LoadCursor returns the cursor that SaveCursor last saved for the named
// consumer in the tenant of ctx, 0 if none (table scim_event_consumers).
func (us *UserStore) LoadCursor(ctx context.Context, consumer string) (int64, error) {
	return us.s.loadCursor(ctx, consumer)
}

// LoadCursor is UserStore.LoadCursor.
func (gs *GroupStore) LoadCursor(ctx context.Context, consumer string) (int64, error) {
	return gs.s.loadCursor(ctx, consumer)
}

// SaveCursor saves the named consumer's cursor in the tenant of ctx.
func (us *UserStore) SaveCursor(ctx context.Context, consumer string, cursor int64) error {
	return us.s.saveCursor(ctx, consumer, cursor)
}

// SaveCursor is UserStore.SaveCursor.
func (gs *GroupStore) SaveCursor(ctx context.Context, consumer string, cursor int64) error {
	return gs.s.saveCursor(ctx, consumer, cursor)
}

var (
	_ scim.EventRecorder = (*UserStore)(nil)
	_ scim.EventRecorder = (*GroupStore)(nil)
	_ scim.EventLog      = (*UserStore)(nil)
	_ scim.EventLog      = (*GroupStore)(nil)
	_ scim.EventNotifier = (*UserStore)(nil)
	_ scim.EventNotifier = (*GroupStore)(nil)
)
