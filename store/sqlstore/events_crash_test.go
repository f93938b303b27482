package sqlstore_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/sqlstore"
)

// The crash test: a child process (this test binary, re-executed) writes
// through the handler under load and reports each write whose response it
// got; the parent kills it with SIGKILL mid-load, then checks the
// database: every reported write has its event, every stored resource's
// version is that of its newest event, and no event names a change that
// is not there.

const crashEnv = "SCIMKIT_EVENTS_CRASH_CHILD" // dialect|dsn|tenant

// crashChild is the child's main: it writes until it is killed, or, with
// a spec that starts with "consume|", consumes the feed, reporting each
// event it handles, until it is killed.
func crashChild(spec string) {
	consume, block := false, int64(0)
	if rest, ok := strings.CutPrefix(spec, "consume|"); ok {
		// consume|K|…: handling event K blocks until the kill (0: never).
		k, rest, _ := strings.Cut(rest, "|")
		block, _ = strconv.ParseInt(k, 10, 64)
		consume, spec = true, rest
	}
	dialect, rest, _ := strings.Cut(spec, "|")
	dsn, tenant, _ := strings.Cut(rest, "|")
	driver, d := "sqlite", sqlstore.SQLite
	if dialect == "postgres" {
		driver, d = "pgx", sqlstore.Postgres
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	db.SetMaxOpenConns(8)
	users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
	if consume {
		c := events.NewConsumer(users, users, "crash", func(_ context.Context, e scim.Event) error {
			fmt.Fprintf(os.Stdout, "h %d\n", e.Cursor)
			if e.Cursor == block {
				select {} // killed here, in the middle of a batch
			}
			return nil
		}, events.WithBatchSize(7), events.WithPollInterval(10*time.Millisecond))
		_ = c.Run(context.Background())
		os.Exit(3)
	}
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	var out sync.Mutex
	report := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w
	}
	w := do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"crash-`+scim.NewID()+`"}`)
	if w.Code != http.StatusCreated {
		fmt.Fprintln(os.Stderr, "group:", w.Body.String())
		os.Exit(3)
	}
	loc := w.Header().Get("Location")
	gid := loc[strings.LastIndexByte(loc, '/')+1:]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				w := do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+scim.NewID()+`","active":true}`)
				if w.Code != http.StatusCreated {
					continue
				}
				loc := w.Header().Get("Location")
				id := loc[strings.LastIndexByte(loc, '/')+1:]
				report("v %s %s", id, w.Header().Get("ETag"))
				w = do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
				if w.Code == http.StatusOK {
					report("v %s %s", id, w.Header().Get("ETag"))
				}
				switch rand.IntN(3) {
				case 0:
					if w := do(http.MethodDelete, "/Users/"+id, ""); w.Code == http.StatusNoContent {
						report("d %s", id)
					}
				case 1:
					w := do(http.MethodPatch, "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`)
					if w.Code < 300 {
						report("m %s %s", gid, id)
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestEventsSurviveKill(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			var dsn string
			if dl.name == "postgres" {
				postgresDB(t)
				u, err := url.Parse(os.Getenv(postgresEnv))
				require.NoError(t, err)
				u.Path = "/" + pg.cfg.Database
				q := u.Query()
				q.Set("application_name", crashChildApp)
				u.RawQuery = q.Encode()
				dsn = u.String()
			} else {
				path := filepath.Join(t.TempDir(), "crash.db")
				sqliteFile(t, path) // migrated
				dsn = sqlstore.SQLiteDSN(path)
			}
			tenant := "crash-" + uniquePrefix()
			var acked []string
			for round := range 2 {
				acked = append(acked, runAndKill(t, dl.name+"|"+dsn+"|"+tenant, 150+round*50)...)
				var db *sql.DB
				if dl.name == "sqlite" {
					db = reopenSQLite(t, dsn)
				} else {
					db = postgresDB(t)
					waitForChildSessions(t, db)
				}
				checkCrashConsistency(t, db, dl.d, tenant, acked)
			}
			checkConsumerSurvivesKill(t, db0(t, dl.name, dsn), dl.d, dl.name+"|"+dsn+"|"+tenant, tenant)
		})
	}
}

