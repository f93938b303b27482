package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/webhook"
)

func post(t testing.TB, h http.Handler, path, body string) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	loc := w.Header().Get("Location")
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

func patchVia(t testing.TB, h http.Handler, path, ops string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, path, strings.NewReader(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)))
	require.Less(t, w.Code, 300, w.Body.String())
}

// 50 writers on one PostgreSQL database through two handlers (as two
// replicas would be), with a consumer reading the feed as they write: the
// consumer sees every event exactly once, in cursor order, and each
// user's events in the order of its versions, although PostgreSQL commits
// the writers' transactions in no particular order.
func TestEventsConcurrentWritersTwoReplicas(t *testing.T) {
	postgresDB(t)
	tenant := "conc-" + uniquePrefix()
	part := sqlstore.WithPartition(func(context.Context) string { return tenant })
	u1, g1 := sqlstore.New(postgresPool(t), sqlstore.Postgres, part)
	u2, g2 := sqlstore.New(postgresPool(t), sqlstore.Postgres, part)
	handlers := []http.Handler{
		scim.NewHandler(u1, g1, scim.WithoutAuthentication()),
		scim.NewHandler(u2, g2, scim.WithoutAuthentication()),
	}
	shared := post(t, handlers[0], "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"shared"}`)

	const writers, patches = 50, 3
	// group.created, then per writer: user.created, patches renames
	// (user.updated), one deactivation and one member add.
	want := 1 + writers*(1+patches+2)

	var mu sync.Mutex
	var seen []scim.Event
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	// The consumer reads through the first replica's store, which hears of
	// the second's writes by LISTEN: the consumer never polls (its poll
	// interval is an hour), so a missed notification would hang the test.
	lctx, stopListen := context.WithCancel(context.Background())
	listenConn, err := pgx.ConnectConfig(lctx, pg.cfg.Copy())
	require.NoError(t, err)
	listening := make(chan error, 1)
	go func() { listening <- u1.Listen(lctx, listenConn) }()
	defer func() {
		stopListen()
		<-listening
		listenConn.Close(context.Background())
	}()
	c := events.NewConsumer(u1, u1, "concurrency", func(_ context.Context, e scim.Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e)
		if len(seen) == want {
			close(done)
		}
		return nil
	}, events.WithPollInterval(time.Hour))
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()

	var wg sync.WaitGroup
	for i := range writers {
		h := handlers[i%2]
		wg.Go(func() {
			id := post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"w`+strconv.Itoa(i)+`","active":true}`)
			for p := range patches {
				patchVia(t, h, "/Users/"+id, `[{"op":"replace","path":"displayName","value":"v`+strconv.Itoa(p)+`"}]`)
			}
			patchVia(t, h, "/Users/"+id, `[{"op":"replace","path":"active","value":false}]`)
			patchVia(t, h, "/Groups/"+shared, `[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]`)
		})
	}
	wg.Wait()
	<-done
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, want)
	ids := map[string]bool{}
	lastVersion := map[string]int{}
	for i, e := range seen {
		if i > 0 {
			require.Greater(t, e.Cursor, seen[i-1].Cursor, "each cursor once, in order")
		}
		require.False(t, ids[e.ID], "each event once")
		ids[e.ID] = true
		v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(e.Version, "W/"), `"`))
		require.NoError(t, err, "version %q", e.Version)
		if e.ResourceID == shared {
			// Member changes of one group do not wait for each other
			// on PostgreSQL: each reports the version its statement
			// saw plus one, at most the version after its change (see
			// TestConcurrentMemberVersions), and the group's version
			// ends up counting every change.
			assert.GreaterOrEqual(t, v, 1, "the group's versions")
			assert.LessOrEqual(t, v, 1+writers, "the group's versions")
			continue
		}
		assert.Greater(t, v, lastVersion[e.ResourceID], "resource %s's events follow its versions", e.ResourceID)
		lastVersion[e.ResourceID] = v
	}
	g, err := g2.Get(context.Background(), shared, scim.ReadOptions{SkipMembership: true})
	require.NoError(t, err)
	assert.Equal(t, `W/"`+strconv.Itoa(1+writers)+`"`, g.Meta.Version, "every member add made one version")
	saved, err := u2.LoadCursor(context.Background(), "concurrency")
	require.NoError(t, err)
	assert.Equal(t, seen[len(seen)-1].Cursor, saved, "the cursor is in the database, for every replica")
}

// Tenants' feeds and cursors are separate in one database.
func TestEventsTenantIsolationSQL(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
			return withTenant(r.Context(), r.Header.Get("X-Tenant")), nil
		})))
		for _, tenant := range []string{"a", "b", "a"} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`"}`))
			r.Header.Set("X-Tenant", tenant)
			h.ServeHTTP(w, r)
			require.Equal(t, http.StatusCreated, w.Code)
		}
		a, b := withTenant(context.Background(), "a"), withTenant(context.Background(), "b")
		evA := must[[]scim.Event](t)(users.Events(a, 0, 10))
		evB := must[[]scim.Event](t)(users.Events(b, 0, 10))
		require.Len(t, evA, 2)
		require.Len(t, evB, 1)
		assert.Positive(t, evB[0].Cursor)
		assert.Less(t, evA[0].Cursor, evA[1].Cursor)
		assert.NotEqual(t, evA[0].Tenant, evB[0].Tenant)
		require.NoError(t, users.SaveCursor(a, "x", 2))
		assert.Zero(t, must[int64](t)(users.LoadCursor(b, "x")))
	})
}

