package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

// reactionsApp is the application's handler over a new organisation, with
// what it logs.
type reactionsApp struct {
	t   *testing.T
	db  *DB
	ctx context.Context // the organisation's, for the stores
	h   http.Handler
	log *bytes.Buffer
}

func newReactionsApp(t *testing.T, dsn string) *reactionsApp {
	sqlDB, postgres := openDB(t, dsn)
	org, err := newOrg(t.Context(), sqlDB, postgres, t.Name())
	require.NoError(t, err)
	var log bytes.Buffer
	h := newHandler(sqlDB, postgres, token, org, slog.New(slog.NewTextHandler(&log, nil)))
	return &reactionsApp{t: t, db: &DB{DB: sqlDB, pg: postgres}, h: h, log: &log,
		ctx: scim.ContextWithTenant(t.Context(), strconv.FormatInt(org, 10))}
}

func (a *reactionsApp) do(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	return w
}

func (a *reactionsApp) count(query string, args ...any) int {
	var n int
	require.NoError(a.t, a.db.QueryRow(a.db.q(query), args...).Scan(&n))
	return n
}

func (a *reactionsApp) session(account string) {
	_, err := a.db.Exec(a.db.q("INSERT INTO sessions (id, account_id, created_at) VALUES (?, ?, ?)"),
		"s"+strconv.FormatInt(time.Now().UnixNano(), 10), account, time.Now().UTC())
	require.NoError(a.t, err)
}

// idOf returns the id of the resource a response carries.
func idOf(t *testing.T, w *httptest.ResponseRecorder) string {
	var r struct{ ID string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &r))
	require.NotEmpty(t, r.ID)
	return r.ID
}

const deactivate = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`

// The reactions come from the handler's events, not from the stores: a
// store written to directly changes the tables and nothing else, and the
// same change through the handler gets its reaction.
func TestReactionsComeFromTheHandler(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			a := newReactionsApp(t, dsn)
			users, _ := NewStores(a.db.DB, a.db.pg)
			u, err := users.Create(a.ctx, &scim.User{UserName: "direct@example.com", Active: new(true)})
			require.NoError(t, err)
			a.session(u.ID)
			u.Active = new(false)
			_, err = users.Replace(a.ctx, u, "")
			require.NoError(t, err)
			assert.Equal(t, 1, a.count("SELECT count(*) FROM sessions WHERE account_id = ?", u.ID), "the store does not react")
			assert.Equal(t, 0, a.count("SELECT count(*) FROM audit_log WHERE account_id = ?", u.ID))

			w := a.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"idp@example.com"}`)
			require.Equal(t, 201, w.Code, w.Body.String())
			id := idOf(t, w)
			a.session(id)
			w = a.do("PATCH", "/Users/"+id, deactivate)
			require.Equal(t, 200, w.Code, w.Body.String())
			assert.Equal(t, 0, a.count("SELECT count(*) FROM sessions WHERE account_id = ?", id), "the handler's event ends the sessions")
			assert.Equal(t, 1, a.count("SELECT count(*) FROM accounts WHERE id = ? AND deactivated_at IS NOT NULL", id))
			assert.Equal(t, 1, a.count("SELECT count(*) FROM audit_log WHERE action = 'account.deactivated' AND account_id = ?", id))
			assert.Empty(t, a.log.String())
		})
	}
}

// A reaction that fails does not undo the write, which has committed: it
// is logged, and lost (at most once). The reactions of one write share a
// transaction, so none of them is half made.
func TestFailedReactionIsLoggedAndLost(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			a := newReactionsApp(t, dsn)
			w := a.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"lost@example.com"}`)
			require.Equal(t, 201, w.Code, w.Body.String())
			id := idOf(t, w)
			a.session(id)
			_, err := a.db.Exec("ALTER TABLE audit_log RENAME TO audit_log_gone")
			require.NoError(t, err)

			w = a.do("PATCH", "/Users/"+id, deactivate)
			require.Equal(t, 200, w.Code, "the identity provider is not told: %s", w.Body.String())
			assert.Equal(t, 1, a.count("SELECT count(*) FROM accounts WHERE id = ? AND NOT is_active", id), "the write stands")
			assert.Equal(t, 1, a.count("SELECT count(*) FROM sessions WHERE account_id = ?", id), "the reaction is lost whole")
			assert.Contains(t, a.log.String(), "reacting to provisioning failed")
			assert.Contains(t, a.log.String(), "user.deactivated")
		})
	}
}

// The reactions of two writes may run in the other order than the writes:
// a deactivation's reaction that comes after the reactivation's ends the
// sessions (safe in any order) but leaves the active account without a
// deactivated_at, and a reactivation's that comes late leaves it on an
// inactive one.
func TestLateReactionFollowsTheAccount(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			a := newReactionsApp(t, dsn)
			w := a.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"late@example.com"}`)
			require.Equal(t, 201, w.Code, w.Body.String())
			id := idOf(t, w)
			a.session(id)
			react := reactions(a.db, slog.New(slog.NewTextHandler(a.log, nil)))
			react(a.ctx, []scim.Event{{Type: scim.EventUserDeactivated, ResourceType: "User", ResourceID: id, Time: time.Now().UTC()}})
			assert.Equal(t, 0, a.count("SELECT count(*) FROM sessions WHERE account_id = ?", id))
			assert.Equal(t, 1, a.count("SELECT count(*) FROM accounts WHERE id = ? AND is_active AND deactivated_at IS NULL", id))

			require.Equal(t, 200, a.do("PATCH", "/Users/"+id, deactivate).Code)
			react(a.ctx, []scim.Event{{Type: scim.EventUserReactivated, ResourceType: "User", ResourceID: id, Time: time.Now().UTC()}})
			assert.Equal(t, 1, a.count("SELECT count(*) FROM accounts WHERE id = ? AND NOT is_active AND deactivated_at IS NOT NULL", id))
			assert.Equal(t, 3, a.count("SELECT count(*) FROM audit_log WHERE account_id = ?", id), "the history has every event")
			assert.Empty(t, a.log.String())
		})
	}
}
