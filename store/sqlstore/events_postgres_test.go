package sqlstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// On PostgreSQL, cursors come from one sequence and writers commit
// concurrently, so a writer can hold a smaller cursor than one that has
// committed. Here every write of the tenant sleeps for a random time while
// it commits (a deferred trigger, which runs at COMMIT, after the cursors
// were taken), 16 writers write through two stores with pools of their
// own (two replicas), and a reader reads the feed as they go, from the
// last cursor it got: it must never skip an event that commits late, nor
// see one twice. Without the reader's horizon (reading "cursor > last"
// alone) it skips events within a few writes.
func TestEventsLateCommitsNotSkipped(t *testing.T) {
	db := postgresDB(t)
	tenant := "late-" + uniquePrefix()
	ctx := context.Background()
	_, err := db.ExecContext(ctx, `CREATE OR REPLACE FUNCTION scim_test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(random() * 0.02); RETURN NULL; END $$`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE CONSTRAINT TRIGGER scim_test_slow_commit AFTER INSERT ON scim_events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.tenant LIKE 'late-%') EXECUTE FUNCTION scim_test_slow_commit()`)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.ExecContext(ctx, `DROP TRIGGER scim_test_slow_commit ON scim_events`)
		assert.NoError(t, err)
	})

	part := sqlstore.WithPartition(func(context.Context) string { return tenant })
	u1, g1 := sqlstore.New(postgresPool(t), sqlstore.Postgres, part)
	u2, g2 := sqlstore.New(postgresPool(t), sqlstore.Postgres, part)
	handlers := []http.Handler{
		scim.NewHandler(u1, g1, scim.WithoutAuthentication()),
		scim.NewHandler(u2, g2, scim.WithoutAuthentication()),
	}

	const writers, each = 16, 15
	var written atomic.Int64
	stop, quit := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(quit) })
	var seen []scim.Event
	readErr := make(chan error, 1)
	go func() {
		// The reader: as a consumer reads, from the last cursor it got.
		after := int64(0)
		for {
			evs, err := u1.Events(ctx, after, 7)
			if err != nil {
				readErr <- err
				return
			}
			seen = append(seen, evs...)
			if len(evs) > 0 {
				after = evs[len(evs)-1].Cursor
				continue
			}
			select {
			case <-quit:
				return
			case <-stop:
				if int64(len(seen)) >= written.Load() {
					readErr <- nil
					return
				}
			default:
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		h := handlers[w%2]
		wg.Go(func() {
			for i := range each {
				post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"w`+strconv.Itoa(w)+`-`+strconv.Itoa(i)+`"}`)
				written.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	select {
	case err := <-readErr:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatalf("the reader saw %d of %d events: it skipped some", len(seen), writers*each)
	}

	all := feedCursors(t, u2)
	require.Len(t, all, writers*each)
	got := make([]int64, len(seen))
	ids := map[string]bool{}
	for i, e := range seen {
		got[i] = e.Cursor
		require.False(t, ids[e.ID], "event %d seen twice", e.Cursor)
		ids[e.ID] = true
	}
	require.Equal(t, all, got, "the reader saw every event once, in cursor order")
}

