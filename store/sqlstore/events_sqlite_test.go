package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// oldSQLiteEvents turns a migrated SQLite database back into schema
// version 8, whose outbox is keyed by (tenant, seq), and fills it with the
// events of tenants (name → its cursors left after pruning) and the saved
// cursors of consumers (tenant → name → cursor).
func oldSQLiteEvents(t *testing.T, db *sql.DB, tenants map[string][]int64, consumers map[string]map[string]int64) {
	ctx := context.Background()
	for _, s := range []string{
		`DROP TABLE scim_events`, `DROP TABLE scim_event_pruned`,
		`DELETE FROM scim_schema_migrations WHERE version = 9`,
		`CREATE TABLE scim_events (
	tenant TEXT NOT NULL,
	seq INTEGER NOT NULL,
	id TEXT NOT NULL,
	time TEXT NOT NULL,
	type TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY (tenant, seq)
) WITHOUT ROWID`,
	} {
		_, err := db.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	for tenant, seqs := range tenants {
		for _, seq := range seqs {
			// The older row form: the snapshot inside data.
			_, err := db.ExecContext(ctx, `INSERT INTO scim_events (tenant, seq, id, time, type, resource_type, resource_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				tenant, seq, fmt.Sprintf("%s-%d", tenant, seq), time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
				string(scim.EventUserUpdated), "User", "u1", fmt.Sprintf(`{"version":"W/\"%d\"","snapshot":{"id":"u1"}}`, seq))
			require.NoError(t, err)
		}
	}
	for tenant, cs := range consumers {
		for name, c := range cs {
			_, err := db.ExecContext(ctx, `INSERT INTO scim_event_consumers (tenant, name, seq, updated) VALUES (?, ?, ?, '2026-01-01T00:00:00.000000Z')`, tenant, name, c)
			require.NoError(t, err)
		}
	}
}

// eventIDs returns the ids of the tenant's events after the consumer's
// saved cursor.
func eventIDs(t *testing.T, users *sqlstore.UserStore, consumer string) ([]string, error) {
	ctx := context.Background()
	after, err := users.LoadCursor(ctx, consumer)
	require.NoError(t, err)
	evs, err := users.Events(ctx, after, 100)
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
		assert.JSONEq(t, `{"id":"u1"}`, string(e.Snapshot), "the snapshot of an old row")
	}
	return ids, err
}

// Schema version 9 renumbers the SQLite outbox's events with one sequence:
// each tenant's events stay in order, the consumers' saved cursors follow
// them (one that had missed pruned events stays expired), and a database
// of one tenant keeps its cursors.
func TestSQLiteEventLogMigration(t *testing.T) {
	ctx := context.Background()
	t.Run("tenants", func(t *testing.T) {
		db := sqliteDB(t)
		oldSQLiteEvents(t, db, map[string][]int64{
			"one":   {1, 2, 3, 4, 5},
			"two":   {4, 5, 6}, // 1 to 3 pruned
			"three": {1, 2},
		}, map[string]map[string]int64{
			"one":   {"c": 3},
			"two":   {"lag": 1, "read": 3, "head": 6},
			"three": {"new": 0},
		})
		require.NoError(t, sqlstore.Migrate(ctx, db, sqlstore.SQLite))
		store := func(tenant string) *sqlstore.UserStore {
			users, _ := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithPartition(func(context.Context) string { return tenant }))
			return users
		}
		ids, err := eventIDs(t, store("one"), "c")
		require.NoError(t, err)
		assert.Equal(t, []string{"one-4", "one-5"}, ids)
		ids, err = eventIDs(t, store("two"), "read")
		require.NoError(t, err)
		assert.Equal(t, []string{"two-4", "two-5", "two-6"}, ids, "a cursor at the newest pruned event is not expired")
		_, err = eventIDs(t, store("two"), "lag")
		require.ErrorIs(t, err, scim.ErrCursorExpired)
		ids, err = eventIDs(t, store("two"), "head")
		require.NoError(t, err)
		assert.Empty(t, ids)
		ids, err = eventIDs(t, store("three"), "new")
		require.NoError(t, err)
		assert.Equal(t, []string{"three-1", "three-2"}, ids)
		_, err = store("two").Events(ctx, 0, 100)
		require.ErrorIs(t, err, scim.ErrCursorExpired)

		// New events follow every old one.
		var newest int64
		require.NoError(t, db.QueryRowContext(ctx, "SELECT MAX(seq) FROM scim_events").Scan(&newest))
		users, groups := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithPartition(func(context.Context) string { return "three" }))
		id := post(t, scim.NewHandler(users, groups, scim.WithoutAuthentication()), "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"after"}`)
		evs, err := store("three").Events(ctx, 0, 100)
		require.NoError(t, err)
		require.Len(t, evs, 3)
		assert.Equal(t, id, evs[2].ResourceID)
		assert.Equal(t, newest+1, evs[2].Cursor)
		last, err := store("three").LastCursor(ctx)
		require.NoError(t, err)
		assert.Equal(t, newest+1, last)
	})
	t.Run("one tenant", func(t *testing.T) {
		db := sqliteDB(t)
		oldSQLiteEvents(t, db, map[string][]int64{"solo": {3, 4, 5}}, nil)
		require.NoError(t, sqlstore.Migrate(ctx, db, sqlstore.SQLite))
		users, _ := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithPartition(func(context.Context) string { return "solo" }))
		evs, err := users.Events(ctx, 2, 100)
		require.NoError(t, err)
		require.Len(t, evs, 3)
		for i, e := range evs {
			assert.Equal(t, int64(3+i), e.Cursor, "cursors as they were")
			assert.Equal(t, fmt.Sprintf("solo-%d", 3+i), e.ID)
		}
		_, err = users.Events(ctx, 1, 100)
		require.ErrorIs(t, err, scim.ErrCursorExpired)
	})
}

