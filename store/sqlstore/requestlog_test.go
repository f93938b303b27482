package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/provlog/provlogtest"
	"github.com/scimkit/scim/store/sqlstore"
)

func TestRequestLogConformance(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			provlogtest.Run(t, func(t *testing.T) provlog.Store {
				db := dl.open(t)
				// Each subtest gets an empty table: on PostgreSQL the
				// database is shared by the whole run.
				_, err := db.Exec("DELETE FROM scim_request_log")
				require.NoError(t, err)
				return sqlstore.NewRequestLog(db, dl.d)
			})
		})
	}
}

// TestRequestLogRetentionWhileServing prunes old records in small batches
// while a handler serves requests and logs them through a queue: the old
// records go, the new ones stay, and no request fails or is dropped.
func TestRequestLogRetentionWhileServing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		_, err := db.Exec("DELETE FROM scim_request_log")
		require.NoError(t, err)
		users, groups := sqlstore.New(db, d)
		log := users.RequestLog(sqlstore.WithRetention(time.Hour), sqlstore.WithPruneBatch(50))

		// 2000 records from two days ago.
		old := make([]scim.RequestRecord, 2000)
		for i := range old {
			old[i] = scim.RequestRecord{Time: time.Now().Add(-48 * time.Hour).Add(time.Duration(i) * time.Millisecond),
				RequestID: fmt.Sprint("old-", i), Action: scim.ActionUsersList, Status: 200}
		}
		require.NoError(t, log.Write(context.Background(), old))

		queue := provlog.NewQueue(log)
		h := scim.NewHandler(users, groups, scim.WithBearerToken("retention-token"), scim.WithRequestLog(queue))
		var served, failed atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					req := httptest.NewRequest("POST", "/Users", strings.NewReader(
						fmt.Sprintf(`{"schemas":["%s"],"userName":"u%d-%d"}`, scim.UserSchema, g, i)))
					req.Header.Set("Authorization", "Bearer retention-token")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					served.Add(1)
					if w.Code != http.StatusCreated {
						failed.Add(1)
					}
				}
			}()
		}
		require.Eventually(t, func() bool { return served.Load() >= 20 }, 10*time.Second, time.Millisecond)
		deleted, err := log.Prune(context.Background())
		servedDuringPrune := served.Load()
		close(stop)
		wg.Wait()
		require.NoError(t, err)
		require.NoError(t, queue.Close(context.Background()))
		assert.Equal(t, int64(2000), deleted, "every old record, in batches of 50")
		assert.Zero(t, failed.Load())
		assert.Greater(t, served.Load(), int64(20))
		t.Logf("%d requests served, %d of them before the pruning ended", served.Load(), servedDuringPrune)
		assert.Zero(t, queue.Dropped())
		assert.Zero(t, queue.Failed())

		var left, oldLeft int64
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM scim_request_log").Scan(&left))
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM scim_request_log WHERE request_id LIKE 'old-%'").Scan(&oldLeft))
		assert.Zero(t, oldLeft)
		assert.Equal(t, served.Load(), left, "every request served is logged")
		page, err := log.Query(context.Background(), provlog.Query{Action: scim.ActionUserCreate, Limit: 1})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		assert.Equal(t, 201, page.Records[0].Status)
	})
}

func TestRequestLogPruneStopsWithContext(t *testing.T) {
	db := sqliteDB(t)
	log := sqlstore.NewRequestLog(db, sqlstore.SQLite, sqlstore.WithPruneBatch(10))
	recs := make([]scim.RequestRecord, 100)
	for i := range recs {
		recs[i] = scim.RequestRecord{Time: time.Unix(int64(i), 0), RequestID: fmt.Sprint(i)}
	}
	require.NoError(t, log.Write(context.Background(), recs))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := log.DeleteBefore(ctx, time.Unix(1000, 0))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, n)
	n, err = log.DeleteBefore(context.Background(), time.Unix(50, 0))
	require.NoError(t, err)
	assert.Equal(t, int64(50), n)
}

// Requests refused for their bad text (NUL, invalid UTF-8 in the path, the
// body or a header) are logged like any other: the queue writes their
// records without an error, so they and the records batched with them are
// kept.
func TestRequestLogKeepsRequestsWithBadText(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		_, err := db.Exec("DELETE FROM scim_request_log")
		require.NoError(t, err)
		users, groups := sqlstore.New(db, d)
		log := users.RequestLog()
		queue := provlog.NewQueue(log)
		h := scim.NewHandler(users, groups, scim.WithBearerToken("bad-text-token"), scim.WithRequestLog(queue))
		requests := []struct{ method, path, body string }{
			{"GET", "/Users/ab%00cd", ""},
			{"GET", "/Users/ab%FFcd", ""},
			{"POST", "/Users", "{\"schemas\":[\"" + scim.UserSchema + "\"],\"userName\":\"a\xffb\"}"},
			{"POST", "/Users", "{\"schemas\":[\"" + scim.UserSchema + "\"],\"userName\":\"a\\u0000b\"}"},
			{"POST", "/Users", "{\"schemas\":[\"" + scim.UserSchema + "\"],\"userName\":\"fine\"}"},
		}
		for _, r := range requests {
			req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
			req.Header.Set("Authorization", "Bearer bad-text-token")
			req.Header.Set("User-Agent", "agent\xff")
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		require.NoError(t, queue.Close(context.Background()))
		assert.Zero(t, queue.Failed(), "no batch of records was refused")
		assert.Zero(t, queue.Dropped())
		page, err := log.Query(context.Background(), provlog.Query{AllTenants: true, Limit: 10})
		require.NoError(t, err)
		require.Len(t, page.Records, len(requests))
		assert.Equal(t, "/Users/ab\uFFFDcd", page.Records[len(requests)-1].Path, "the oldest record, its NUL replaced")
		assert.Equal(t, 201, page.Records[0].Status)
	})
}