// crashChildApp is the application_name of the child's PostgreSQL sessions.
const crashChildApp = "scimkit-crash-child"

// waitForChildSessions waits until the killed child's sessions have ended.
// A statement the child had sent runs to its end, and commits, after the
// child is gone (a one-statement write has no COMMIT left to send), so
// the checks wait for it rather than see it land between two reads.
func waitForChildSessions(t *testing.T, db *sql.DB) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", crashChildApp).Scan(&n)
		require.NoError(t, err)
		return n == 0
	}, 30*time.Second, 20*time.Millisecond, "the killed child's sessions did not end")
}

func db0(t *testing.T, dialect, dsn string) *sql.DB {
	if dialect == "sqlite" {
		return reopenSQLite(t, dsn)
	}
	return postgresDB(t)
}

// checkConsumerSurvivesKill runs a consumer in a child, kills it while it
// handles an event in the middle of a batch (batches are of 7), starts it again
// and kills it once it has reached the newest event: every event was
// handled, at least once.
func checkConsumerSurvivesKill(t *testing.T, db *sql.DB, d sqlstore.Dialect, spec, tenant string) {
	users, _ := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
	last, err := users.LastCursor(context.Background())
	require.NoError(t, err)
	cursors := feedCursors(t, users)
	require.Greater(t, len(cursors), 100)
	require.Equal(t, cursors[len(cursors)-1], last)
	handled := map[int64]bool{}
	note := func(lines []string) {
		for _, l := range lines {
			n, err := strconv.ParseInt(strings.TrimPrefix(l, "h "), 10, 64)
			require.NoError(t, err, l)
			handled[n] = true
		}
	}
	stopAt := cursors[len(cursors)/3+2] // PostgreSQL's cursors have gaps
	note(runAndKillAt(t, fmt.Sprintf("consume|%d|%s", stopAt, spec), fmt.Sprintf("h %d", stopAt)))
	saved, err := users.LoadCursor(context.Background(), "crash")
	require.NoError(t, err)
	require.Less(t, saved, stopAt, "the killed consumer did not save the batch it was in")
	lines := runAndKillAt(t, "consume|0|"+spec, fmt.Sprintf("h %d", last))
	note(lines)
	first, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "h "), 10, 64)
	require.NoError(t, err)
	i := slices.Index(cursors, saved)
	require.GreaterOrEqual(t, i, 0, "the saved cursor %d is an event's", saved)
	require.Equal(t, cursors[i+1], first, "the restarted consumer resumes after its saved cursor")
	for _, c := range cursors {
		require.True(t, handled[c], "event %d was handled", c)
	}
}

// feedCursors returns the cursors of every event of the store's tenant.
func feedCursors(t *testing.T, users *sqlstore.UserStore) []int64 {
	var out []int64
	after := int64(0)
	for {
		evs, err := users.Events(context.Background(), after, 500)
		require.NoError(t, err)
		if len(evs) == 0 {
			return out
		}
		for _, e := range evs {
			out = append(out, e.Cursor)
		}
		after = out[len(out)-1]
	}
}

func reopenSQLite(t *testing.T, dsn string) *sql.DB {
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// runAndKillAt runs the child until it reports the line stop, kills it,
// and returns every line it reported.
func runAndKillAt(t *testing.T, spec, stop string) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+spec)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == stop {
			require.NoError(t, cmd.Process.Kill())
		}
	}
	_ = cmd.Wait()
	require.Contains(t, lines, stop)
	return lines
}

// runAndKill runs the child until it reported n writes, kills it, and
// returns every line it reported.
func runAndKill(t *testing.T, spec string, n int) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+spec)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) == n {
			require.NoError(t, cmd.Process.Kill()) // SIGKILL: no cleanup at all
		}
	}
	_ = cmd.Wait()
	require.GreaterOrEqual(t, len(lines), n, "the child stopped before it was killed")
	return lines
}

