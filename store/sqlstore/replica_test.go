package sqlstore_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// replica is one application replica: its own pool, stores and handler.
type replica struct {
	srv *httptest.Server
}

func newReplica(t *testing.T, db *sql.DB, d sqlstore.Dialect, prefix string) *replica {
	users, groups := sqlstore.New(db, d, byTenant(prefix))
	srv := httptest.NewServer(scim.NewHandler(users, groups, scim.WithoutAuthentication()))
	t.Cleanup(srv.Close)
	return &replica{srv: srv}
}

type response struct {
	status int
	etag   string
	body   map[string]any
}

func (r *replica) do(method, path string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := r.srv.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode, etag: res.Header.Get("ETag")}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return out, err
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			return out, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
	}
	return out, nil
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": ops}
}

// TestReplicas runs two handlers, as two replicas of an application, on
// one database, each with its own connection pool and stores. Concurrent
// PATCHes through both add and remove members of one group (some as pure
// membership changes, some together with a rename, which the handler
// applies by read-modify-write) and change the same users. Afterwards no
// change may be lost, both replicas must see the same resources, and
// every successful write must have produced its own version (on SQLite,
// also reported its own version).
func TestReplicas(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		runReplicas(t, sqlstore.Postgres, postgresPool(t), postgresPool(t))
	})
	t.Run("sqlite", func(t *testing.T) {
		// Two pools on one file stand for two processes.
		path := filepath.Join(t.TempDir(), "scim.db")
		runReplicas(t, sqlstore.SQLite, sqliteFile(t, path), sqliteFile(t, path))
	})
}

func runReplicas(t *testing.T, d sqlstore.Dialect, dbA, dbB *sql.DB) {
	prefix := uniquePrefix()
	reps := []*replica{newReplica(t, dbA, d, prefix), newReplica(t, dbB, d, prefix)}
	const (
		adders   = 24 // users added to the group by membership PATCHes
		removers = 12 // initial members removed by membership PATCHes
		renamers = 6  // PATCHes that rename the group and add a member
		perUser  = 12 // PATCHes on each of the contended users
	)
	create := func(name string) string {
		res, err := reps[0].do("POST", "/Users", map[string]any{"schemas": []string{scim.UserSchema}, "userName": name})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.status, res.body)
		return res.body["id"].(string)
	}
	var adds, removes, renameAdds []string
	for i := range adders {
		adds = append(adds, create(fmt.Sprint("add", i)))
	}
	for i := range removers {
		removes = append(removes, create(fmt.Sprint("remove", i)))
	}
	for i := range renamers {
		renameAdds = append(renameAdds, create(fmt.Sprint("rename", i)))
	}
	contended := []string{create("contended0"), create("contended1")}
	var initial []map[string]any
	for _, id := range removes {
		initial = append(initial, map[string]any{"value": id})
	}
	res, err := reps[1].do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema},
		"displayName": "Crowded", "members": initial})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.status, res.body)
	gid := res.body["id"].(string)

	var (
		mu           sync.Mutex
		groupVers    []string
		userVers     = map[string][]string{}
		wg           sync.WaitGroup
		errs         []error
		start        = make(chan struct{})
		expectedTags = map[string][]string{}
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	send := func(i int, path string, body map[string]any, record func(etag string)) {
		wg.Go(func() {
			<-start
			res, err := reps[i%2].do("PATCH", path, body)
			if err != nil {
				fail(err)
				return
			}
			if res.status != http.StatusOK {
				fail(fmt.Errorf("PATCH %s via replica %d: %d %v", path, i%2, res.status, res.body))
				return
			}
			record(res.etag)
		})
	}
	recordGroup := func(etag string) { mu.Lock(); groupVers = append(groupVers, etag); mu.Unlock() }
	// Without members in the response, the handler answers from the write
	// itself rather than from a re-read, whose version may be newer.
	gpath := "/Groups/" + gid + "?excludedAttributes=members"
	for i, id := range adds {
		send(i, gpath, patchOp(map[string]any{"op": "add", "path": "members",
			"value": []any{map[string]any{"value": id}}}), recordGroup)
	}
	for i, id := range removes {
		send(i, gpath, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}), recordGroup)
	}
	for i, id := range renameAdds {
		send(i, gpath, patchOp(
			map[string]any{"op": "replace", "path": "displayName", "value": fmt.Sprint("Crowded ", i)},
			map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), recordGroup)
	}
	for _, uid := range contended {
		for i := range perUser {
			email := fmt.Sprintf("w%02d@example.com", i)
			expectedTags[uid] = append(expectedTags[uid], email)
			send(i, "/Users/"+uid, patchOp(
				map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": email, "type": "work"}}},
				map[string]any{"op": "replace", "path": "title", "value": fmt.Sprint("title ", i)}),
				func(etag string) { mu.Lock(); userVers[uid] = append(userVers[uid], etag); mu.Unlock() })
		}
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)

	// Nothing is lost, and both replicas see the same group.
	want := slices.Concat(adds, renameAdds)
	var seen []string
	for i, r := range reps {
		res, err := r.do("GET", "/Groups/"+gid, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.status)
		var got []string
		for _, m := range res.body["members"].([]any) {
			got = append(got, m.(map[string]any)["value"].(string))
		}
		assert.ElementsMatch(t, want, got, "replica %d: members", i)
		assert.True(t, strings.HasPrefix(res.body["displayName"].(string), "Crowded "), res.body["displayName"])
		seen = append(seen, res.etag)
	}
	writes := adders + removers + renamers
	assert.Equal(t, []string{version(1 + writes), version(1 + writes)}, seen, "every group write made one version")
	if d == sqlstore.Postgres {
		// Member changes without If-Match do not wait for each other
		// there: two concurrent ones may report the same version, that
		// of the state the first of them to commit made, which the
		// second has already changed (see TestConcurrentMemberVersions).
		require.Len(t, groupVers, writes)
		for _, v := range groupVers {
			assert.Contains(t, versions(2, 1+writes), v)
		}
	} else {
		assert.ElementsMatch(t, versions(2, 1+writes), groupVers, "each write got its own version")
	}

	for _, uid := range contended {
		for i, r := range reps {
			res, err := r.do("GET", "/Users/"+uid, nil)
			require.NoError(t, err)
			var emails []string
			for _, e := range res.body["emails"].([]any) {
				emails = append(emails, e.(map[string]any)["value"].(string))
			}
			assert.ElementsMatch(t, expectedTags[uid], emails, "replica %d: user %s emails", i, uid)
			assert.Equal(t, version(1+perUser), res.etag)
		}
		assert.ElementsMatch(t, versions(2, 1+perUser), userVers[uid], "user %s: each write got its own version", uid)
	}
	// Users' groups agree with the group's members.
	res, err = reps[1].do("GET", "/Users/"+adds[5], nil)
	require.NoError(t, err)
	require.Len(t, res.body["groups"], 1)
	assert.Equal(t, gid, res.body["groups"].([]any)[0].(map[string]any)["value"])
	res, err = reps[0].do("GET", "/Users/"+removes[5], nil)
	require.NoError(t, err)
	assert.Empty(t, res.body["groups"])
}

func version(n int) string { return `W/"` + strconv.Itoa(n) + `"` }

func versions(from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, version(n))
	}
	return out
}
