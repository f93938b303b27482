package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// GroupStore is a [scim.GroupStore] and a [scim.MemberPatcher] on a SQL
// database. Make one with [New].
type GroupStore struct{ s *store }

var (
	_ scim.GroupStore               = (*GroupStore)(nil)
	_ scim.MemberPatcher            = (*GroupStore)(nil)
	_ scim.MemberPreservingReplacer = (*GroupStore)(nil)
)

const groupCols = "r.seq, r.id, r.version, r.created, r.last_modified, r.doc"

func scanGroup(sc interface{ Scan(...any) error }) (*scim.Group, error) {
	return scanGroupWith(sc)
}

// scanGroupWith scans a row of groupCols followed by the columns of more.
func scanGroupWith(sc interface{ Scan(...any) error }, more ...any) (*scim.Group, error) {
	var (
		seq, version    int64
		id              string
		created, lastMo dbTime
		doc             []byte
	)
	if err := sc.Scan(append([]any{&seq, &id, &version, &created, &lastMo, &doc}, more...)...); err != nil {
		return nil, err
	}
	g := new(scim.Group)
	if err := decodeGroup(doc, g); err != nil {
		return nil, fmt.Errorf("sqlstore: group %q: %w", id, err)
	}
	g.ID = id
	g.Meta = scim.Meta{Created: created.t, LastModified: lastMo.t, Version: etag(version)}
	return g, nil
}

