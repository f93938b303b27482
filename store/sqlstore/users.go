package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// UserStore is a [scim.UserStore] on a SQL database. Make one with [New].
type UserStore struct{ s *store }

var _ scim.UserStore = (*UserStore)(nil)

const userCols = "r.seq, r.id, r.version, r.created, r.last_modified, r.doc"

// userSelect returns the columns to select for users, with their groups
// as one more column when withGroups. Reading a user and its groups in one
// statement sees one snapshot and takes one round trip.
func userSelect(d Dialect, withGroups bool) string {
	if !withGroups {
		return userCols
	}
	return userCols + ", " + userGroupsSubquery(d)
}

// userGroupsSubquery is a subquery that aggregates the groups of the user
// r into a JSON array of [id, displayName] pairs (see setGroups).
func userGroupsSubquery(d Dialect) string {
	join := " JOIN scim_groups g ON g.tenant = m.tenant AND g.id = m.group_id"
	if _, ok := d.(postgres); ok {
		// A user is in few groups, each found by its key, but PostgreSQL
		// plans the plain join as a hash join over a sequential scan of
		// every group of the tenant, once per user read: 6 of a list
		// page's 9 buffer hits per user, and most of its time, with 100
		// groups, and worse with more. OFFSET 0 keeps the lateral
		// subquery from being flattened back into that join, so each
		// membership looks its group up in the (tenant, id) index.
		join = " CROSS JOIN LATERAL (SELECT g.id, g.display_name, g.seq FROM scim_groups g" +
			" WHERE g.tenant = m.tenant AND g.id = m.group_id OFFSET 0) g"
	}
	// Users' ids are made by the store, so they equal their folded keys.
	return "(SELECT " + d.jsonPairs("g.id", "g.display_name", "g.seq") + " FROM scim_group_members m" + join +
		" WHERE m.tenant = r.tenant AND m.member_key = r.id AND m.member_id = r.id)"
}

// setGroups sets u.Groups from the aggregate of userGroupsSubquery.
func setGroups(u *scim.User, groups []byte) error {
	return setGroupsText(u, string(groups))
}

// setGroupsText is setGroups on the aggregate scanned as text.
func setGroupsText(u *scim.User, groups string) error {
	// SQLite aggregates no rows to [], PostgreSQL to NULL.
	if groups == "" {
		return nil
	}
	var err error
	if u.Groups, err = decodeGroupPairs(groups, u.Groups); err != nil {
		return fmt.Errorf("sqlstore: groups of user %q: %w", u.ID, err)
	}
	return nil
}

// userRow holds the columns of one row of userSelect, so that scanning a
// row allocates them at once rather than one escaping local each.
type userRow struct {
	seq, version    int64
	id              string
	created, lastMo dbTime
	// Text, not bytes: both drivers hand text columns over as strings, so
	// scanning into a string copies nothing, and the decoder's strings are
	// substrings of it.
	doc    string
	groups sql.NullString
}

// userScanner returns a function that scans one row of userSelect.
func userScanner(withGroups bool) func(sc interface{ Scan(...any) error }) (*scim.User, error) {
	return func(sc interface{ Scan(...any) error }) (*scim.User, error) {
		r := new(userRow)
		dest := []any{&r.seq, &r.id, &r.version, &r.created, &r.lastMo, &r.doc, &r.groups}
		if !withGroups {
			dest = dest[:6]
		}
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		u := new(scim.User)
		if err := decodeUserDoc(r.doc, u); err != nil {
			return nil, fmt.Errorf("sqlstore: user %q: %w", r.id, err)
		}
		u.ID = r.id
		u.Meta = scim.Meta{Created: r.created.t, LastModified: r.lastMo.t, Version: etag(r.version)}
		if err := setGroupsText(u, r.groups.String); err != nil {
			return nil, err
		}
		return u, nil
	}
}

// userWrite holds the encoded columns of a user.
type userWrite struct {
	doc, search []byte
	values      []valueRow
	enterprise  string
}

