package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/scimkit/scim"
)

// NewStores returns the SCIM user and group stores over the application's
// database. Accounts and teams belong to an organisation, whose id the
// authentication puts in the request's context as the SCIM tenant.
func NewStores(sqlDB *sql.DB, postgres bool) (*Users, *Groups) {
	db := &DB{DB: sqlDB, pg: postgres}
	u := &Users{table[scim.User]{DB: db, name: "accounts", cols: userColumns, query: accountsQuery, scan: scanUser}}
	g := &Groups{table[scim.Group]{DB: db, name: "teams", cols: teamColumns, query: teamsQuery, scan: scanGroup}}
	u.load, u.save, u.deleted = u.groups, u.saveRow, u.onDelete
	g.load, g.save = g.members, g.saveRow
	return u, g
}

// table is a SCIM store over a table whose rows belong to an organisation
// and have an integer id and a lock_version.
type table[R scim.Resource] struct {
	*DB
	name  string            // of the table
	query string            // SELECT … FROM the table
	cols  map[string]string // the lookups identity providers make, as conditions on indexed columns
	scan  func(row interface{ Scan(...any) error }) (*R, error)
	// load loads the membership of resources; save inserts (id 0) or
	// updates a row and returns its id; deleted, if not nil, runs before
	// a delete.
	load    func(ctx context.Context, q querier, rs []*R) error
	save    func(ctx context.Context, tx *sql.Tx, org, id int64, r *R) (int64, error)
	deleted func(ctx context.Context, tx *sql.Tx, id int64) error
}

// ids returns the organisation of the request (the tenant its
// authentication put in the context) and the row id that a SCIM id names
// (0 for ""). Ids are the tables' integer keys, so an id of any other form
// names nothing: ErrNotFound, never a database error.
func ids(ctx context.Context, id string) (org, n int64, err error) {
	if org, err = strconv.ParseInt(scim.TenantFromContext(ctx), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("no organisation in the request's context: %w", err)
	}
	if n, err = strconv.ParseInt(id, 10, 64); id != "" && (err != nil || n <= 0 || strconv.FormatInt(n, 10) != id) {
		return org, 0, fmt.Errorf("id %q: %w", id, scim.ErrNotFound)
	}
	return org, n, nil
}

func (t *table[R]) get(ctx context.Context, q querier, id string, opts scim.ReadOptions) (*R, error) {
	org, n, err := ids(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := t.scan(q.QueryRowContext(ctx, t.q(t.query+" WHERE id = ? AND org_id = ?"), n, org))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w", t.name, id, scim.ErrNotFound)
	}
	if err != nil || opts.SkipMembership {
		return r, err
	}
	return r, t.load(ctx, q, []*R{r})
}

// Get implements scim.Store.
func (t *table[R]) Get(ctx context.Context, id string, opts scim.ReadOptions) (*R, error) {
	return t.get(ctx, t.DB, id, opts)
}

// Create implements scim.Store.
func (t *table[R]) Create(ctx context.Context, r *R) (*R, error) {
	return t.write(ctx, "", r, "", true)
}

// write creates or replaces a resource.
func (t *table[R]) write(ctx context.Context, id string, r *R, ifVersion string, create bool) (stored *R, err error) {
	org, n, err := ids(ctx, id)
	if err != nil {
		return nil, err
	}
	err = t.tx(ctx, func(tx *sql.Tx) error {
		if !create {
			if err := t.lock(ctx, tx, org, n, ifVersion); err != nil {
				return err
			}
		}
		if n, err = t.save(ctx, tx, org, n, r); isUnique(err) {
			return fmt.Errorf("%w: %v", scim.ErrConflict, err)
		} else if err != nil {
			return err
		}
		stored, err = t.get(ctx, tx, strconv.FormatInt(n, 10), scim.ReadOptions{})
		return err
	})
	return stored, err
}