// A cursor older than the retention is refused with ErrCursorExpired, and
// only such a cursor.
func TestEventsRetentionSQL(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
		for range 3 {
			post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`"}`)
		}
		ctx := context.Background()
		evs := must[[]scim.Event](t)(users.Events(ctx, 0, 10))
		require.Len(t, evs, 3)
		c1, c2, c3 := evs[0].Cursor, evs[1].Cursor, evs[2].Cursor
		n, err := users.PruneEvents(ctx, time.Now().Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, int64(2), n, "all but the newest, which holds the last cursor")
		_, err = users.Events(ctx, 0, 10)
		require.ErrorIs(t, err, scim.ErrCursorExpired)
		_, err = users.Events(ctx, c1, 10)
		require.ErrorIs(t, err, scim.ErrCursorExpired, "the event after c1 is gone")
		evs, err = users.Events(ctx, c2, 10)
		require.NoError(t, err, "nothing after c2 is gone")
		require.Len(t, evs, 1)
		_, err = users.Events(ctx, c3, 10)
		require.NoError(t, err, "the newest cursor is not expired")
		require.Equal(t, c3, must[int64](t)(users.LastCursor(ctx)))
		post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`"}`)
		_, err = users.Events(ctx, c1, 10)
		require.ErrorIs(t, err, scim.ErrCursorExpired)
		evs = must[[]scim.Event](t)(users.Events(ctx, c3, 10))
		require.Len(t, evs, 1)
	})
}

