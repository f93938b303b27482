package sqlstore

import (
	"context"

	"github.com/scimkit/scim"
)

// requireMembers returns an error wrapping scim.ErrMemberNotFound, when
// ctx asks for the check (see scim.ContextWithMemberCheck), for the first
// member whose value names no user or group of the tenant and that is not
// already a member of groupID (empty for a new group).
//
// It must run in the write transaction, before the transaction locks the
// group's row, so that every writer takes its locks in one order (member
// rows, then group rows) as Delete does (the deleted row, then the groups
// it leaves). On PostgreSQL it takes a key-share lock on the rows it
// finds, which conflicts with their deletion and not with their updates:
// a concurrent Delete of one of them then either waits for this
// transaction and removes the new membership after it, or has already
// deleted the row, and this transaction finds nothing and refuses. A SQLite write
// transaction holds the database's write lock from its start (see
// SQLiteDSN), so nothing can delete a member between the check and the
// insert.
func requireMembers(ctx context.Context, tx querier, d Dialect, tenant, groupID string, members []scim.MultiValue) error {
	if !scim.MemberCheckFromContext(ctx) || len(members) == 0 {
		return nil
	}
	lock := ""
	if _, ok := d.(postgres); ok {
		lock = " FOR KEY SHARE"
	}
	found := make(map[string]bool, len(members))
	rest := members
	// Users first: most members are users, and then one query suffices.
	for _, table := range []string{"scim_users", "scim_groups"} {
		if len(rest) == 0 {
			break
		}
		err := inChunks(rest, 500, func(ms []scim.MultiValue) error {
			q := &sqlBuf{d: d}
			q.sql("SELECT id FROM ", table, " WHERE tenant = ").arg(tenant).sql(" AND id IN (")
			for i, m := range ms {
				if i > 0 {
					q.sql(", ")
				}
				q.arg(m.Value)
			}
			q.sql(") ORDER BY id", lock)
			return collectIDs(ctx, tx, q, found)
		})
		if err != nil {
			return err
		}
		var left []scim.MultiValue
		for _, m := range rest {
			if !found[m.Value] {
				left = append(left, m)
			}
		}
		rest = left
	}
	missing := rest
	if len(missing) == 0 || groupID == "" {
		if len(missing) > 0 {
			return scim.MemberNotFound(missing[0].Value)
		}
		return nil
	}
	// Members the group already has stay, whatever they name.
	have := make(map[string]bool, len(missing))
	err := inChunks(missing, 500, func(ms []scim.MultiValue) error {
		q := &sqlBuf{d: d}
		q.sql("SELECT member_id FROM scim_group_members WHERE tenant = ").arg(tenant)
		q.sql(" AND group_id = ").arg(groupID).sql(" AND member_id IN (")
		for i, m := range ms {
			if i > 0 {
				q.sql(", ")
			}
			q.arg(m.Value)
		}
		q.sql(")")
		return collectIDs(ctx, tx, q, have)
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		if !have[m.Value] {
			return scim.MemberNotFound(m.Value)
		}
	}
	return nil
}

// collectIDs runs q, whose rows have one text column, and sets each value
// in set.
func collectIDs(ctx context.Context, tx querier, q *sqlBuf, set map[string]bool) error {
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
	}
	return rows.Err()
}