// With cursors that have gaps (another tenant's writes take the cursors in
// between), expiry is told by the greatest cursor pruning deleted: a
// cursor before it is expired, any cursor from it on is not, whether an
// event's or one in a gap.
func TestEventsExpiryWithGaps(t *testing.T) {
	db := postgresDB(t)
	a, b := "a", "b"
	users, groups := newStores(db, sqlstore.Postgres)
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		return withTenant(r.Context(), r.Header.Get("X-Tenant")), nil
	})))
	for i := range 4 {
		for _, tenant := range []string{a, b} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+strconv.Itoa(i)+`"}`))
			r.Header.Set("X-Tenant", tenant)
			h.ServeHTTP(w, r)
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		}
	}
	ctxA := withTenant(context.Background(), a)
	evs := must[[]scim.Event](t)(users.Events(ctxA, 0, 10))
	require.Len(t, evs, 4)
	c := make([]int64, len(evs))
	for i, e := range evs {
		c[i] = e.Cursor
		if i > 0 {
			require.Greater(t, c[i], c[i-1]+1, "B's write took a cursor between A's")
		}
	}
	// Events before c[2]'s time: the first two.
	n, err := users.PruneEvents(ctxA, evs[2].Time)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	for _, after := range []int64{0, c[0], c[0] + 1, c[1] - 1} {
		_, err := users.Events(ctxA, after, 10)
		require.ErrorIs(t, err, scim.ErrCursorExpired, "after %d: the event at %d is gone", after, c[1])
	}
	for _, after := range []int64{c[1], c[1] + 1, c[2] - 1} {
		got, err := users.Events(ctxA, after, 10)
		require.NoError(t, err, "after %d", after)
		require.Len(t, got, 2)
		assert.Equal(t, c[2], got[0].Cursor)
	}
	got, err := users.Events(ctxA, c[3], 10)
	require.NoError(t, err)
	require.Empty(t, got)
	assert.Equal(t, c[3], must[int64](t)(users.LastCursor(ctxA)))
	// B's feed is untouched.
	evsB := must[[]scim.Event](t)(users.Events(withTenant(context.Background(), b), 0, 10))
	require.Len(t, evsB, 4)
	// Pruning everything but the newest keeps LastCursor readable.
	_, err = users.PruneEvents(ctxA, time.Now().Add(time.Hour))
	require.NoError(t, err)
	_, err = users.Events(ctxA, c[2]-1, 10)
	require.ErrorIs(t, err, scim.ErrCursorExpired)
	got, err = users.Events(ctxA, c[2], 10)
	require.NoError(t, err, "c[2] was deleted, but a reader that got it missed nothing")
	require.Len(t, got, 1)
	last := must[int64](t)(users.LastCursor(ctxA))
	require.Equal(t, c[3], last)
	got, err = users.Events(ctxA, last, 10)
	require.NoError(t, err, "LastCursor is never expired")
	require.Empty(t, got)
}

// Migration 7 on a database whose events were numbered by the per-tenant
// counters: new cursors exceed every old one in every tenant, a tenant whose
// oldest events were pruned keeps expiring the cursors before its oldest,
// and one that lost none expires nothing.
func TestEventsSequenceMigration(t *testing.T) {
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s", postgresEnv)
	}
	db, _, cleanup, err := createPostgresDB(dsn)
	require.NoError(t, err)
	t.Cleanup(cleanup)
	ctx := context.Background()
	for _, s := range []string{
		`DROP TABLE scim_event_pruned`, `DROP SEQUENCE scim_event_seq`,
		`CREATE TABLE scim_event_counters (tenant TEXT COLLATE "C" PRIMARY KEY, seq BIGINT NOT NULL)`,
		`DELETE FROM scim_schema_migrations WHERE version = 7`,
	} {
		_, err := db.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	// Tenant "pruned" had events 1 to 7 and kept 5 to 7; "whole" has 1 to
	// 3; "busy" counted to 40 and kept its newest.
	rows := map[string][]int64{"pruned": {5, 6, 7}, "whole": {1, 2, 3}, "busy": {40}}
	for tenant, seqs := range rows {
		for _, seq := range seqs {
			_, err := db.ExecContext(ctx, `INSERT INTO scim_events (tenant, seq, id, time, type, resource_type, resource_id, data)
VALUES ($1, $2, $3, now(), 'user.created', 'User', 'u', '{}')`, tenant, seq, scim.NewID())
			require.NoError(t, err)
		}
		_, err := db.ExecContext(ctx, `INSERT INTO scim_event_counters (tenant, seq) VALUES ($1, $2)`, tenant, seqs[len(seqs)-1])
		require.NoError(t, err)
	}
	require.NoError(t, sqlstore.Migrate(ctx, db, sqlstore.Postgres))
	var counters int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_class WHERE relname = 'scim_event_counters'`).Scan(&counters))
	assert.Zero(t, counters, "the counters are gone")

	users, groups := sqlstore.New(db, sqlstore.Postgres)
	ctxOf := func(tenant string) context.Context { return scim.ContextWithTenant(ctx, tenant) }
	_, err = users.Events(ctxOf("pruned"), 3, 10)
	require.ErrorIs(t, err, scim.ErrCursorExpired)
	evs, err := users.Events(ctxOf("pruned"), 4, 10)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	evs, err = users.Events(ctxOf("whole"), 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, int64(7), must[int64](t)(users.LastCursor(ctxOf("pruned"))))

	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"after"}`)).WithContext(ctxOf("whole")))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	evs, err = users.Events(ctxOf("whole"), 3, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Greater(t, evs[0].Cursor, int64(40), "above every old cursor of every tenant")
}