func checkCrashConsistency(t *testing.T, db *sql.DB, d sqlstore.Dialect, tenant string, acked []string) {
	ctx := context.Background()
	users, groups := sqlstore.New(db, d, sqlstore.WithPartition(func(context.Context) string { return tenant }))
	var all []scim.Event
	for after := int64(0); ; after = all[len(all)-1].Cursor {
		evs, err := users.Events(ctx, after, 500)
		require.NoError(t, err)
		if len(evs) == 0 {
			break
		}
		all = append(all, evs...)
	}
	ids := map[string]bool{}
	newest := map[string]scim.Event{} // by resource id: its newest event with a version, or its deletion
	versions := map[string]map[string]bool{}
	members := map[string]map[string]bool{} // group → members per events
	for i, e := range all {
		switch {
		case d == sqlstore.SQLite:
			require.Equal(t, int64(i+1), e.Cursor, "gapless cursors")
		case i > 0:
			require.Greater(t, e.Cursor, all[i-1].Cursor, "increasing cursors (PostgreSQL's have gaps)")
		}
		require.False(t, ids[e.ID], "unique event ids")
		ids[e.ID] = true
		if e.Version != "" || e.Type == scim.EventUserDeleted || e.Type == scim.EventGroupDeleted {
			newest[e.ResourceID] = e
		}
		if versions[e.ResourceID] == nil {
			versions[e.ResourceID] = map[string]bool{}
		}
		versions[e.ResourceID][e.Version] = true
		if e.Type == scim.EventUserDeleted {
			versions[e.ResourceID]["deleted"] = true
		}
		if e.ResourceType == "Group" {
			if members[e.ResourceID] == nil {
				members[e.ResourceID] = map[string]bool{}
			}
			for _, m := range e.MemberIDs {
				members[e.ResourceID][m] = e.Type == scim.EventGroupMembersAdded
			}
		}
	}
	last, err := users.LastCursor(ctx)
	require.NoError(t, err)
	require.Equal(t, all[len(all)-1].Cursor, last)

	// Every write the child got a response for has its event.
	for _, l := range acked {
		f := strings.Fields(l)
		switch f[0] {
		case "v":
			require.True(t, versions[f[1]][f[2]], "the acknowledged write %q has its event", l)
		case "d":
			require.True(t, versions[f[1]]["deleted"], "the acknowledged deletion %q has its event", l)
		case "m":
			require.Contains(t, members[f[1]], f[2], "the acknowledged member add %q has its event", l)
		}
	}
	// Every stored user is at the version of its newest event, and every
	// user whose newest event is not a deletion is stored.
	page, err := users.List(ctx, &scim.Query{StartIndex: 1, Count: 100000, ReadOptions: scim.ReadOptions{SkipMembership: true}})
	require.NoError(t, err)
	stored := map[string]bool{}
	for _, u := range page.Resources {
		stored[u.ID] = true
		e, ok := newest[u.ID]
		require.True(t, ok, "user %s has events", u.ID)
		require.Equal(t, u.Meta.Version, e.Version, "user %s is at its newest event's version", u.ID)
	}
	gpage, err := groups.List(ctx, &scim.Query{StartIndex: 1, Count: 100, ReadOptions: scim.ReadOptions{}})
	require.NoError(t, err)
	for _, g := range gpage.Resources {
		stored[g.ID] = true
		got := map[string]bool{}
		for _, m := range g.Members {
			got[m.Value] = true
		}
		want := map[string]bool{}
		for m, in := range members[g.ID] {
			if in {
				want[m] = true
			}
		}
		require.Equal(t, want, got, "group %s's members are those its events say", g.ID)
	}
	for id, e := range newest {
		deleted := e.Type == scim.EventUserDeleted || e.Type == scim.EventGroupDeleted
		require.Equal(t, !deleted, stored[id], "resource %s: newest event %s", id, e.Type)
	}
	t.Logf("%d events, %d acknowledged writes, %d users stored", len(all), len(acked), len(page.Resources))
}
