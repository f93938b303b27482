package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"sync"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
)

// RequestLog is a [provlog.Store] in the table scim_request_log, which
// [Migrate] creates (schema version 5): the provisioning log an
// application's admin page queries. Old records are deleted by
// [RequestLog.Prune], in small batches, each its own statement, so that
// pruning never holds a long transaction and runs while requests are
// served; [RequestLog.RunRetention] prunes periodically. It is safe for
// concurrent use, by any number of processes sharing the database.
type RequestLog struct {
	db        *sql.DB
	d         Dialect
	retention time.Duration
	batch     int
	now       func() time.Time
	// writeMu is the SQLite writer queue, shared with the stores when the
	// log comes from [UserStore.RequestLog].
	writeMu *sync.Mutex
}

// RequestLogOption configures a [RequestLog].
type RequestLogOption func(*RequestLog)

// WithRetention sets how long records are kept: [RequestLog.Prune]
// deletes older ones. The default is 30 days; a non-positive d keeps it.
func WithRetention(d time.Duration) RequestLogOption {
	return func(l *RequestLog) {
		if d > 0 {
			l.retention = d
		}
	}
}

// WithPruneBatch sets how many rows one statement of [RequestLog.Prune]
// deletes at most. The default is 1000; a non-positive n keeps it.
func WithPruneBatch(n int) RequestLogOption {
	return func(l *RequestLog) {
		if n > 0 {
			l.batch = n
		}
	}
}

// NewRequestLog returns the request log in db, whose tables [Migrate] must
// have created. On SQLite, prefer [UserStore.RequestLog], whose writes
// queue behind the stores' in this process instead of waiting on the
// database's busy timeout.
func NewRequestLog(db *sql.DB, d Dialect, opts ...RequestLogOption) *RequestLog {
	return newRequestLog(db, d, &sync.Mutex{}, opts)
}

// RequestLog returns the request log in the stores' database (see
// [NewRequestLog]), sharing their SQLite writer queue.
func (u *UserStore) RequestLog(opts ...RequestLogOption) *RequestLog {
	return newRequestLog(u.s.db, u.s.d, &u.s.writeMu, opts)
}

func newRequestLog(db *sql.DB, d Dialect, mu *sync.Mutex, opts []RequestLogOption) *RequestLog {
	l := &RequestLog{db: db, d: d, retention: 30 * 24 * time.Hour, batch: 1000, now: time.Now, writeMu: mu}
	for _, o := range opts {
		o(l)
	}
	return l
}

var _ provlog.Store = (*RequestLog)(nil)

// requestLogMigration is schema version 5: the request log. Times are Unix
// nanoseconds, so that both dialects compare and page them alike;
// target_key is the folded target_name; operations is the JSON of a bulk
// request's outcomes. The indexes serve the queries of provlog.Query:
// by tenant newest first, failures only, by target, and (time alone)
// pruning and queries across tenants.
func requestLogMigration(version int, pg bool) migration {
	text, seq := "TEXT", "INTEGER PRIMARY KEY"
	if pg {
		text, seq = `TEXT COLLATE "C"`, "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	return migration{version: version, stmts: []string{
		`CREATE TABLE scim_request_log (
	seq ` + seq + `,
	tenant ` + text + ` NOT NULL,
	time_ns BIGINT NOT NULL,
	request_id ` + text + ` NOT NULL,
	connection_id ` + text + ` NOT NULL,
	client ` + text + ` NOT NULL,
	user_agent TEXT NOT NULL,
	method ` + text + ` NOT NULL,
	path TEXT NOT NULL,
	query TEXT NOT NULL,
	action ` + text + ` NOT NULL,
	target_id ` + text + ` NOT NULL,
	target_name TEXT NOT NULL,
	target_key ` + text + ` NOT NULL,
	status INTEGER NOT NULL,
	scim_type TEXT NOT NULL,
	detail TEXT NOT NULL,
	duration_ns BIGINT NOT NULL,
	body TEXT NOT NULL,
	operations TEXT
)`,
		`CREATE INDEX scim_request_log_tenant_time ON scim_request_log (tenant, time_ns, seq)`,
		`CREATE INDEX scim_request_log_failures ON scim_request_log (tenant, time_ns, seq) WHERE status >= 400`,
		`CREATE INDEX scim_request_log_target_id ON scim_request_log (tenant, target_id, time_ns)`,
		`CREATE INDEX scim_request_log_target_key ON scim_request_log (tenant, target_key, time_ns)`,
		`CREATE INDEX scim_request_log_time ON scim_request_log (time_ns, seq)`,
	}}
}

var (
	pgRequestLogMigration     = requestLogMigration(5, true)
	sqliteRequestLogMigration = requestLogMigration(5, false)
)

const requestLogColumns = `tenant, time_ns, request_id, connection_id, client, user_agent, method, path, query, action,
target_id, target_name, target_key, status, scim_type, detail, duration_ns, body, operations`

// requestLogInsertRows is the most rows one INSERT writes (19 arguments
// each, far below both databases' limits).
const requestLogInsertRows = 100