// On SQLite one sequence numbers all tenants' events: a tenant's cursors
// have gaps, and expiry is told by the tenant's pruning mark, not by a
// gap. Pruning one tenant leaves the others' events and cursors alone.
func TestSQLiteEventsPruneTenants(t *testing.T) {
	db := sqliteDB(t)
	ctx := context.Background()
	users, groups := newStores(db, sqlstore.SQLite)
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		return withTenant(r.Context(), r.Header.Get("X-Tenant")), nil
	})))
	for _, tenant := range []string{"a", "b", "a", "b", "a"} {
		postAs(t, h, tenant)
	}
	a, b := withTenant(ctx, "a"), withTenant(ctx, "b")
	evA := must[[]scim.Event](t)(users.Events(a, 0, 10))
	require.Len(t, evA, 3)
	assert.Equal(t, []int64{1, 3, 5}, []int64{evA[0].Cursor, evA[1].Cursor, evA[2].Cursor})
	n, err := users.PruneEvents(a, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "all of a's but the newest")
	_, err = users.Events(a, 2, 10)
	require.ErrorIs(t, err, scim.ErrCursorExpired, "a's event 3 was deleted")
	evA = must[[]scim.Event](t)(users.Events(a, 3, 10))
	require.Len(t, evA, 1)
	assert.Equal(t, int64(5), evA[0].Cursor)
	evB := must[[]scim.Event](t)(users.Events(b, 0, 10))
	require.Len(t, evB, 2, "b's events are not a's to prune")
	assert.Equal(t, int64(4), must[int64](t)(users.LastCursor(b)))
	assert.Equal(t, int64(5), must[int64](t)(users.LastCursor(a)))
	// Pruning again deletes nothing and keeps the mark.
	n, err = users.PruneEvents(a, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = users.Events(a, 2, 10)
	require.ErrorIs(t, err, scim.ErrCursorExpired)
	postAs(t, h, "a")
	evA = must[[]scim.Event](t)(users.Events(a, 5, 10))
	require.Len(t, evA, 1)
	assert.Equal(t, int64(6), evA[0].Cursor, "the next cursor after the newest of all tenants")
}

func postAs(t *testing.T, h http.Handler, tenant string) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`"}`))
	r.Header.Set("X-Tenant", tenant)
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
}
