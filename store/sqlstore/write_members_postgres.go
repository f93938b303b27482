package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/scimkit/scim"
)

// Member changes with events in one statement on PostgreSQL.
//
// patchMembersFast changes a group's members in one statement; with events
// on, the same statement records them, as the one-statement user writes do
// (write_postgres.go), rather than in a transaction around it (BEGIN, the
// change, the outbox INSERT, COMMIT: four round trips for one). The events
// cannot be built in Go before the statement, since they name the members
// that the statement found to add or remove, so the statement builds their
// rows itself from what its INSERT and DELETE of membership rows returned,
// as encodeEventData would: the group's externalId, its version after the
// change and the member ids. The ids and the time of the events are made in
// Go before the statement. After it commits, the Change's events, built as
// always from the members the statement returned, take those ids, that
// time and the cursors, once checked against the rows written.
//
// The events are inserted only when the change happened (its stripe
// counter was bumped), and their lock and cursors are taken after the
// statement has locked the members and the group and written every
// membership row, as in a transaction: the CTE mi aggregates all the rows
// that ins and del returned, and the lock's CTE reads it.

// memberEvents is what patchMembersFast needs to record the events of a
// member change in its statement and give them back to the Change.
type memberEvents struct {
	// ins and del are the statement's columns of the member ids added and
	// removed, as JSON arrays (NULL for none).
	ins, del string
	time     time.Time
	cands    []memberEvent
}

// memberEvent is an event the statement may record: members_added, then
// members_removed, as scim.Change builds them.
type memberEvent struct {
	typ  scim.EventType
	id   string
	idp  string // id's placeholder
	seq  sql.NullInt64
	data sql.NullString
}

// appendMemberEvents appends to the WITH list of patchMembersFast, after
// its CTE st, the CTEs that record the events of the change: mi, the ids
// that ins and del returned; x, one row if the change happened; the
// cursor CTEs; and e, the events' rows. tp and gp are the placeholders of
// the tenant and the group's id; adds and removes tell which of ins and
// del the statement has.
func appendMemberEvents(q *sqlBuf, tenant, tp, gp string, adds, removes bool) *memberEvents {
	m := &memberEvents{
		ins:  "NULL::text",
		del:  "NULL::text",
		time: time.Now().UTC().Truncate(time.Microsecond),
	}
	// Member ids are JSON strings in both the events' data and the
	// statement's result: one aggregate gives both.
	agg := func(cte string) string {
		return "(SELECT '[' || string_agg(to_json(member_id)::text, ',') || ']' FROM " + cte + ")"
	}
	added, removed := "NULL::text", "NULL::text"
	var values []string
	if adds {
		added, m.ins = agg("ins"), "(SELECT added FROM mi)"
		m.cands = append(m.cands, memberEvent{typ: scim.EventGroupMembersAdded})
		values = append(values, "mi.added")
	}
	if removes {
		removed, m.del = agg("del"), "(SELECT removed FROM mi)"
		m.cands = append(m.cands, memberEvent{typ: scim.EventGroupMembersRemoved})
		values = append(values, "mi.removed")
	}
	q.sql(", mi AS MATERIALIZED (SELECT ", added, " AS added, ", removed, " AS removed)")
	q.sql(", x AS (SELECT 1 FROM mi, st), ")
	pgEventCursors(q, tenant, len(m.cands), "x")
	// The version is the one the statement's result shows, plus one for
	// the change (a changed group is a bumped one): what patchMembersFast
	// reports.
	q.sql(", e AS (INSERT INTO scim_events (tenant, seq, id, time, type, resource_type, resource_id, data) SELECT ", tp)
	q.sql(", c.a[v.k], v.id, ").arg(m.time).sql("::timestamptz, v.type, 'Group', ", gp)
	q.sql(", '{' || CASE WHEN gv.ext <> '' THEN '\"externalId\":' || to_json(gv.ext)::text || ',' ELSE '' END")
	q.sql(" || '\"version\":' || to_json('W/\"' || gv.v || '\"')::text || ',\"memberIds\":' || v.ids || '}'")
	q.sql(" FROM l, c, mi, (SELECT r.external_id AS ext, ", pgGroupVersion, " + 1 AS v FROM scim_groups r WHERE r.tenant = ", tp, " AND r.id = ", gp, ") AS gv")
	q.sql(", LATERAL (VALUES ")
	for i := range m.cands {
		c := &m.cands[i]
		c.id = scim.NewID()
		c.idp = q.ph(c.id)
		if i > 0 {
			q.sql(", ")
		}
		// The types are constants of the scim package: no quotes inside.
		q.sql("(", strconv.Itoa(i+1), ", ", c.idp, "::text, '", string(c.typ), "', ", values[i], ")")
	}
	q.sql(") AS v(k, id, type, ids) WHERE v.ids IS NOT NULL RETURNING seq, id, data)")
	return m
}

// columns appends to the statement's SELECT list each event's cursor and
// data, NULL for an event not recorded.
func (m *memberEvents) columns(q *sqlBuf) {
	for _, c := range m.cands {
		q.sql(", (SELECT seq FROM e WHERE e.id = ", c.idp, "), (SELECT data FROM e WHERE e.id = ", c.idp, ")")
	}
}

// scanInto appends the destinations of columns' columns to dst.
func (m *memberEvents) scanInto(dst []any) []any {
	for i := range m.cands {
		dst = append(dst, &m.cands[i].seq, &m.cands[i].data)
	}
	return dst
}

var errMemberEvents = errors.New("sqlstore: the member events recorded differ from the change's (the change committed)")

// adopt gives evs, the Change's events of the committed statement, the
// ids, time and cursors of the rows the statement recorded, after checking
// that those rows are the same events.
func (m *memberEvents) adopt(evs []scim.Event, tenant string) error {
	k := 0
	for i := range m.cands {
		c := &m.cands[i]
		if !c.seq.Valid {
			continue
		}
		if k == len(evs) {
			return errMemberEvents
		}
		e := &evs[k]
		k++
		var d eventData
		if err := json.Unmarshal([]byte(c.data.String), &d); err != nil {
			return fmt.Errorf("sqlstore: event %d: %w", c.seq.Int64, err)
		}
		if e.Type != c.typ || e.ResourceType != "Group" || e.ExternalID != d.ExternalID || e.Version != d.Version ||
			!slices.Equal(e.MemberIDs, d.MemberIDs) || len(e.ChangedAttributes) > 0 || len(e.Snapshot) > 0 {
			return errMemberEvents
		}
		e.ID, e.Time, e.Cursor, e.Tenant = c.id, m.time, c.seq.Int64, tenant
	}
	if k != len(evs) {
		return errMemberEvents
	}
	return nil
}
