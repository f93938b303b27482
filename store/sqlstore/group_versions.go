package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// Group versions on PostgreSQL (issue 15). An identity provider adds and
// removes the members of a large group one PATCH at a time, concurrently.
// If every such change bumped the version in the group's row, the changes
// would commit one after another behind that row's lock, each waiting for
// the previous commit's WAL flush (pgbench, 16 clients, one group: 816
// changes a second that way against 1,987 for a bare INSERT of the
// membership row).
//
// So a member change without a version condition (the fast path,
// patchMembersFast) counts itself in one of versionStripes rows of
// scim_group_versions, keyed by group and stripe, and leaves the group's
// row alone. A group's version is its row's version plus the sum of its
// stripe counters, and its lastModified the latest of its row's and its
// stripes' (pgGroupVersion, pgGroupLastModified). Every committed change
// adds exactly one to one of these numbers, so every committed state of a
// group has its own version, larger than the one before. Concurrent
// changes pick different stripes (see stripePool) and do not wait for
// each other.
//
// The fast path holds a FOR KEY SHARE lock on the group's row until it
// commits (a membership INSERT takes that lock anyway, for its foreign
// key). Every other write of a group on PostgreSQL starts with a FOR
// UPDATE lock of the row (lockGroup), which waits for the fast paths in
// flight and keeps new ones out until it commits, and only then reads the
// version, in a later statement whose snapshot sees every change it waited
// for: an If-Match condition is checked against the version that the write
// replaces, so no concurrent change is lost, and such a write bumps the
// version in the row.
//
// The version a fast path returns is the one its statement's snapshot
// saw, plus one: that of the state it produced when no other change
// committed in between, and otherwise a smaller one, which names a state
// before it (two concurrent changes may return the same version). Either
// way, an If-Match with it succeeds only if the group is still in the
// state the change produced.
//
// SQLite has one writer at a time, so it keeps the version in the row.

// versionStripes is the number of stripe counters a group can have. A
// version read sums them (a few rows of one index page).
const versionStripes = 16

// groupVersionsVersion is the schema version that adds scim_group_versions.
const groupVersionsVersion = 8

var pgGroupVersionsMigration = migration{version: groupVersionsVersion, stmts: []string{
	`CREATE TABLE scim_group_versions (
	tenant TEXT COLLATE "C" NOT NULL,
	group_id TEXT COLLATE "C" NOT NULL,
	stripe SMALLINT NOT NULL,
	n BIGINT NOT NULL,
	last_modified TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant, group_id, stripe),
	FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
)`,
}}

const (
	// pgGroupVersion is a PostgreSQL group's version, for a row r of
	// scim_groups.
	pgGroupVersion = "r.version + COALESCE((SELECT CAST(SUM(sv.n) AS BIGINT) FROM scim_group_versions sv" +
		" WHERE sv.tenant = r.tenant AND sv.group_id = r.id), 0)"
	// pgGroupLastModified is a PostgreSQL group's lastModified.
	pgGroupLastModified = "GREATEST(r.last_modified, (SELECT MAX(sv.last_modified) FROM scim_group_versions sv" +
		" WHERE sv.tenant = r.tenant AND sv.group_id = r.id))"
	pgGroupCols = "r.seq, r.id, " + pgGroupVersion + ", r.created, " + pgGroupLastModified + ", r.doc"
)

// groupColumns returns the columns that scanGroup reads, for a row r of
// scim_groups.
func groupColumns(d Dialect) string {
	if isPostgres(d) {
		return pgGroupCols
	}
	return groupCols
}

// groupVersionExpr returns a group's version, for a row r of scim_groups
// (in a SELECT, or an UPDATE or DELETE of scim_groups AS r).
func groupVersionExpr(d Dialect) string {
	if isPostgres(d) {
		return pgGroupVersion
	}
	// Unqualified: SQLite's RETURNING does not know a table's alias.
	return "version"
}

// groupLastModifiedExpr returns a group's lastModified, for a row r of
// scim_groups.
func groupLastModifiedExpr(d Dialect) string {
	if isPostgres(d) {
		return pgGroupLastModified
	}
	return "last_modified"
}

func isPostgres(d Dialect) bool {
	_, ok := d.(postgres)
	return ok
}

// groupVersionCond returns the extra WHERE condition of a conditional write
// of a group (row r), and whether ifVersion can match at all.
func groupVersionCond(q *sqlBuf, ifVersion string) (string, bool) {
	if ifVersion == "" {
		return "", true
	}
	v, ok := parseETag(ifVersion)
	if !ok {
		return "", false
	}
	return " AND " + groupVersionExpr(q.d) + " = " + q.ph(v), true
}