func encodeUserWrite(u *scim.User) (*userWrite, error) {
	w := &userWrite{values: userValueRows(u)}
	var err error
	if w.doc, err = encodeUser(u); err != nil {
		return nil, err
	}
	if w.search, err = userSearch(u); err != nil {
		return nil, err
	}
	if u.Enterprise != nil {
		w.enterprise = u.Enterprise.EmployeeNumber
	}
	return w, nil
}

// Get implements [scim.Store.Get].
func (us *UserStore) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	s := us.s
	tenant := s.tenant(ctx)
	q := &sqlBuf{d: s.d}
	withGroups := !opts.SkipMembership
	q.sql("SELECT ", userSelect(s.d, withGroups), " FROM scim_users r WHERE r.tenant = ").arg(tenant).sql(" AND r.id = ").arg(id)
	u, err := userScanner(withGroups)(s.conn().QueryRowContext(ctx, q.String(), q.args...))
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("sqlstore: user %q: %w", id, scim.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Create implements [scim.Store.Create].
func (us *UserStore) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	if u == nil {
		return nil, errNilResource
	}
	s := us.s
	w, err := encodeUserWrite(u)
	if err != nil {
		return nil, err
	}
	tenant, id, now := s.tenant(ctx), newID(), s.timestamp()
	out := new(scim.User)
	if err := decodeUser(w.doc, out); err != nil {
		return nil, err
	}
	out.ID = id
	out.Meta = scim.Meta{Created: now, LastModified: now, Version: etag(1)}
	ch := s.change(ctx)
	if s.d == Postgres && len(w.values) <= pgOneStatementRows {
		if err := s.pgCreateUser(ctx, tenant, id, now, u, w, out, ch); err != nil {
			return nil, err
		}
		s.committed(ch, tenant)
		return out, nil
	}
	err = s.write(ctx, func(tx querier) error {
		q := &sqlBuf{d: s.d}
		appendUserInsert(q, tenant, id, now, u, w)
		q.sql(" RETURNING seq")
		var seq int64
		if err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&seq); err != nil {
			return conflict(err, "create user")
		}
		if err := insertValues(ctx, tx, s.d, tenant, seq, w.values); err != nil {
			return err
		}
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{User: out}))
	})
	if err != nil {
		return nil, err
	}
	s.committed(ch, tenant)
	return out, nil
}

// appendUserInsert appends the INSERT of a new user's row.
func appendUserInsert(q *sqlBuf, tenant, id string, now time.Time, u *scim.User, w *userWrite) {
	q.sql("INSERT INTO scim_users (tenant, id, version, created, last_modified, user_name, user_name_key,",
		" external_id, display_name_key, active, employee_number_key, doc, search) VALUES (")
	q.arg(tenant).sql(", ").arg(id).sql(", 1, ").arg(q.d.timeArg(now)).sql(", ").arg(q.d.timeArg(now))
	q.sql(", ").arg(u.UserName).sql(", ").arg(fold(u.UserName)).sql(", ").arg(nullStr(u.ExternalID))
	q.sql(", ").arg(nullStr(fold(u.DisplayName))).sql(", ").arg(nullBool(u.Active))
	q.sql(", ").arg(nullStr(fold(w.enterprise))).sql(", ").arg(string(w.doc)).sql(", ").arg(string(w.search))
	q.sql(")")
}

// insertValues inserts the multi-valued attribute rows of a user, many rows
// per statement.
func insertValues(ctx context.Context, tx querier, d Dialect, tenant string, seq int64, rows []valueRow) error {
	// 15 parameters a row; 60 rows stay far below every parameter limit.
	return inChunks(rows, 60, func(rows []valueRow) error {
		q := &sqlBuf{d: d}
		q.sql("INSERT INTO scim_user_values (user_seq, tenant, attr, pos, value, display, type, is_primary,",
			" formatted, street_address, locality, region, postal_code, country) VALUES ")
		for i, r := range rows {
			if i > 0 {
				q.sql(", ")
			}
			q.sql("(").arg(seq).sql(", ").arg(tenant).sql(", ").arg(r.attr).sql(", ").arg(r.pos)
			for j, c := range r.cols {
				q.sql(", ").arg(nullStr(c))
				if j == 2 {
					q.sql(", ").arg(r.primary)
				}
			}
			q.sql(")")
		}
		_, err := tx.ExecContext(ctx, q.String(), q.args...)
		return err
	})
}