// Get implements [scim.Store.Get].
func (gs *GroupStore) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.Group, error) {
	s := gs.s
	tenant := s.tenant(ctx)
	q := &sqlBuf{d: s.d}
	q.sql("SELECT ", groupColumns(s.d), " FROM scim_groups r WHERE r.tenant = ").arg(tenant).sql(" AND r.id = ").arg(id)
	var g *scim.Group
	err := s.read(ctx, !opts.SkipMembership, func(db querier) error {
		var err error
		g, err = scanGroup(db.QueryRowContext(ctx, q.String(), q.args...))
		if err == sql.ErrNoRows {
			return fmt.Errorf("sqlstore: group %q: %w", id, scim.ErrNotFound)
		}
		if err != nil || opts.SkipMembership {
			return err
		}
		return loadMembers(ctx, db, s.d, tenant, []*scim.Group{g})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// uniqueMembers returns members without empty or repeated values (the
// first of each value wins), as stored.
func uniqueMembers(members []scim.MultiValue) []scim.MultiValue {
	if len(members) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(members))
	out := make([]scim.MultiValue, 0, len(members))
	for _, m := range members {
		if m.Value == "" || seen[m.Value] {
			continue
		}
		seen[m.Value] = true
		out = append(out, scim.MultiValue{Value: m.Value, Display: m.Display, Type: m.Type, Ref: m.Ref})
	}
	return out
}

// insertMembers inserts members of a group, skipping those already there,
// and returns how many it inserted; with inserted, it also appends their
// values to it.
func insertMembers(ctx context.Context, tx querier, d Dialect, tenant, groupID string, members []scim.MultiValue, inserted *[]string) (int64, error) {
	var n int64
	// 7 parameters a row.
	err := inChunks(members, 500, func(ms []scim.MultiValue) error {
		q := &sqlBuf{d: d}
		q.sql("INSERT INTO scim_group_members (tenant, group_id, member_id, member_key, display, type, ref) VALUES ")
		for i, m := range ms {
			if i > 0 {
				q.sql(", ")
			}
			q.sql("(").arg(tenant).sql(", ").arg(groupID).sql(", ").arg(m.Value).sql(", ").arg(fold(m.Value))
			q.sql(", ").arg(nullStr(m.Display)).sql(", ").arg(nullStr(m.Type)).sql(", ").arg(nullStr(m.Ref)).sql(")")
		}
		q.sql(" ON CONFLICT (tenant, group_id, member_id) DO NOTHING")
		if inserted != nil {
			q.sql(" RETURNING member_id")
			ids, err := queryStrings(ctx, tx, q, true)
			*inserted = append(*inserted, ids...)
			n += int64(len(ids))
			return err
		}
		res, err := tx.ExecContext(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		n += k
		return err
	})
	return n, err
}

// groupWrite holds the encoded columns of a group and its members, without
// repeats.
type groupWrite struct {
	doc, search []byte
	members     []scim.MultiValue
}

func encodeGroupWrite(g *scim.Group) (*groupWrite, error) {
	w := &groupWrite{members: uniqueMembers(g.Members)}
	var err error
	if w.doc, err = encodeGroup(g); err != nil {
		return nil, err
	}
	if w.search, err = groupSearch(g); err != nil {
		return nil, err
	}
	return w, nil
}

// EnforcesUniqueGroupDisplayNames reports true: with
// [scim.ContextWithUniqueGroupDisplayNames], Create and Replace refuse a
// displayName (folded as userName is) that another group of the tenant
// has, with an error wrapping scim.ErrConflict. A unique index (schema
// version 3) makes this hold for concurrent writers in any number of
// processes. A Replace that keeps the group's name is never refused, and
// groups written while the rule was not asked for (but the oldest of each
// name when version 3 was applied) are not counted by the index, though a
// write that asks for the rule also looks them up.
func (gs *GroupStore) EnforcesUniqueGroupDisplayNames() bool { return true }

// checkGroupName refuses, when unique, a displayName that a group of the
// tenant other than id has, unless the group id already has that name.
// The unique index decides races; this lookup also sees groups outside
// the index.
func checkGroupName(ctx context.Context, tx querier, d Dialect, tenant, id, name string, unique bool) error {
	if !unique {
		return nil
	}
	key := fold(name)
	q := &sqlBuf{d: d}
	q.sql("SELECT 1 FROM scim_groups WHERE tenant = ").arg(tenant).sql(" AND display_name_key = ").arg(key)
	q.sql(" AND id <> ").arg(id).sql(" AND NOT EXISTS (SELECT 1 FROM scim_groups WHERE tenant = ").arg(tenant)
	q.sql(" AND id = ").arg(id).sql(" AND display_name_key = ").arg(key).sql(") LIMIT 1")
	var one int
	switch err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&one); err {
	case sql.ErrNoRows:
		return nil
	case nil:
		return fmt.Errorf("sqlstore: group displayName %q is taken: %w", name, scim.ErrConflict)
	default:
		return err
	}
}

// Create implements [scim.Store.Create].
func (gs *GroupStore) Create(ctx context.Context, g *scim.Group) (*scim.Group, error) {
	if g == nil {
		return nil, errNilResource
	}
	s := gs.s
	w, err := encodeGroupWrite(g)
	if err != nil {
		return nil, err
	}
	doc, search, members := w.doc, w.search, w.members
	tenant, id, now := s.tenant(ctx), newID(), s.timestamp()
	unique := scim.UniqueGroupDisplayNamesFromContext(ctx)
	out := new(scim.Group)
	if err := decodeGroup(doc, out); err != nil {
		return nil, err
	}
	out.ID, out.Members = id, members
	out.Meta = scim.Meta{Created: now, LastModified: now, Version: etag(1)}
	ch := s.change(ctx)
	if isPostgres(s.d) && len(members) <= maxOneStatementMembers {
		if err := gs.pgCreateGroup(ctx, ch, tenant, id, now, g, w, unique, out); err != nil {
			return nil, err
		}
		s.committed(ch, tenant)
		return out, nil
	}
	err = s.write(ctx, func(tx querier) error {
		if err := requireMembers(ctx, tx, s.d, tenant, "", members); err != nil {
			return err
		}
		q := &sqlBuf{d: s.d}
		if err := checkGroupName(ctx, tx, s.d, tenant, id, g.DisplayName, unique); err != nil {
			return err
		}
		q.sql("INSERT INTO scim_groups (tenant, id, version, created, last_modified, display_name, display_name_key,",
			" external_id, doc, search, unique_name) VALUES (")
		q.arg(tenant).sql(", ").arg(id).sql(", 1, ").arg(s.d.timeArg(now)).sql(", ").arg(s.d.timeArg(now))
		q.sql(", ").arg(g.DisplayName).sql(", ").arg(fold(g.DisplayName)).sql(", ").arg(nullStr(g.ExternalID))
		q.sql(", ").arg(string(doc)).sql(", ").arg(string(search)).sql(", ").arg(unique).sql(")")
		if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
			return conflict(err, "create group")
		}
		if _, err := insertMembers(ctx, tx, s.d, tenant, id, members, nil); err != nil {
			return err
		}
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{Group: out}))
	})
	if err != nil {
		return nil, err
	}
	s.committed(ch, tenant)
	return out, nil
}

