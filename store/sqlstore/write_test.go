package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// valueRowIDs returns the physical identities of the multi-valued rows of
// user id, which change when a row is rewritten: PostgreSQL's ctid, and on
// SQLite (whose table has no rowid) the row's value with the number of
// rows a trigger saw deleted so far.
func valueRowIDs(t *testing.T, db *sql.DB, d sqlstore.Dialect, id string) []string {
	t.Helper()
	col, ph := "v.ctid::text", "$1"
	if d == sqlstore.SQLite {
		for _, stmt := range []string{
			"CREATE TABLE IF NOT EXISTS test_value_deletes (n INTEGER)",
			"CREATE TRIGGER IF NOT EXISTS test_value_deletes AFTER DELETE ON scim_user_values BEGIN INSERT INTO test_value_deletes VALUES (1); END",
		} {
			_, err := db.Exec(stmt)
			require.NoError(t, err)
		}
		col, ph = "v.value || ' ' || (SELECT COUNT(*) FROM test_value_deletes)", "?"
	}
	rows, err := db.Query("SELECT "+col+" FROM scim_user_values v JOIN scim_users u ON u.seq = v.user_seq WHERE u.id = "+ph+" ORDER BY v.attr, v.pos", id)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// A Replace that leaves the multi-valued attributes as they were (a PATCH
// of active, as Entra ID sends) does not rewrite their rows; one that
// changes them does.
func TestReplaceWritesOnlyChangedValues(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, _ := sqlstore.New(db, d, byTenant(uniquePrefix()))
		u, err := users.Create(ctx, &scim.User{UserName: "ada", Active: new(bool),
			Emails:       []scim.MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}, {Value: "ada@home.example"}},
			PhoneNumbers: []scim.MultiValue{{Value: "+1 555 0100"}}})
		require.NoError(t, err)
		// Another user's rows come after, so rewritten rows get new ids.
		_, err = users.Create(ctx, &scim.User{UserName: "bob", Emails: []scim.MultiValue{{Value: "bob@example.com"}}})
		require.NoError(t, err)
		before := valueRowIDs(t, db, d, u.ID)
		require.Len(t, before, 3)

		for _, ifVersion := range []string{u.Meta.Version, ""} {
			u.Active = new(bool)
			*u.Active = ifVersion != ""
			next, err := users.Replace(ctx, u, ifVersion)
			require.NoError(t, err)
			assert.Equal(t, *u.Active, *next.Active)
			assert.Equal(t, before, valueRowIDs(t, db, d, u.ID), "active changed: the value rows stay (ifVersion %q)", ifVersion)
			u = next
		}

		u.Emails = u.Emails[:1]
		u, err = users.Replace(ctx, u, u.Meta.Version)
		require.NoError(t, err)
		after := valueRowIDs(t, db, d, u.ID)
		assert.Len(t, after, 2, "an email removed")
		assert.NotEqual(t, before[:2], after)
		f, err := scim.ParseUserFilter(`emails.value eq "ada@home.example"`)
		require.NoError(t, err)
		page, err := users.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 10})
		require.NoError(t, err)
		assert.Zero(t, page.TotalResults, "the removed email no longer matches")
	})
}

// memberRowIDs returns the physical identities of group gid's member rows
// (as valueRowIDs does for a user's values).
func memberRowIDs(t *testing.T, db *sql.DB, d sqlstore.Dialect, gid string) []string {
	t.Helper()
	col, ph := "m.ctid::text", "$1"
	if d == sqlstore.SQLite {
		for _, stmt := range []string{
			"CREATE TABLE IF NOT EXISTS test_member_deletes (n INTEGER)",
			"CREATE TRIGGER IF NOT EXISTS test_member_deletes AFTER DELETE ON scim_group_members BEGIN INSERT INTO test_member_deletes VALUES (1); END",
		} {
			_, err := db.Exec(stmt)
			require.NoError(t, err)
		}
		col, ph = "m.member_id || ' ' || (SELECT COUNT(*) FROM test_member_deletes)", "?"
	}
	rows, err := db.Query("SELECT "+col+" FROM scim_group_members m WHERE m.group_id = "+ph+" ORDER BY m.member_id", gid)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// A PATCH of a group that does not touch members (a rename) neither reads
// nor rewrites the member rows; the response still shows the members, and
// a PATCH that does touch them still changes them.
func TestGroupPatchKeepsMembers(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		tenant := uniquePrefix()
		users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
		h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
		ids, err := sqlstore.SeedUsers(ctx, db, d, tenant, "user%d", 300)
		require.NoError(t, err)
		g, err := groups.Create(ctx, &scim.Group{DisplayName: "big"})
		require.NoError(t, err)
		require.NoError(t, sqlstore.SeedMembers(ctx, db, d, tenant, g.ID, ids))
		before := memberRowIDs(t, db, d, g.ID)
		require.Len(t, before, 300)

		patch := func(query, ops string, status int) map[string]any {
			t.Helper()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("PATCH", "/Groups/"+g.ID+query, strings.NewReader(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`))
			h.ServeHTTP(rec, req)
			require.Equal(t, status, rec.Code, "%s", rec.Body)
			var m map[string]any
			if rec.Body.Len() > 0 {
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
			}
			return m
		}
		res := patch("", `{"op":"replace","path":"displayName","value":"renamed"}`, http.StatusOK)
		assert.Equal(t, "renamed", res["displayName"])
		assert.Len(t, res["members"], 300, "the response shows the members")
		assert.Equal(t, `W/"2"`, res["meta"].(map[string]any)["version"])
		res = patch("?excludedAttributes=members", `{"op":"replace","value":{"displayName":"again","externalId":"x"}}`, http.StatusOK)
		assert.Equal(t, "again", res["displayName"])
		assert.Nil(t, res["members"])
		assert.Equal(t, before, memberRowIDs(t, db, d, g.ID), "member rows untouched")

		patch("", `{"op":"replace","value":{"displayName":"third","members":[{"value":"`+ids[0]+`"}]}}`, http.StatusOK)
		assert.Len(t, memberRowIDs(t, db, d, g.ID), 1, "a path-less replace of members replaces them")
		stored, err := groups.Get(ctx, g.ID, scim.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, "third", stored.DisplayName)
		assert.Equal(t, "x", stored.ExternalID)
	})
}