// Tenant A's webhooks carry A's events only, in order, on both dialects.
func TestEventsWebhooksPerTenant(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		h := scim.NewHandler(users, groups, scim.WithAuthenticator(scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
			return withTenant(r.Context(), r.Header.Get("X-Tenant")), nil
		})))
		secret := webhook.NewSecret()
		var mu sync.Mutex
		var got []scim.Event
		done := make(chan struct{})
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var msg struct{ Data scim.Event }
			require.NoError(t, json.Unmarshal(body, &msg))
			mu.Lock()
			got = append(got, msg.Data)
			if len(got) == 2 {
				close(done)
			}
			mu.Unlock()
		}))
		defer recv.Close()
		for _, tenant := range []string{"a", "b", "a", "b"} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`"}`))
			r.Header.Set("X-Tenant", tenant)
			h.ServeHTTP(w, r)
			require.Equal(t, http.StatusCreated, w.Code)
		}
		s, err := webhook.NewSender(recv.URL, secret)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(withTenant(context.Background(), "a"))
		errc := make(chan error, 1)
		go func() { errc <- events.NewConsumer(users, users, "webhook", s.Deliver).Run(ctx) }()
		<-done
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 2)
		for i, e := range got {
			if i > 0 {
				assert.Greater(t, e.Cursor, got[i-1].Cursor)
			}
			assert.Equal(t, got[0].Tenant, e.Tenant)
		}
		bEvents := must[[]scim.Event](t)(users.Events(withTenant(context.Background(), "b"), 0, 10))
		require.Len(t, bEvents, 2)
		assert.NotEqual(t, got[0].Tenant, bEvents[0].Tenant, "B's events went to no one")
	})
}

// The feed returns each event exactly as the write recorded it (what a
// WithEventSink function gets), every field included, although a row keeps
// the fields with columns of their own only there; and rows written in the
// earlier form, with every field in data, read the same.
func TestEventsFeedEqualsRecorded(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		tenant := "roundtrip-" + uniquePrefix()
		users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
		var mu sync.Mutex
		var recorded []scim.Event
		h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithEventSink(func(_ context.Context, evs []scim.Event) {
			mu.Lock()
			defer mu.Unlock()
			recorded = append(recorded, evs...)
		}))
		u := post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","externalId":"e-1","name":{"familyName":"L"},"active":true}`)
		patchVia(t, h, "/Users/"+u, `[{"op":"replace","value":{"active":false,"name.familyName":"Lovelace"}}]`)
		// Characters that json.Marshal would escape: the feed holds the
		// snapshot as the sink got it, byte for byte.
		g := post(t, h, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"R<&>D","externalId":"g-1","members":[{"value":"`+u+`"}]}`)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/Users/"+u, nil))
		require.Equal(t, http.StatusNoContent, w.Code)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/Groups/"+g, nil))
		require.Equal(t, http.StatusNoContent, w.Code)

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, recorded, 8)
		got := must[[]scim.Event](t)(users.Events(context.Background(), 0, 100))
		require.Equal(t, recorded, got)
		for _, e := range got {
			assert.NotZero(t, e.Cursor)
			assert.Equal(t, tenant, e.Tenant)
			assert.NotEmpty(t, e.ID)
			assert.False(t, e.Time.IsZero())
		}

		// A row in the earlier form: every field in data too.
		old := got[1]
		old.Cursor, old.Tenant = 0, ""
		data, err := json.Marshal(&old)
		require.NoError(t, err)
		ph := func(n int) string {
			if d == sqlstore.Postgres {
				return "$" + strconv.Itoa(n)
			}
			return "?"
		}
		var at any = old.Time
		if d == sqlstore.SQLite {
			at = old.Time.Format("2006-01-02T15:04:05.000000Z")
		}
		seq := got[7].Cursor + 1
		if d == sqlstore.Postgres {
			// A cursor from the sequence, which readers read up to.
			require.NoError(t, db.QueryRow("SELECT nextval('scim_event_seq')").Scan(&seq))
		}
		_, err = db.Exec("INSERT INTO scim_events (tenant, seq, id, time, type, resource_type, resource_id, data) VALUES ("+
			ph(1)+", "+ph(2)+", "+ph(3)+", "+ph(4)+", "+ph(5)+", "+ph(6)+", "+ph(7)+", "+ph(8)+")",
			tenant, seq, old.ID, at, string(old.Type), old.ResourceType, old.ResourceID, string(data))
		require.NoError(t, err)
		back := must[[]scim.Event](t)(users.Events(context.Background(), got[7].Cursor, 100))
		require.Len(t, back, 1)
		want := got[1]
		want.Cursor = seq
		assert.Equal(t, want, back[0])
	})
}