// Replace implements [scim.Store.Replace].
func (us *UserStore) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	if u == nil {
		return nil, errNilResource
	}
	s := us.s
	w, err := encodeUserWrite(u)
	if err != nil {
		return nil, err
	}
	tenant, now := s.tenant(ctx), s.timestamp()
	// On PostgreSQL, a conditional UPDATE returns the old document from a
	// subquery, which sees the row as it was before the statement (and,
	// since the version matched, as the caller read it), and the user's
	// groups, in one round trip. Otherwise the old document is read first,
	// under the row's lock (SQLite: the write lock).
	oneStatement := s.d == Postgres && ifVersion != ""
	out := new(scim.User)
	ch := s.change(ctx)
	if s.d == Postgres && len(w.values) <= pgOneStatementRows {
		if out, ok, err := s.pgReplaceUser(ctx, tenant, now, u, w, ifVersion, ch); ok {
			if err != nil {
				return nil, err
			}
			s.committed(ch, tenant)
			return out, nil
		}
	}
	// The handler's read, when the UPDATE replaces exactly that version,
	// is the stored user: no need to read it again, or its groups.
	before := readAt(ch, ifVersion)
	err = s.write(ctx, func(tx querier) error {
		var (
			oldDoc []byte
			old    = before // the stored user, when known before the UPDATE
		)
		if !oneStatement && old == nil {
			sel := &sqlBuf{d: s.d}
			sel.sql("SELECT doc FROM scim_users WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(u.ID).sql(s.d.forUpdate())
			err := tx.QueryRowContext(ctx, sel.String(), sel.args...).Scan(&oldDoc)
			if err == sql.ErrNoRows {
				return fmt.Errorf("sqlstore: user %q: %w", u.ID, scim.ErrNotFound)
			}
			if err != nil {
				return err
			}
			if old = new(scim.User); decodeUser(oldDoc, old) != nil {
				old = nil
			}
		}
		q := &sqlBuf{d: s.d}
		q.sql("UPDATE scim_users AS r SET version = version + 1, last_modified = ").arg(s.d.timeArg(now))
		// Indexed columns are set only when they change: SQLite rewrites
		// the entries of every index on a column the SET names.
		if old == nil || old.UserName != u.UserName {
			q.sql(", user_name = ").arg(u.UserName).sql(", user_name_key = ").arg(fold(u.UserName))
		}
		if old == nil || old.ExternalID != u.ExternalID {
			q.sql(", external_id = ").arg(nullStr(u.ExternalID))
		}
		if old == nil || fold(old.DisplayName) != fold(u.DisplayName) {
			q.sql(", display_name_key = ").arg(nullStr(fold(u.DisplayName)))
		}
		if a, b := nullBool(u.Active), nullBool(oldActive(old)); old == nil || a != b {
			q.sql(", active = ").arg(a)
		}
		if old == nil || fold(employeeNumber(old)) != fold(w.enterprise) {
			q.sql(", employee_number_key = ").arg(nullStr(fold(w.enterprise)))
		}
		q.sql(", doc = ").arg(string(w.doc)).sql(", search = ").arg(string(w.search))
		q.sql(" WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(u.ID)
		cond, ok := versionCond(q, ifVersion)
		if !ok {
			return missingOrStale(ctx, tx, s.d, "scim_users", tenant, u.ID)
		}
		q.sql(cond, " RETURNING seq, version, created")
		var (
			seq, version int64
			created      dbTime
			groups       []byte
		)
		dest := []any{&seq, &version, &created}
		if s.d == Postgres {
			q.sql(", ", userGroupsSubquery(s.d))
			dest = append(dest, &groups)
		}
		if oneStatement {
			q.sql(", (SELECT o.doc FROM scim_users o WHERE o.seq = r.seq)")
			dest = append(dest, &oldDoc)
		}
		err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(dest...)
		if err == sql.ErrNoRows {
			return missingOrStale(ctx, tx, s.d, "scim_users", tenant, u.ID)
		}
		if err != nil {
			return conflict(err, "replace user")
		}
		// The multi-valued rows are rewritten only when they change, so
		// that a PATCH of active, say, writes one row.
		if old == nil && oldDoc != nil {
			if old = new(scim.User); decodeUser(oldDoc, old) != nil {
				old = nil
			}
		}
		if old == nil || !slices.Equal(userValueRows(old), w.values) {
			del := &sqlBuf{d: s.d}
			del.sql("DELETE FROM scim_user_values WHERE user_seq = ").arg(seq)
			if _, err := tx.ExecContext(ctx, del.String(), del.args...); err != nil {
				return err
			}
			if err := insertValues(ctx, tx, s.d, tenant, seq, w.values); err != nil {
				return err
			}
		}
		if err := decodeUser(w.doc, out); err != nil {
			return err
		}
		out.ID = u.ID
		out.Meta = scim.Meta{Created: created.t, LastModified: now, Version: etag(version)}
		if s.d == Postgres {
			if err := setGroups(out, groups); err != nil {
				return err
			}
		} else if before != nil {
			out.Groups = before.Groups
		} else if err := loadUserGroups(ctx, tx, s.d, tenant, []*scim.User{out}); err != nil {
			return err
		}
		return s.record(ctx, tx, tenant, ch.Events(scim.Written{User: out}))
	})
	if err != nil {
		return nil, err
	}
	s.committed(ch, tenant)
	return out, nil
}

// readAt returns the user that the handler read for the write ch
// describes (scim.Change.Before), if it is at version ifVersion, or nil.
func readAt(ch *scim.Change, ifVersion string) *scim.User {
	u, _ := ch.Before().(*scim.User)
	if u == nil || ifVersion == "" || u.Meta.Version != ifVersion {
		return nil
	}
	return u
}

// oldActive returns u.Active, or nil for a nil u.
func oldActive(u *scim.User) *bool {
	if u == nil {
		return nil
	}
	return u.Active
}

// employeeNumber returns the enterprise employeeNumber of u, or "".
func employeeNumber(u *scim.User) string {
	if u == nil || u.Enterprise == nil {
		return ""
	}
	return u.Enterprise.EmployeeNumber
}

// Delete implements [scim.Store.Delete]. It removes the user from every
// group in the same transaction, giving those groups a new version.
func (us *UserStore) Delete(ctx context.Context, id string, ifVersion string) error {
	s := us.s
	tenant, now := s.tenant(ctx), s.timestamp()
	ch := s.change(ctx)
	err := s.write(ctx, func(tx querier) error {
		q := &sqlBuf{d: s.d}
		q.sql("DELETE FROM scim_users WHERE tenant = ").arg(tenant).sql(" AND id = ").arg(id)
		cond, ok := versionCond(q, ifVersion)
		if !ok {
			return missingOrStale(ctx, tx, s.d, "scim_users", tenant, id)
		}
		q.sql(cond, " RETURNING seq")
		var seq int64
		err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&seq)
		if err == sql.ErrNoRows {
			return missingOrStale(ctx, tx, s.d, "scim_users", tenant, id)
		}
		if err != nil {
			return err
		}
		del := &sqlBuf{d: s.d}
		del.sql("DELETE FROM scim_user_values WHERE user_seq = ").arg(seq)
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

// removeMember removes id from the members of every group of tenant, and
// gives each group it was in a new version. With wantIDs, it returns the
// ids of those groups.
func removeMember(ctx context.Context, tx querier, d Dialect, tenant, id string, now time.Time, wantIDs bool) ([]string, error) {
	var ids []string
	sub := func(q *sqlBuf) {
		q.sql("SELECT m.group_id FROM scim_group_members m WHERE m.tenant = ").arg(tenant)
		q.sql(" AND m.member_key = ").arg(fold(id)).sql(" AND m.member_id = ").arg(id)
	}
	if lock := d.forUpdate(); lock != "" {
		// Lock the groups in id order, so that concurrent deletions of
		// members of the same groups cannot deadlock.
		q := &sqlBuf{d: d}
		q.sql("SELECT g.id FROM scim_groups g WHERE g.tenant = ").arg(tenant).sql(" AND g.id IN (")
		sub(q)
		q.sql(") ORDER BY g.id", lock)
		var err error
		if ids, err = queryStrings(ctx, tx, q, wantIDs); err != nil {
			return nil, err
		}
	} else if wantIDs {
		q := &sqlBuf{d: d}
		sub(q)
		var err error
		if ids, err = queryStrings(ctx, tx, q, true); err != nil {
			return nil, err
		}
	}
	q := &sqlBuf{d: d}
	q.sql("UPDATE scim_groups SET version = version + 1, last_modified = ").arg(d.timeArg(now))
	q.sql(" WHERE tenant = ").arg(tenant).sql(" AND id IN (")
	sub(q)
	q.sql(")")
	if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
		return nil, err
	}
	del := &sqlBuf{d: d}
	del.sql("DELETE FROM scim_group_members WHERE tenant = ").arg(tenant)
	del.sql(" AND member_key = ").arg(fold(id)).sql(" AND member_id = ").arg(id)
	_, err := tx.ExecContext(ctx, del.String(), del.args...)
	return ids, err
}

// queryStrings runs q, whose rows are one string each, and returns them if
// keep is set (otherwise it only runs q, for its locks).
func queryStrings(ctx context.Context, tx querier, q *sqlBuf, keep bool) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for keep && rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// querier is a *sql.DB or a *sql.Tx, possibly behind the statement cache.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// loadUserGroups sets the Groups of users from their direct memberships, in
// the order the groups were created.
func loadUserGroups(ctx context.Context, db querier, d Dialect, tenant string, users []*scim.User) error {
	byID := make(map[string]*scim.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	return inChunks(users, 500, func(users []*scim.User) error {
		q := &sqlBuf{d: d}
		q.sql("SELECT m.member_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g",
			" ON g.tenant = m.tenant AND g.id = m.group_id WHERE m.tenant = ").arg(tenant).sql(" AND m.member_key IN (")
		for i, u := range users {
			if i > 0 {
				q.sql(", ")
			}
			q.arg(fold(u.ID))
		}
		q.sql(") ORDER BY g.seq")
		rows, err := db.QueryContext(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var member, gid, display string
			if err := rows.Scan(&member, &gid, &display); err != nil {
				return err
			}
			if u := byID[member]; u != nil {
				u.Groups = append(u.Groups, scim.MultiValue{Value: gid, Display: display, Type: "direct"})
			}
		}
		return rows.Err()
	})
}

// List implements [scim.Store.List].
func (us *UserStore) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	s := us.s
	tenant := s.tenant(ctx)
	// Groups come with the rows when the caller wants them or the
	// evaluator needs them.
	withGroups := q == nil || !q.SkipMembership || needsMembership(q, "groups")
	return list(ctx, s, listSpec[scim.User]{
		resolver:       userResolver{d: s.d, f: queryFilter(q)},
		table:          "scim_users",
		cols:           userSelect(s.d, withGroups),
		scan:           userScanner(withGroups),
		membershipAttr: "groups",
		blocks:         true,
	}, q, tenant)
}

// userResolver resolves User attribute paths (RFC 7643 §4.1, §4.3).
type userResolver struct {
	d Dialect
	// f is the filter being translated, which resolves extension
	// attributes; nil when sorting.
	f *scim.Filter
}

func (r userResolver) singular(uri, name, sub string) (target, bool) {
	switch {
	case uri == "" || strings.EqualFold(uri, scim.UserSchema):
	case strings.EqualFold(uri, scim.EnterpriseUserSchema):
		switch {
		case name == "employeeNumber" && sub == "":
			return target{expr: "r.employee_number_key", typ: scim.TypeString, folded: true}, true
		case name == "manager" && (sub == "value" || sub == "$ref" || sub == "displayName"),
			sub == "" && (name == "costCenter" || name == "organization" || name == "division" || name == "department"):
			p := scim.EnterpriseUserSchema + ":" + name
			if sub != "" {
				p += "." + sub
			}
			return searchTarget(r.d, p, scim.TypeString, false)
		}
		return target{}, false
	default:
		return extTarget(r.d, r.f, uri, name, sub)
	}
	if sub != "" {
		switch {
		case name == "meta":
			return metaTarget(sub, "User")
		case name == "name" && nameSubs[sub]:
			return searchTarget(r.d, "name."+sub, scim.TypeString, false)
		}
		return target{}, false
	}
	switch name {
	case "id":
		return target{expr: "r.id", typ: scim.TypeString}, true
	case "externalId":
		return target{expr: "r.external_id", typ: scim.TypeString}, true
	case "userName":
		return target{expr: "r.user_name_key", typ: scim.TypeString, folded: true}, true
	case "displayName":
		return target{expr: "r.display_name_key", typ: scim.TypeString, folded: true}, true
	case "active":
		return target{expr: "r.active", typ: scim.TypeBoolean}, true
	case "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone":
		return searchTarget(r.d, name, scim.TypeString, false)
	}
	return target{}, false
}

var nameSubs = map[string]bool{"formatted": true, "familyName": true, "givenName": true,
	"middleName": true, "honorificPrefix": true, "honorificSuffix": true}

// metaTarget resolves the sub-attributes of meta that a store keeps, and
// meta.resourceType, the same for every row of a table: resourceType.
func metaTarget(sub, resourceType string) (target, bool) {
	switch sub {
	case "resourceType":
		return target{expr: "'" + resourceType + "'", typ: scim.TypeString}, true
	case "created":
		return target{expr: "r.created", typ: scim.TypeDateTime}, true
	case "lastModified":
		return target{expr: "r.last_modified", typ: scim.TypeDateTime}, true
	}
	return target{}, false
}

func (r userResolver) multi(uri, name, sub string) (target, bool) {
	if uri != "" && !strings.EqualFold(uri, scim.UserSchema) {
		return target{}, false
	}
	if name == "groups" {
		switch sub {
		case wholeAttr:
			return target{kind: kGroups}, true
		case "", "value":
			// Group ids are made by this store in lower case, so they equal
			// their folded keys.
			return target{kind: kGroups, expr: "m.group_id", typ: scim.TypeString, folded: true}, true
		case "display":
			return target{kind: kGroups, expr: "g.display_name_key", typ: scim.TypeString, folded: true}, true
		case "type":
			return target{kind: kGroups, expr: "'direct'", typ: scim.TypeString, folded: true}, true
		}
		return target{}, false
	}
	if !indexedMultiValued[name] {
		return target{}, false
	}
	if sub == wholeAttr {
		return target{kind: kValues, attr: name}, true
	}
	if sub == "" {
		if name == "addresses" {
			return target{}, false
		}
		sub = "value"
	}
	col, ok := valueColumns[sub]
	if !ok || (name == "addresses" && (sub == "value" || sub == "display")) ||
		(name != "addresses" && addressSubs[sub]) {
		return target{}, false
	}
	tg := target{kind: kValues, attr: name, expr: "v." + col, typ: scim.TypeString, folded: true}
	if sub == "primary" {
		tg.typ, tg.folded = scim.TypeBoolean, false
	}
	return tg, true
}

var addressSubs = map[string]bool{"formatted": true, "streetAddress": true, "locality": true,
	"region": true, "postalCode": true, "country": true}