// Write inserts recs in one transaction.
func (l *RequestLog) Write(ctx context.Context, recs []scim.RequestRecord) error {
	if len(recs) == 0 {
		return nil
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: request log: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	err = inChunks(recs, requestLogInsertRows, func(chunk []scim.RequestRecord) error {
		q := &sqlBuf{d: l.d}
		q.sql("INSERT INTO scim_request_log (", requestLogColumns, ") VALUES ")
		for i := range chunk {
			r := &chunk[i]
			var ops any
			if r.Operations != nil {
				b, err := json.Marshal(r.Operations)
				if err != nil {
					return err
				}
				ops = string(b)
			}
			if i > 0 {
				q.sql(", ")
			}
			q.sql("(").arg(r.Tenant).sql(", ").arg(r.Time.UnixNano()).sql(", ").arg(r.RequestID).sql(", ").
				arg(r.ConnectionID).sql(", ").arg(r.Client).sql(", ").arg(r.UserAgent).sql(", ").arg(r.Method).sql(", ").
				arg(r.Path).sql(", ").arg(r.Query).sql(", ").arg(r.Action).sql(", ").arg(r.TargetID).sql(", ").
				arg(r.TargetName).sql(", ").arg(fold(r.TargetName)).sql(", ").arg(r.Status).sql(", ").arg(r.ScimType).sql(", ").
				arg(r.Detail).sql(", ").arg(int64(r.Duration)).sql(", ").arg(r.Body).sql(", ").arg(ops).sql(")")
		}
		_, err := tx.ExecContext(ctx, q.String(), q.args...)
		return err
	})
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("sqlstore: request log: %w", err)
	}
	return nil
}

// Query returns the records q selects, as [provlog.Store] says, with one
// indexed statement.
func (l *RequestLog) Query(ctx context.Context, q provlog.Query) (provlog.Page, error) {
	b := &sqlBuf{d: l.d}
	b.sql("SELECT seq, ", requestLogColumns, " FROM scim_request_log WHERE 1 = 1")
	if !q.AllTenants {
		b.sql(" AND tenant = ").arg(q.Tenant)
	}
	if q.ConnectionID != "" {
		b.sql(" AND connection_id = ").arg(q.ConnectionID)
	}
	if !q.Since.IsZero() {
		b.sql(" AND time_ns >= ").arg(q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		b.sql(" AND time_ns < ").arg(q.Until.UnixNano())
	}
	if q.FailuresOnly {
		b.sql(" AND status >= 400")
	}
	if q.Action != "" {
		b.sql(" AND action = ").arg(q.Action)
	}
	if q.Target != "" {
		b.sql(" AND (target_id = ").arg(q.Target).sql(" OR target_key = ").arg(fold(q.Target)).sql(")")
	}
	if q.Cursor != "" {
		c, err := provlog.ParseCursor(q.Cursor)
		if err != nil {
			return provlog.Page{}, err
		}
		t := b.ph(c.Time)
		b.sql(" AND (time_ns < ", t, " OR (time_ns = ").arg(c.Time).sql(" AND seq < ").arg(c.Seq).sql("))")
	}
	limit := q.PageLimit()
	b.sql(fmt.Sprintf(" ORDER BY time_ns DESC, seq DESC LIMIT %d", limit+1))
	rows, err := l.db.QueryContext(ctx, b.String(), b.args...)
	if err != nil {
		return provlog.Page{}, fmt.Errorf("sqlstore: request log: %w", err)
	}
	defer rows.Close()
	var p provlog.Page
	var seqs []int64
	for rows.Next() {
		var r scim.RequestRecord
		var seq, t, dur int64
		var key string
		var ops sql.NullString
		if err := rows.Scan(&seq, &r.Tenant, &t, &r.RequestID, &r.ConnectionID, &r.Client, &r.UserAgent, &r.Method, &r.Path,
			&r.Query, &r.Action, &r.TargetID, &r.TargetName, &key, &r.Status, &r.ScimType, &r.Detail, &dur, &r.Body, &ops); err != nil {
			return provlog.Page{}, fmt.Errorf("sqlstore: request log: %w", err)
		}
		r.Time = time.Unix(0, t).UTC()
		r.Duration = time.Duration(dur)
		if ops.Valid {
			if err := json.Unmarshal([]byte(ops.String), &r.Operations); err != nil {
				return provlog.Page{}, fmt.Errorf("sqlstore: request log: record %d: %w", seq, err)
			}
		}
		p.Records = append(p.Records, r)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return provlog.Page{}, fmt.Errorf("sqlstore: request log: %w", err)
	}
	if len(p.Records) > limit {
		last := p.Records[limit-1]
		p.Next = provlog.Cursor{Time: last.Time.UnixNano(), Seq: seqs[limit-1]}.String()
		p.Records = p.Records[:limit]
	}
	return p, nil
}

// Prune deletes the records older than the retention period (see
// [WithRetention]) and returns how many it deleted. It deletes them in
// batches (see [WithPruneBatch]), each a statement of its own, so that no
// transaction stays open long and requests keep being served and logged
// meanwhile. It stops at ctx's end, returning what it deleted so far and
// ctx's error.
func (l *RequestLog) Prune(ctx context.Context) (int64, error) {
	return l.DeleteBefore(ctx, l.now().Add(-l.retention))
}

// DeleteBefore deletes the records older than t, in batches, as
// [RequestLog.Prune] does.
func (l *RequestLog) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	q := &sqlBuf{d: l.d}
	q.sql("DELETE FROM scim_request_log WHERE seq IN (SELECT seq FROM scim_request_log WHERE time_ns < ").
		arg(t.UnixNano()).sql(fmt.Sprintf(" ORDER BY time_ns LIMIT %d)", l.batch))
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := l.deleteBatch(ctx, q)
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlstore: request log: prune: %w", err)
		}
		if n < int64(l.batch) {
			return total, nil
		}
	}
}

func (l *RequestLog) deleteBatch(ctx context.Context, q *sqlBuf) (int64, error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	res, err := l.db.ExecContext(ctx, q.String(), q.args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RunRetention calls [RequestLog.Prune] now and then every interval until
// ctx ends, reporting errors to report (which may be nil). Run it in a
// goroutine of its own:
//
//	go log.RunRetention(ctx, time.Hour, func(err error) { slog.Error("request log retention", "error", err) })
func (l *RequestLog) RunRetention(ctx context.Context, interval time.Duration, report func(error)) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.Prune(ctx); err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