// Replace implements [scim.Store.Replace]. The members become exactly
// g.Members, in their order.
func (gs *GroupStore) Replace(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return gs.replace(ctx, g, ifVersion, false)
}

// ReplaceKeepingMembers implements [scim.MemberPreservingReplacer]: one
// UPDATE of the group's row, whatever the number of its members, which it
// returns as nil.
func (gs *GroupStore) ReplaceKeepingMembers(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return gs.replace(ctx, g, ifVersion, true)
}

func (gs *GroupStore) replace(ctx context.Context, g *scim.Group, ifVersion string, keepMembers bool) (*scim.Group, error) {
	if g == nil {
		return nil, errNilResource
	}
	s := gs.s
	w, err := encodeGroupWrite(g)
	if err != nil {
		return nil, err
	}
	doc, search, members := w.doc, w.search, w.members
	tenant, now := s.tenant(ctx), s.timestamp()
	unique := scim.UniqueGroupDisplayNamesFromContext(ctx)
	out := new(scim.Group)
	ch := s.change(ctx)
	err = s.write(ctx, func(tx querier) error {
		if err := checkGroupName(ctx, tx, s.d, tenant, g.ID, g.DisplayName, unique); err != nil {
			return err
		}
		if err := requireMembers(ctx, tx, s.d, tenant, g.ID, members); err != nil {
			return err
		}
		if err := lockGroup(ctx, tx, s.d, tenant, g.ID); err != nil {
			return err
		}
		q := &sqlBuf{d: s.d}
		q.sql("UPDATE scim_groups AS r SET version = version + 1, last_modified = ").arg(s.d.timeArg(now))
		// A group that keeps its name keeps its place in the rule (see
		// groupNamesMigration); a renamed one takes the request's.
		q.sql(", unique_name = CASE WHEN display_name_key = ").arg(fold(g.DisplayName)).sql(" THEN unique_name ELSE ").arg(unique).sql(" END")
		q.sql(", display_name = ").arg(g.DisplayName).sql(", display_name_key = ").arg(fold(g.DisplayName))
		q.sql(", external_id = ").arg(nullStr(g.ExternalID)).sql(", doc = ").arg(string(doc))
		q.sql(", search = ").arg(string(search)).sql(" WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(g.ID)
		cond, ok := groupVersionCond(q, ifVersion)
		if !ok {
			return missingOrStale(ctx, tx, s.d, "scim_groups", tenant, g.ID)
		}
		q.sql(cond, " RETURNING ", groupVersionExpr(s.d), ", created, ", groupLastModifiedExpr(s.d))
		var (
			version         int64
			created, lastMo dbTime
		)
		err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&version, &created, &lastMo)
		if err == sql.ErrNoRows {
			return missingOrStale(ctx, tx, s.d, "scim_groups", tenant, g.ID)
		}
		if err != nil {
			return conflict(err, "replace group")
		}
		if keepMembers {
			if err := decodeInto(doc, out, g.ID, created.t, lastMo.t, version); err != nil {
				return err
			}
			return s.record(ctx, tx, tenant, ch.Events(scim.Written{Group: out}))
		}
		del := &sqlBuf{d: s.d}
		del.sql("DELETE FROM scim_group_members WHERE tenant = ").arg(tenant).sql(" AND group_id = ").arg(g.ID)
		if _, err := tx.ExecContext(ctx, del.String(), del.args...); err != nil {
			return err
		}
		if _, err := insertMembers(ctx, tx, s.d, tenant, g.ID, members, nil); err != nil {
			return err
		}
		if err := decodeInto(doc, out, g.ID, created.t, lastMo.t, version); err != nil {
			return err
		}
		out.Members = members
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{Group: out}))
	})
	if err != nil {
		return nil, err
	}
	s.committed(ch, tenant)
	return out, nil
}

