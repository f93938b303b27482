package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// One-statement user writes on PostgreSQL.
//
// In a transaction, each statement is a round trip, and so are BEGIN and
// COMMIT: creating a user with its multi-valued rows and its events took
// five, a PATCH of active four after the handler's read. PostgreSQL runs
// one statement atomically without them, and data-modifying WITH queries
// let that statement write several tables: the user's row, its
// multi-valued rows and its events, each CTE seeing the rows the one
// before it returned. So a create is one round trip, and a replace one
// after the handler's read. The writes keep their guarantees:
//
//   - the events, built before the statement, describe exactly the change
//     it makes: a create's are known in advance; a replace's are built
//     from the handler's read (scim.Change.Before), and the UPDATE matches
//     the row only at that read's version, so either the change and its
//     events commit together or neither does;
//   - the events' lock and cursors are taken only after the UPDATE has
//     locked and written the user's row (the cursor CTEs read its output),
//     so two writes of one user get cursors in the order of their versions,
//     as in a transaction;
//   - a replace whose multi-valued rows change deletes the rows that are
//     gone and upserts the others, with no update of a row that is the
//     same: their keys are disjoint, so the CTEs, which see one snapshot,
//     never touch one row twice.
//
// A write that falls outside (no usable read, more rows than one statement
// should carry) takes the transaction.

// pgOneStatementRows is the most multi-valued rows a one-statement write
// carries: 12 parameters a row keeps it far below PostgreSQL's 65,535.
const pgOneStatementRows = 400

// valueRowCols are the columns of a multi-valued row after its user_seq
// and tenant, in the order appendValueRows gives them.
const valueRowCols = "attr, pos, value, display, type, is_primary, formatted, street_address, locality, region, postal_code, country"

// appendValueRows appends rows as the rows of a VALUES list, typed, since
// nothing else tells PostgreSQL their types.
func appendValueRows(q *sqlBuf, rows []valueRow) {
	for i, r := range rows {
		if i > 0 {
			q.sql(", ")
		}
		q.sql("(").arg(r.attr).sql("::text, ").arg(int64(r.pos)).sql("::int")
		for j, c := range r.cols {
			q.sql(", ").arg(nullStr(c)).sql("::text")
			if j == 2 {
				q.sql(", ").arg(r.primary).sql("::boolean")
			}
		}
		q.sql(")")
	}
}

// pgCreateUser inserts the user that Create made (out: its id, meta and
// document), its multi-valued rows and its events, in one statement.
func (s *store) pgCreateUser(ctx context.Context, tenant, id string, now time.Time, u *scim.User, w *userWrite, out *scim.User, ch *scim.Change) error {
	evs := ch.Events(scim.Written{User: out})
	data, err := encodeEventRows(evs)
	if err != nil {
		return err
	}
	q := &sqlBuf{d: s.d}
	q.sql("WITH u AS (")
	appendUserInsert(q, tenant, id, now, u, w)
	q.sql(" RETURNING seq)")
	if len(w.values) > 0 {
		q.sql(", n (", valueRowCols, ") AS (VALUES ")
		appendValueRows(q, w.values)
		q.sql("), v AS (INSERT INTO scim_user_values (user_seq, tenant, ", valueRowCols, ") SELECT u.seq, ").arg(tenant).sql(", n.* FROM u, n)")
	}
	appendEventCTEs(q, tenant, evs, data, "")
	var cursors sql.NullString
	err = s.retry(ctx, func() error {
		return s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&cursors)
	})
	if err != nil {
		return conflict(err, "create user")
	}
	return s.afterOneStatement(ctx, tenant, evs, cursors.String)
}

// appendEventCTEs appends, after the CTE u of a one-statement write, the
// CTEs that insert evs once u has returned a row, and the statement's
// query: for each row of u, its cursors as a comma-separated list (” for
// no events), then the columns cols of u, if any.
func appendEventCTEs(q *sqlBuf, tenant string, evs []scim.Event, data []string, cols string) {
	if len(evs) > 0 {
		q.sql(", ")
		pgEventCursors(q, tenant, len(evs), "u")
		q.sql(", e AS (")
		pgEventInsert(q, tenant, evs, data)
		q.sql(" RETURNING seq) SELECT (SELECT string_agg(seq::text, ',' ORDER BY seq) FROM e)")
	} else {
		q.sql(" SELECT ''")
	}
	if cols != "" {
		q.sql(", ", cols)
	}
	q.sql(" FROM u")
}

// afterOneStatement gives evs the cursors of a committed one-statement
// write, and prunes in its turn (outside the write: a prune that fails
// is retried by a later one).
func (s *store) afterOneStatement(ctx context.Context, tenant string, evs []scim.Event, list string) error {
	if len(evs) == 0 {
		return nil
	}
	cursors := make([]int64, 0, len(evs))
	for c := range strings.SplitSeq(list, ",") {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return fmt.Errorf("sqlstore: event cursors %q: %w", list, err)
		}
		cursors = append(cursors, n)
	}
	if len(cursors) != len(evs) {
		return errEventRows
	}
	setCursors(evs, cursors, tenant)
	if s.pruneDue() {
		_, _ = prune(ctx, s.conn(), s.d, tenant, s.timestamp().Add(-s.retention))
	}
	return nil
}

