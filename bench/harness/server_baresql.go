package harness

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// bareSQLServer is the anchor of the SQL comparison (issue 15): the handler
// a competent engineer writes by hand on the same database, with no SCIM
// logic. Documents are stored as JSON (jsonb on PostgreSQL), and each
// request runs one prepared statement: GET by id and the userName filter
// are one indexed lookup (userName's lower-cased key has a unique index),
// a page is LIMIT/OFFSET over the insertion order with the total from an
// uncorrelated subquery, POST is one INSERT, PATCH of active one UPDATE …
// RETURNING the document (answered 200 with it), and a member change one
// INSERT or DELETE of a membership row, answered 204.
type bareSQLServer struct {
	f       *freshDB
	handler http.Handler
	stmts   struct {
		getUser, byUserName, page, insertUser, setActive *sql.Stmt
		insertGroup, addMember, removeMember             *sql.Stmt
	}
}

var bareSQLSchema = map[string][]string{
	DBPostgres: {
		`CREATE TABLE users (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE,
			user_name_key TEXT NOT NULL UNIQUE, doc JSONB NOT NULL)`,
		`CREATE TABLE groups (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE,
			display_name TEXT NOT NULL, doc JSONB NOT NULL)`,
		`CREATE TABLE members (group_id TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (group_id, member_id))`,
	},
	DBSQLite: {
		`CREATE TABLE users (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_name_key TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)`,
		`CREATE TABLE groups (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, doc TEXT NOT NULL)`,
		`CREATE TABLE members (group_id TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (group_id, member_id)) WITHOUT ROWID`,
	},
}

func newBareSQLServer(dialect, pgDSN, token string) (Server, error) {
	f, err := openFresh(dialect, pgDSN, sqliteDSN)
	if err != nil {
		return nil, err
	}
	s := &bareSQLServer{f: f}
	if err := s.init(); err != nil {
		f.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BasePath+"/Users/{id}", s.getUser)
	mux.HandleFunc("GET "+BasePath+"/Users", s.listUsers)
	mux.HandleFunc("POST "+BasePath+"/Users", s.postUser)
	mux.HandleFunc("PATCH "+BasePath+"/Users/{id}", s.patchUser)
	mux.HandleFunc("PATCH "+BasePath+"/Groups/{id}", s.patchGroup)
	s.handler = requireBearer(token, mux)
	return s, nil
}

func (s *bareSQLServer) init() error {
	for _, stmt := range bareSQLSchema[s.f.dialect] {
		if _, err := s.f.db.Exec(stmt); err != nil {
			return err
		}
	}
	setActive := `UPDATE users SET doc = jsonb_set(doc, '{active}', to_jsonb($1::boolean)) WHERE id = $2 RETURNING doc`
	if s.f.dialect == DBSQLite {
		setActive = `UPDATE users SET doc = json_set(doc, '$.active', json($1)) WHERE id = $2 RETURNING doc`
	}
	for _, p := range []struct {
		dst  **sql.Stmt
		stmt string
	}{
		{&s.stmts.getUser, `SELECT doc FROM users WHERE id = $1`},
		{&s.stmts.byUserName, `SELECT doc FROM users WHERE user_name_key = $1`},
		{&s.stmts.page, `SELECT (SELECT COUNT(*) FROM users), doc FROM users ORDER BY seq LIMIT $1 OFFSET $2`},
		{&s.stmts.insertUser, `INSERT INTO users (id, user_name_key, doc) VALUES ($1, $2, $3)`},
		{&s.stmts.setActive, setActive},
		{&s.stmts.insertGroup, `INSERT INTO groups (id, display_name, doc) VALUES ($1, $2, $3)`},
		{&s.stmts.addMember, `INSERT INTO members (group_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`},
		{&s.stmts.removeMember, `DELETE FROM members WHERE group_id = $1 AND member_id = $2`},
	} {
		st, err := s.f.db.Prepare(s.f.sql(p.stmt))
		if err != nil {
			return err
		}
		*p.dst = st
	}
	return nil
}

func (s *bareSQLServer) Handler() http.Handler { return s.handler }
func (s *bareSQLServer) Analyze() error        { return s.f.analyze() }
func (s *bareSQLServer) Close() error          { return s.f.Close() }

func (s *bareSQLServer) CreateUser(u *UserSpec, managerID string) (string, error) {
	d := u.doc(managerID)
	d.ID = newID()
	d.Meta = nowMeta("User", d.ID)
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	_, err = s.stmts.insertUser.Exec(d.ID, strings.ToLower(u.UserName), string(b))
	return d.ID, err
}

func (s *bareSQLServer) CreateGroup(g *GroupSpec, memberIDs []string) (string, error) {
	d := g.doc(nil)
	d.ID = newID()
	d.Meta = nowMeta("Group", d.ID)
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	if _, err := s.stmts.insertGroup.Exec(d.ID, g.DisplayName, string(b)); err != nil {
		return "", err
	}
	return d.ID, s.AddMembers(d.ID, memberIDs)
}