// decodeInto decodes a group's document into out and sets its id and meta.
func decodeInto(doc []byte, out *scim.Group, id string, created, lastModified time.Time, version int64) error {
	if err := decodeGroup(doc, out); err != nil {
		return err
	}
	out.ID = id
	out.Meta = scim.Meta{Created: created, LastModified: lastModified, Version: etag(version)}
	return nil
}

// Delete implements [scim.Store.Delete]. A group that is itself a member of
// other groups is removed from them too.
func (gs *GroupStore) Delete(ctx context.Context, id string, ifVersion string) error {
	s := gs.s
	tenant, now := s.tenant(ctx), s.timestamp()
	ch := s.change(ctx)
	err := s.write(ctx, func(tx querier) error {
		if ifVersion != "" {
			if err := lockGroup(ctx, tx, s.d, tenant, id); err != nil {
				return err
			}
		}
		q := &sqlBuf{d: s.d}
		q.sql("DELETE FROM scim_groups AS r WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(id)
		cond, ok := groupVersionCond(q, ifVersion)
		if !ok {
			return missingOrStale(ctx, tx, s.d, "scim_groups", tenant, id)
		}
		q.sql(cond)
		res, err := tx.ExecContext(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return missingOrStale(ctx, tx, s.d, "scim_groups", tenant, id)
		}
		del := &sqlBuf{d: s.d}
		del.sql("DELETE FROM scim_group_members WHERE tenant = ").arg(tenant).sql(" AND group_id = ").arg(id)
		if _, err := tx.ExecContext(ctx, del.String(), del.args...); err != nil {
			return err
		}
		former, err := removeMember(ctx, tx, s.d, tenant, id, now, ch != nil)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{FormerGroups: former}))
	})
	if err == nil {
		s.committed(ch, tenant)
	}
	return err
}