// Delete implements scim.Store.
func (t *table[R]) Delete(ctx context.Context, id string, ifVersion string) error {
	org, n, err := ids(ctx, id)
	if err != nil {
		return err
	}
	return t.tx(ctx, func(tx *sql.Tx) error {
		err := t.lock(ctx, tx, org, n, ifVersion)
		if err == nil && t.deleted != nil {
			err = t.deleted(ctx, tx, n)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, t.q("DELETE FROM "+t.name+" WHERE id = ?"), n)
		}
		return err
	})
}

// lock locks row id of the organisation until the transaction ends,
// checking that it exists and has version ifVersion (when not "").
func (t *table[R]) lock(ctx context.Context, tx *sql.Tx, org, id int64, ifVersion string) error {
	var v string
	err := tx.QueryRowContext(ctx, t.q("SELECT lock_version FROM "+t.name+" WHERE id = ? AND org_id = ?"+t.forUpdate()), id, org).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s %d: %w", t.name, id, scim.ErrNotFound)
	case err == nil && ifVersion != "" && ifVersion != `W/"`+v+`"`:
		return scim.ErrPreconditionFailed
	}
	return err
}

// account returns the account a member or a manager names, which must be
// one of the organisation's: a reference to anything else is refused with
// a SCIM error, 400 invalidValue. On PostgreSQL it share-locks the
// account's row until the transaction ends, so that an account deleted
// meanwhile is refused here rather than failing the insert that follows
// on its foreign key; a SQLite write transaction holds the database's
// write lock already.
func (db *DB) account(ctx context.Context, tx *sql.Tx, org int64, ref string) (int64, error) {
	_, id, err := ids(ctx, ref)
	if err == nil {
		lock := ""
		if db.pg {
			lock = " FOR SHARE"
		}
		err = tx.QueryRowContext(ctx, db.q("SELECT id FROM accounts WHERE id = ? AND org_id = ?"+lock), id, org).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, scim.ErrNotFound) {
		return 0, scim.NewError(400, scim.ScimTypeInvalidValue, fmt.Sprintf("%q is not a user of this organisation", ref))
	}
	return id, err
}

// List implements scim.Store. The equalities of the filter that t.cols
// maps to a condition (the lookups identity providers make) become one
// indexed query, which SQL pages when they are the whole filter;
// otherwise ApplyQuery filters, sorts and pages the rows they narrow down.
func (t *table[R]) List(ctx context.Context, q *scim.Query) (*scim.Page[R], error) {
	org, _, err := ids(ctx, "")
	if err != nil {
		return nil, err
	}
	where, args := " WHERE org_id = ?", []any{org}
	eqs, whole := q.Filter.Equalities()
	for _, eq := range eqs {
		cond, ok := t.cols[eq.Path]
		v := eq.Value
		if s, isString := v.(string); ok && isString && (eq.Path == "id" || eq.Path == "members.value") {
			if _, v, err = ids(ctx, s); err != nil || s == "" {
				return &scim.Page[R]{Resources: []*R{}}, nil // no row has such an id
			}
		}
		if ok {
			where, args = where+" AND "+cond, append(args, v)
		}
		whole = whole && ok
	}
	query, total := t.query+where+" ORDER BY id", 0
	if whole = whole && q.SortBy == ""; whole {
		if err := t.QueryRowContext(ctx, t.q("SELECT count(*) FROM ("+query+") m"), args...).Scan(&total); err != nil {
			return nil, err
		}
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", q.Count, q.StartIndex-1)
	}
	rows, err := t.QueryContext(ctx, t.q(query), args...)
	if err != nil {
		return nil, err
	}
	rs, err := scanAll(rows, t.scan)
	if err == nil && !q.SkipMembership { // the response or the filter needs it
		err = t.load(ctx, t.DB, rs)
	}
	if err != nil || whole {
		return &scim.Page[R]{Resources: rs, TotalResults: total}, err
	}
	return scim.ApplyQuery(rs, q), nil
}