// lockGroup takes, on PostgreSQL, the lock that every write of a group but
// the member fast path takes first: it waits for the member changes in
// flight and keeps new ones out until tx ends. The statements after it see
// the group's current version. On SQLite the write transaction is the
// lock. A missing group is left to the statements after it.
func lockGroup(ctx context.Context, tx querier, d Dialect, tenant, id string) error {
	if !isPostgres(d) {
		return nil
	}
	q := &sqlBuf{d: d}
	q.sql("SELECT 1 FROM scim_groups WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(id).sql(" FOR UPDATE")
	_, err := tx.ExecContext(ctx, q.String(), q.args...)
	return err
}

// stripePool hands out the stripes of fast-path changes, so that this
// process's concurrent changes count in different rows (and do not wait
// for each other's commits) as long as there are no more of them than
// stripes; beyond that, stripes are shared round robin.
type stripePool struct {
	once sync.Once
	free chan int16
	next atomic.Uint32
}

// take returns a stripe and the function that gives it back.
func (p *stripePool) take() (int16, func()) {
	p.once.Do(func() {
		p.free = make(chan int16, versionStripes)
		for i := range versionStripes {
			p.free <- int16(i)
		}
	})
	select {
	case st := <-p.free:
		return st, func() { p.free <- st }
	default:
		return int16(p.next.Add(1) % versionStripes), func() {}
	}
}

// maxOneStatementMembers bounds the members a PATCH may change for
// patchMembersFast; larger changes take the transaction.
const maxOneStatementMembers = 100

// patchMembersFast is PatchMembers without a version condition on
// PostgreSQL: one statement checks the members to add (as requireMembers
// does, taking its locks first), locks the group's row FOR KEY SHARE,
// inserts and deletes the membership rows and counts the change in a
// stripe, and, with events, records them (write_members_postgres.go). It
// runs on its own, so a change is one round trip and its commit.
func (gs *GroupStore) patchMembersFast(ctx context.Context, ch *scim.Change, tenant, groupID string, add []scim.MultiValue, remove []string, now time.Time) (*scim.Group, error) {
	s := gs.s
	q := &sqlBuf{d: s.d}
	tp, gp := q.ph(tenant), q.ph(groupID)
	check := scim.MemberCheckFromContext(ctx) && len(add) > 0
	ctes := memberCTEs(q, tp, gp, add, check)
	missCol, gCond := "NULL::json", ""
	if check {
		missCol, gCond = "(SELECT json_agg(m) FROM miss)", " AND NOT EXISTS (SELECT 1 FROM miss)"
	}
	ctes = append(ctes, "g AS (SELECT 1 FROM scim_groups WHERE tenant = "+tp+" AND id = "+gp+gCond+" FOR KEY SHARE)")
	changed := []string{}
	ins, del := "NULL::json", "NULL::json"
	if len(add) > 0 {
		ctes = append(ctes, "ins AS (INSERT INTO scim_group_members (tenant, group_id, member_id, member_key, display, type, ref) SELECT "+
			tp+", "+gp+", a.m, a.k, a.d, a.t, a.r FROM a WHERE EXISTS (SELECT 1 FROM g)"+
			" ON CONFLICT (tenant, group_id, member_id) DO NOTHING RETURNING member_id)")
		changed = append(changed, "EXISTS (SELECT 1 FROM ins)")
		ins = "(SELECT json_agg(member_id) FROM ins)"
	}
	if len(remove) > 0 {
		var d strings.Builder
		d.WriteString("del AS (DELETE FROM scim_group_members WHERE tenant = " + tp + " AND group_id = " + gp + " AND member_id IN (")
		for i, id := range remove {
			if i > 0 {
				d.WriteString(", ")
			}
			d.WriteString(q.ph(id))
		}
		d.WriteString(") AND EXISTS (SELECT 1 FROM g) RETURNING member_id)")
		ctes = append(ctes, d.String())
		changed = append(changed, "EXISTS (SELECT 1 FROM del)")
		del = "(SELECT json_agg(member_id) FROM del)"
	}
	if len(changed) == 0 {
		changed = append(changed, "FALSE")
	}
	stripe, release := s.stripes.take()
	defer release()
	ctes = append(ctes, "st AS (INSERT INTO scim_group_versions AS sv (tenant, group_id, stripe, n, last_modified) SELECT "+
		tp+", "+gp+", "+q.ph(stripe)+", 1, "+q.ph(s.d.timeArg(now))+" WHERE "+strings.Join(changed, " OR ")+
		" ON CONFLICT (tenant, group_id, stripe) DO UPDATE SET n = sv.n + 1,"+
		" last_modified = GREATEST(sv.last_modified, EXCLUDED.last_modified) RETURNING 1)")
	q.sql("WITH ", strings.Join(ctes, ", "))
	var mev *memberEvents
	if ch != nil {
		mev = appendMemberEvents(q, tenant, tp, gp, len(add) > 0, len(remove) > 0)
		ins, del = mev.ins, mev.del
	}
	q.sql(" SELECT ", pgGroupCols, ", ", missCol, ", EXISTS (SELECT 1 FROM g), EXISTS (SELECT 1 FROM st), ", ins, ", ", del)
	if mev != nil {
		mev.columns(q)
	}
	q.sql(" FROM scim_groups r WHERE r.tenant = ", tp, " AND r.id = ", gp)
	var (
		g          *scim.Group
		added, gon []string
	)
	run := func(db querier) error {
		var (
			found, bumped              bool
			missJSON, insJSON, delJSON []byte
		)
		more := []any{&missJSON, &found, &bumped, &insJSON, &delJSON}
		if mev != nil {
			more = mev.scanInto(more)
		}
		var err error
		g, err = scanGroupWith(db.QueryRowContext(ctx, q.String(), q.args...), more...)
		if err == sql.ErrNoRows {
			return fmt.Errorf("sqlstore: group %q: %w", groupID, scim.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if len(missJSON) > 0 {
			return missingMember(missJSON, add)
		}
		if !found {
			// Deleted after this statement's snapshot was taken.
			return fmt.Errorf("sqlstore: group %q: %w", groupID, scim.ErrNotFound)
		}
		if bumped {
			v, _ := parseETag(g.Meta.Version)
			g.Meta.Version, g.Meta.LastModified = etag(v+1), now
		}
		if ch == nil {
			return nil
		}
		if added, err = jsonStrings(insJSON); err != nil {
			return err
		}
		if gon, err = jsonStrings(delJSON); err != nil {
			return err
		}
		return nil
	}
	if err := s.retry(ctx, func() error { return run(s.conn()) }); err != nil {
		return nil, err
	}
	if ch == nil {
		return g, nil
	}
	// Committed: the events the statement recorded are those of the
	// Change, with the statement's ids, time and cursors.
	evs := ch.Events(scim.Written{Group: g, MembersAdded: added, MembersRemoved: gon})
	err := mev.adopt(evs, tenant)
	if err == nil && len(evs) > 0 && s.pruneDue() {
		// Outside the write, as afterOneStatement: a prune that fails is
		// retried by a later one.
		_, _ = prune(ctx, s.conn(), s.d, tenant, s.timestamp().Add(-s.retention))
	}
	s.committed(ch, tenant)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// memberCTEs returns the CTEs of a statement that adds the members add:
// a, their rows, and with check, the CTEs that check them as requireMembers
// does, taking its locks, ending with miss, the values that name no user
// or group of the tenant and, if gp (the placeholder of the group's id) is
// not empty, no member the group has already. tp is the tenant's
// placeholder.
func memberCTEs(q *sqlBuf, tp, gp string, add []scim.MultiValue, check bool) []string {
	if len(add) == 0 {
		return nil
	}
	ids := make([]string, len(add)) // the placeholders of add's values
	var v strings.Builder
	v.WriteString("a (m, k, d, t, r) AS (VALUES ")
	for i, m := range add {
		if i > 0 {
			v.WriteString(", ")
		}
		ids[i] = q.ph(m.Value)
		v.WriteString("(" + ids[i] + "::text, " + q.ph(fold(m.Value)) + "::text, " + q.ph(nullStr(m.Display)) + "::text, " +
			q.ph(nullStr(m.Type)) + "::text, " + q.ph(nullStr(m.Ref)) + "::text)")
	}
	v.WriteString(")")
	ctes := []string{v.String()}
	if !check {
		return ctes
	}
	// As requireMembers: users, then groups, then the group's own
	// members; the locks on the members' rows come before the group's, as
	// in every other membership write. The group's members are looked up
	// by the values themselves, not by a join with a: a generic plan made
	// while the group looked small (no statistics yet) joined by reading
	// all its members, 45 ms a change for 100,000 of them.
	own := ""
	if gp != "" {
		own = " UNION ALL SELECT member_id FROM scim_group_members WHERE tenant = " + tp + " AND group_id = " + gp +
			" AND member_id IN (" + strings.Join(ids, ", ") + ")"
	}
	return append(ctes,
		"fu AS (SELECT id FROM scim_users WHERE tenant = "+tp+" AND id IN (SELECT m FROM a) ORDER BY id FOR KEY SHARE)",
		"fg AS (SELECT id FROM scim_groups WHERE tenant = "+tp+" AND id IN (SELECT m FROM a EXCEPT SELECT id FROM fu) ORDER BY id FOR KEY SHARE)",
		"miss AS (SELECT m FROM a WHERE m NOT IN (SELECT id FROM fu UNION ALL SELECT id FROM fg"+own+"))")
}

// missingMember returns the error of requireMembers for the first member
// of add named in missJSON, the members that patchMembersFast found
// missing.
func missingMember(missJSON []byte, add []scim.MultiValue) error {
	miss, err := jsonStrings(missJSON)
	if err != nil {
		return err
	}
	for _, m := range add {
		for _, id := range miss {
			if m.Value == id {
				return scim.MemberNotFound(id)
			}
		}
	}
	return scim.MemberNotFound(miss[0])
}

// jsonStrings decodes a JSON array of strings, or NULL.
func jsonStrings(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("sqlstore: member ids: %w", err)
	}
	return out, nil
}
