package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// pgCreateGroup inserts the group that Create made (out: its id, meta,
// document and members), its membership rows and its events, in one
// statement, as pgCreateUser does for a user: the member check
// (memberCTEs, with its locks) and, with unique names, the name check are
// CTEs of the statement, which inserts nothing when either fails, and
// then tells which. The events, known in advance, are inserted once the
// group's row is, with cursors taken after it and the members' locks.
func (gs *GroupStore) pgCreateGroup(ctx context.Context, ch *scim.Change, tenant, id string, now time.Time, g *scim.Group, w *groupWrite, unique bool, out *scim.Group) error {
	s := gs.s
	evs := ch.Events(scim.Written{Group: out})
	data, err := encodeEventRows(evs)
	if err != nil {
		return err
	}
	q := &sqlBuf{d: s.d}
	tp, idp := q.ph(tenant), q.ph(id)
	check := scim.MemberCheckFromContext(ctx) && len(w.members) > 0
	ctes := memberCTEs(q, tp, "", w.members, check)
	var conds []string
	missCol, takenCol := "NULL::json", "FALSE"
	if check {
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM miss)")
		missCol = "(SELECT json_agg(m) FROM miss)"
	}
	if unique {
		// As checkGroupName: the new group has no row yet.
		ctes = append(ctes, "taken AS (SELECT 1 FROM scim_groups WHERE tenant = "+tp+" AND display_name_key = "+q.ph(fold(g.DisplayName))+" LIMIT 1)")
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM taken)")
		takenCol = "EXISTS (SELECT 1 FROM taken)"
	}
	ts := q.ph(now) + "::timestamptz"
	ins := "u AS (INSERT INTO scim_groups (tenant, id, version, created, last_modified, display_name, display_name_key, external_id, doc, search, unique_name)" +
		" SELECT " + tp + "::text, " + idp + "::text, 1, " + ts + ", " + ts + ", " + q.ph(g.DisplayName) + "::text, " + q.ph(fold(g.DisplayName)) + "::text, " +
		q.ph(nullStr(g.ExternalID)) + "::text, " + q.ph(string(w.doc)) + "::json, " + q.ph(string(w.search)) + "::jsonb, " + q.ph(unique) + "::boolean"
	if len(conds) > 0 {
		ins += " WHERE " + strings.Join(conds, " AND ")
	}
	ctes = append(ctes, ins+" RETURNING seq)")
	if len(w.members) > 0 {
		ctes = append(ctes, "mb AS (INSERT INTO scim_group_members (tenant, group_id, member_id, member_key, display, type, ref) SELECT "+
			tp+", "+idp+", a.m, a.k, a.d, a.t, a.r FROM u, a ON CONFLICT (tenant, group_id, member_id) DO NOTHING)")
	}
	q.sql("WITH ", strings.Join(ctes, ", "))
	cursors := "''"
	if len(evs) > 0 {
		q.sql(", ")
		pgEventCursors(q, tenant, len(evs), "u")
		q.sql(", e AS (")
		pgEventInsert(q, tenant, evs, data)
		q.sql(" RETURNING seq)")
		cursors = "(SELECT string_agg(seq::text, ',' ORDER BY seq) FROM e)"
	}
	q.sql(" SELECT EXISTS (SELECT 1 FROM u), ", missCol, ", ", takenCol, ", ", cursors)
	var (
		created, taken bool
		missJSON       []byte
		list           sql.NullString
	)
	err = s.retry(ctx, func() error {
		return s.conn().QueryRowContext(ctx, q.String(), q.args...).Scan(&created, &missJSON, &taken, &list)
	})
	if err != nil {
		return conflict(err, "create group")
	}
	switch {
	case len(missJSON) > 0:
		return missingMember(missJSON, w.members)
	case taken:
		return fmt.Errorf("sqlstore: group displayName %q is taken: %w", g.DisplayName, scim.ErrConflict)
	case !created:
		return errNoGroupRow
	}
	return s.afterOneStatement(ctx, tenant, evs, list.String)
}

var errNoGroupRow = errors.New("sqlstore: the group's INSERT wrote no row")