// PatchMembers implements [scim.MemberPatcher]: it inserts and deletes
// only the membership rows that change, and gives the group a new version
// only if a row changed. On PostgreSQL, a change of at most
// maxOneStatementMembers members without a version condition is one
// statement that does not lock out concurrent changes of the group (see
// patchMembersFast); other changes lock the group's row.
func (gs *GroupStore) PatchMembers(ctx context.Context, groupID string, add []scim.MultiValue, remove []string, ifVersion string) (*scim.Group, error) {
	s := gs.s
	tenant, now := s.tenant(ctx), s.timestamp()
	add = uniqueMembers(add)
	ch := s.change(ctx)
	if isPostgres(s.d) && ifVersion == "" && len(add)+len(remove) <= maxOneStatementMembers {
		return gs.patchMembersFast(ctx, ch, tenant, groupID, add, remove, now)
	}
	var out *scim.Group
	err := s.write(ctx, func(tx querier) error {
		if err := requireMembers(ctx, tx, s.d, tenant, groupID, add); err != nil {
			return err
		}
		if err := lockGroup(ctx, tx, s.d, tenant, groupID); err != nil {
			return err
		}
		q := &sqlBuf{d: s.d}
		q.sql("SELECT ", groupColumns(s.d), " FROM scim_groups r WHERE r.tenant = ").arg(tenant)
		q.sql(" AND r.id = ").arg(groupID)
		g, err := scanGroup(tx.QueryRowContext(ctx, q.String(), q.args...))
		if err == sql.ErrNoRows {
			return fmt.Errorf("sqlstore: group %q: %w", groupID, scim.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if ifVersion != "" && ifVersion != g.Meta.Version {
			return fmt.Errorf("sqlstore: group %q: %w", groupID, scim.ErrPreconditionFailed)
		}
		var added, removed []string
		var addedTo *[]string
		if ch != nil {
			addedTo = &added
		}
		changed, err := insertMembers(ctx, tx, s.d, tenant, groupID, add, addedTo)
		if err != nil {
			return err
		}
		err = inChunks(remove, 500, func(ids []string) error {
			del := &sqlBuf{d: s.d}
			del.sql("DELETE FROM scim_group_members WHERE tenant = ").arg(tenant).sql(" AND group_id = ").arg(groupID)
			del.sql(" AND member_id IN (")
			for i, id := range ids {
				if i > 0 {
					del.sql(", ")
				}
				del.arg(id)
			}
			del.sql(")")
			if ch != nil {
				del.sql(" RETURNING member_id")
				gone, err := queryStrings(ctx, tx, del, true)
				removed = append(removed, gone...)
				changed += int64(len(gone))
				return err
			}
			res, err := tx.ExecContext(ctx, del.String(), del.args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			changed += n
			return err
		})
		if err != nil {
			return err
		}
		if changed > 0 {
			up := &sqlBuf{d: s.d}
			up.sql("UPDATE scim_groups AS r SET version = version + 1, last_modified = ").arg(s.d.timeArg(now))
			up.sql(" WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(groupID)
			up.sql(" RETURNING ", groupVersionExpr(s.d), ", ", groupLastModifiedExpr(s.d))
			var (
				version int64
				lastMo  dbTime
			)
			if err := tx.QueryRowContext(ctx, up.String(), up.args...).Scan(&version, &lastMo); err != nil {
				return err
			}
			g.Meta.LastModified, g.Meta.Version = lastMo.t, etag(version)
		}
		out = g
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{Group: g, MembersAdded: added, MembersRemoved: removed}))
	})
	if err != nil {
		return nil, err
	}
	s.committed(ch, tenant)
	return out, nil
}

// loadMembers sets the Members of groups, in the order they were added.
func loadMembers(ctx context.Context, db querier, d Dialect, tenant string, groups []*scim.Group) error {
	byID := make(map[string]*scim.Group, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	return inChunks(groups, 500, func(groups []*scim.Group) error {
		q := &sqlBuf{d: d}
		q.sql("SELECT group_id, member_id, display, type, ref FROM scim_group_members WHERE tenant = ").arg(tenant)
		q.sql(" AND group_id IN (")
		for i, g := range groups {
			if i > 0 {
				q.sql(", ")
			}
			q.arg(g.ID)
		}
		q.sql(") ORDER BY ", d.memberOrder())
		rows, err := db.QueryContext(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				gid, member       string
				display, typ, ref sql.NullString
			)
			if err := rows.Scan(&gid, &member, &display, &typ, &ref); err != nil {
				return err
			}
			if g := byID[gid]; g != nil {
				g.Members = append(g.Members, scim.MultiValue{Value: member, Display: display.String,
					Type: typ.String, Ref: ref.String})
			}
		}
		return rows.Err()
	})
}

// List implements [scim.Store.List].
func (gs *GroupStore) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	s := gs.s
	tenant := s.tenant(ctx)
	return list(ctx, s, listSpec[scim.Group]{
		resolver: groupResolver{d: s.d, f: queryFilter(q)},
		table:    "scim_groups",
		cols:     groupColumns(s.d),
		scan:     scanGroup,
		membership: func(db querier, groups []*scim.Group) error {
			return loadMembers(ctx, db, s.d, tenant, groups)
		},
		membershipAttr: "members",
	}, q, tenant)
}

// groupResolver resolves Group attribute paths (RFC 7643 §4.2).
type groupResolver struct {
	d Dialect
	// f is the filter being translated, which resolves extension
	// attributes; nil when sorting.
	f *scim.Filter
}

func (r groupResolver) singular(uri, name, sub string) (target, bool) {
	if uri != "" && !strings.EqualFold(uri, scim.GroupSchema) {
		return extTarget(r.d, r.f, uri, name, sub)
	}
	switch {
	case name == "meta" && sub == "lastModified" && isPostgres(r.d):
		return target{expr: pgGroupLastModified, typ: scim.TypeDateTime}, true
	case name == "meta":
		return metaTarget(sub, "Group")
	case sub != "":
		return target{}, false
	case name == "id":
		return target{expr: "r.id", typ: scim.TypeString}, true
	case name == "externalId":
		return target{expr: "r.external_id", typ: scim.TypeString}, true
	case name == "displayName":
		return target{expr: "r.display_name_key", typ: scim.TypeString, folded: true}, true
	}
	return target{}, false
}

func (r groupResolver) multi(uri, name, sub string) (target, bool) {
	if (uri != "" && !strings.EqualFold(uri, scim.GroupSchema)) || name != "members" {
		return target{}, false
	}
	switch sub {
	case wholeAttr:
		return target{kind: kMembers}, true
	case "", "value":
		return target{kind: kMembers, expr: "m.member_key", typ: scim.TypeString, folded: true}, true
	}
	return target{}, false
}