func (s *bareSQLServer) AddMembers(groupID string, memberIDs []string) error {
	tx, err := s.f.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	add := tx.Stmt(s.stmts.addMember)
	for _, m := range memberIDs {
		if _, err := add.Exec(groupID, m); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *bareSQLServer) getUser(w http.ResponseWriter, r *http.Request) {
	var doc []byte
	err := s.stmts.getUser.QueryRowContext(r.Context(), r.PathValue("id")).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		writeSCIMError(w, http.StatusNotFound, "not found")
		return
	}
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "database error")
		return
	}
	writeDoc(w, http.StatusOK, doc)
}

// listUsers answers the userName eq filter and plain pages.
func (s *bareSQLServer) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctx := r.Context()
	if f := q.Get("filter"); f != "" {
		name, ok := userNameEq(f)
		if !ok {
			writeSCIMError(w, http.StatusBadRequest, "only userName eq is supported")
			return
		}
		var doc []byte
		err := s.stmts.byUserName.QueryRowContext(ctx, strings.ToLower(name)).Scan(&doc)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			writeList(w, 0, 1, nil)
		case err != nil:
			writeSCIMError(w, http.StatusInternalServerError, "database error")
		default:
			writeList(w, 1, 1, [][]byte{doc})
		}
		return
	}
	start, count := 1, 100
	if v, err := strconv.Atoi(q.Get("startIndex")); err == nil && v > 1 {
		start = v
	}
	if v, err := strconv.Atoi(q.Get("count")); err == nil && v >= 0 {
		count = min(v, 1000)
	}
	docs, total, err := s.page(ctx, start, count)
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "database error")
		return
	}
	writeList(w, total, start, docs)
}

func (s *bareSQLServer) page(ctx context.Context, start, count int) ([][]byte, int, error) {
	rows, err := s.stmts.page.QueryContext(ctx, count, start-1)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		docs  [][]byte
		total int
	)
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&total, &doc); err != nil {
			return nil, 0, err
		}
		docs = append(docs, doc)
	}
	return docs, total, rows.Err()
}

// userNameEq returns x for the filter userName eq "x".
func userNameEq(f string) (string, bool) {
	attr, rest, ok := strings.Cut(strings.TrimSpace(f), " ")
	if !ok || !strings.EqualFold(attr, "userName") {
		return "", false
	}
	op, v, ok := strings.Cut(strings.TrimSpace(rest), " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return "", false
	}
	name, err := strconv.Unquote(strings.TrimSpace(v))
	return name, err == nil
}

func (s *bareSQLServer) postUser(w http.ResponseWriter, r *http.Request) {
	var doc map[string]any
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	userName, _ := doc["userName"].(string)
	if userName == "" {
		writeSCIMError(w, http.StatusBadRequest, "userName is required")
		return
	}
	id := newID()
	doc["id"] = id
	doc["meta"] = nowMeta("User", id)
	b, err := json.Marshal(doc)
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "encoding failed")
		return
	}
	if _, err := s.stmts.insertUser.ExecContext(r.Context(), id, strings.ToLower(userName), string(b)); err != nil {
		// A unique violation is the likely cause; a hand-written handler
		// would look at the driver's code.
		writeSCIMError(w, http.StatusConflict, "userName exists")
		return
	}
	w.Header().Set("Location", BasePath+"/Users/"+id)
	writeDoc(w, http.StatusCreated, b)
}

// patchUser handles replace of active, as Entra ID sends it.
func (s *bareSQLServer) patchUser(w http.ResponseWriter, r *http.Request) {
	var p patchBody
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || len(p.Operations) != 1 {
		writeSCIMError(w, http.StatusBadRequest, "invalid PatchOp")
		return
	}
	op := p.Operations[0]
	if !strings.EqualFold(op.Op, "replace") || !strings.EqualFold(op.Path, "active") {
		writeSCIMError(w, http.StatusBadRequest, "only replace active is supported")
		return
	}
	var active bool
	switch v := op.Value.(type) {
	case bool:
		active = v
	case string:
		active = strings.EqualFold(v, "true")
	}
	var doc []byte
	err := s.stmts.setActive.QueryRowContext(r.Context(), strconv.FormatBool(active), r.PathValue("id")).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		writeSCIMError(w, http.StatusNotFound, "not found")
		return
	}
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "database error")
		return
	}
	writeDoc(w, http.StatusOK, doc)
}

// patchGroup adds or removes members: one INSERT or DELETE per member,
// answered 204.
func (s *bareSQLServer) patchGroup(w http.ResponseWriter, r *http.Request) {
	var p patchBody
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid PatchOp")
		return
	}
	gid := r.PathValue("id")
	for _, op := range p.Operations {
		if !strings.EqualFold(op.Path, "members") {
			writeSCIMError(w, http.StatusBadRequest, "only members is supported")
			return
		}
		stmt := s.stmts.addMember
		if strings.EqualFold(op.Op, "remove") {
			stmt = s.stmts.removeMember
		}
		list, _ := op.Value.([]any)
		for _, m := range list {
			obj, _ := m.(map[string]any)
			id, _ := obj["value"].(string)
			if _, err := stmt.ExecContext(r.Context(), gid, id); err != nil {
				writeSCIMError(w, http.StatusInternalServerError, "database error")
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