// pgReplaceUser replaces a user, its multi-valued rows where they change,
// and records its events, in one statement. It reports false, having done
// nothing, when the write needs a transaction: events are recorded but the
// handler's read is not at ifVersion.
func (s *store) pgReplaceUser(ctx context.Context, tenant string, now time.Time, u *scim.User, w *userWrite, ifVersion string, ch *scim.Change) (*scim.User, bool, error) {
	out := new(scim.User)
	if err := decodeUser(w.doc, out); err != nil {
		return nil, true, err
	}
	out.ID = u.ID
	var (
		evs        []scim.Event
		data       []string
		before     *scim.User
		sameValues bool
	)
	if ch != nil {
		// The events are built from the handler's read, which the UPDATE
		// replaces only at its version.
		before = readAt(ch, ifVersion)
		v, ok := parseETag(ifVersion)
		if before == nil || !ok {
			return nil, false, nil
		}
		out.Meta = scim.Meta{Created: before.Meta.Created, LastModified: now, Version: etag(v + 1)}
		// A user's groups are not part of its version; the snapshot shows
		// them as read.
		out.Groups = before.Groups
		evs = ch.Events(scim.Written{User: out})
		var err error
		if data, err = encodeEventRows(evs); err != nil {
			return nil, true, err
		}
		sameValues = slices.Equal(userValueRows(before), w.values)
	}
	q := &sqlBuf{d: s.d}
	q.sql("WITH u AS (UPDATE scim_users AS r SET version = version + 1, last_modified = ").arg(now)
	q.sql(", user_name = ").arg(u.UserName).sql(", user_name_key = ").arg(fold(u.UserName))
	q.sql(", external_id = ").arg(nullStr(u.ExternalID)).sql(", display_name_key = ").arg(nullStr(fold(u.DisplayName)))
	q.sql(", active = ").arg(nullBool(u.Active)).sql(", employee_number_key = ").arg(nullStr(fold(w.enterprise)))
	q.sql(", doc = ").arg(string(w.doc)).sql(", search = ").arg(string(w.search))
	q.sql(" WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(u.ID)
	cond, ok := versionCond(q, ifVersion)
	if !ok {
		return nil, true, missingOrStale(ctx, s.conn(), s.d, "scim_users", tenant, u.ID)
	}
	q.sql(cond, " RETURNING seq, version, created, ", userGroupsSubquery(s.d), " AS groups)")
	if !sameValues {
		appendValuesRewrite(q, tenant, w.values)
	}
	appendEventCTEs(q, tenant, evs, data, "u.version, u.created, u.groups")
	var (
		cursors sql.NullString
		version int64
		created dbTime
		groups  []byte
	)
	err := s.retry(ctx, func() error {
		return s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&cursors, &version, &created, &groups)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, true, missingOrStale(ctx, s.conn(), s.d, "scim_users", tenant, u.ID)
	}
	if err != nil {
		return nil, true, conflict(err, "replace user")
	}
	if err := s.afterOneStatement(ctx, tenant, evs, cursors.String); err != nil {
		return nil, true, err
	}
	// The response shows the groups as they are now; the events' snapshot,
	// which the response reuses when it can, shows them as read.
	res := out
	fresh := &scim.User{ID: u.ID}
	if err := setGroups(fresh, groups); err != nil {
		return nil, true, err
	}
	if before == nil || !reflect.DeepEqual(before.Groups, fresh.Groups) {
		res = new(scim.User)
		*res = *out
		res.Groups = fresh.Groups
	}
	res.Meta = scim.Meta{Created: created.t, LastModified: now, Version: etag(version)}
	return res, true, nil
}

// appendValuesRewrite appends the CTEs that make the multi-valued rows of
// the user that u updated the rows given: d deletes those whose keys are
// gone, i inserts the new ones and updates those that differ.
func appendValuesRewrite(q *sqlBuf, tenant string, rows []valueRow) {
	if len(rows) == 0 {
		q.sql(", d AS (DELETE FROM scim_user_values x USING u WHERE x.user_seq = u.seq)")
		return
	}
	q.sql(", n (", valueRowCols, ") AS (VALUES ")
	appendValueRows(q, rows)
	q.sql("), d AS (DELETE FROM scim_user_values x USING u WHERE x.user_seq = u.seq",
		" AND NOT EXISTS (SELECT 1 FROM n WHERE n.attr = x.attr AND n.pos = x.pos))")
	q.sql(", i AS (INSERT INTO scim_user_values AS x (user_seq, tenant, ", valueRowCols, ") SELECT u.seq, ").arg(tenant)
	q.sql(", n.* FROM u, n ON CONFLICT (user_seq, attr, pos) DO UPDATE SET ", valueUpdates,
		" WHERE (", valueCompared("x"), ") IS DISTINCT FROM (", valueCompared("EXCLUDED"), "))")
}

// valueUpdates sets the columns of a multi-valued row from EXCLUDED.
var valueUpdates = func() string {
	var b strings.Builder
	for i, c := range strings.Split(valueRowCols, ", ")[2:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = EXCLUDED." + c)
	}
	return b.String()
}()

// valueCompared lists the value columns of the row named t.
func valueCompared(t string) string {
	cols := strings.Split(valueRowCols, ", ")[2:]
	for i, c := range cols {
		cols[i] = t + "." + c
	}
	return strings.Join(cols, ", ")
}
