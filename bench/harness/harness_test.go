package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmoke runs every compiled-in server through every scenario with a
// tiny load and requires every response to have an expected status. CI
// runs it.
func TestSmoke(t *testing.T) {
	const n = 40
	scs, err := SelectScenarios(nil)
	require.NoError(t, err)
	cfg := Config{N: n, C: 4, Rounds: 2, Users: []int{300}, Scenarios: scs, Deadline: 30 * time.Second}
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, rep.Results, len(Factories())*len(scs))
	for _, r := range rep.Results {
		assert.Zerof(t, r.Errors, "%s %s: %v %v", r.Server, r.Scenario, r.Statuses, r.ErrSamples)
		assert.Equalf(t, n, r.Requests, "%s %s: both rounds counted", r.Server, r.Scenario)
		assert.Equalf(t, n, r.Planned, "%s %s", r.Server, r.Scenario)
		assert.Lenf(t, r.lats, n, "%s %s: latencies of both rounds", r.Server, r.Scenario)
		if r.Statuses[http.StatusNoContent] < r.Requests {
			assert.Positivef(t, r.BytesIn, "%s %s", r.Server, r.Scenario)
		}
		assert.Falsef(t, r.DeadlineHit, "%s %s", r.Server, r.Scenario)
		assert.Positivef(t, r.RPS(), "%s %s", r.Server, r.Scenario)
		assert.LessOrEqualf(t, r.P50, r.P99, "%s %s", r.Server, r.Scenario)
		assert.Positivef(t, r.Mallocs, "%s %s", r.Server, r.Scenario)
	}
	for _, sc := range scs {
		b, ok := rep.Baselines[baselineKey(300, sc.Name)]
		require.Truef(t, ok, "baseline of %s", sc.Name)
		assert.Zero(t, b.Errors, sc.Name)
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	assert.Contains(t, md.String(), "| GET /Users/{id} | bare |")
	assert.Contains(t, md.String(), "### Throughput ratios")
	assert.NotContains(t, md.String(), "### Errors")
}

// TestSQLSmoke runs the SQL comparison's servers (SQLite always,
// PostgreSQL with SCIMKIT_POSTGRES_DSN) through its scenarios with a tiny
// load: every response must have an expected status, on a fresh database
// per round.
func TestSQLSmoke(t *testing.T) {
	dbs := []string{DBSQLite}
	dsn := os.Getenv("SCIMKIT_POSTGRES_DSN")
	if dsn != "" {
		dbs = append(dbs, DBPostgres)
	} else {
		t.Log("SCIMKIT_POSTGRES_DSN is not set: SQLite only")
	}
	fs, err := SQLFactories(dbs, dsn)
	require.NoError(t, err)
	scs, err := SelectScenarios(SQLScenarioNames)
	require.NoError(t, err)
	const n = 20
	rep, err := Run(context.Background(), Config{N: n, C: 4, Rounds: 2, Users: []int{200}, Scenarios: scs,
		Factories: fs, Deadline: 60 * time.Second})
	require.NoError(t, err)
	require.Len(t, rep.Results, len(fs)*len(scs))
	for _, r := range rep.Results {
		assert.Zerof(t, r.Errors, "%s %s: %v %v", r.Server, r.Scenario, r.Statuses, r.ErrSamples)
		assert.Equalf(t, n, r.Requests, "%s %s", r.Server, r.Scenario)
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	assert.Contains(t, md.String(), "### SQL comparison: scimkit over the bare SQL handler")
	assert.Contains(t, md.String(), "| GET /Users/{id} | 200 | sqlite |")
	assert.Contains(t, md.String(), "| scimkit-sqlite | 200 | 181 |")
	assert.NotContains(t, md.String(), "### Errors")
}

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+BasePath+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	var doc map[string]any
	if len(b) > 0 && resp.StatusCode != http.StatusUnauthorized {
		require.NoErrorf(c.t, json.Unmarshal(b, &doc), "%s %s: %s", method, path, b)
	}
	return resp.StatusCode, doc
}

func filterPath(endpoint, filter string) string {
	return endpoint + "?filter=" + url.QueryEscape(filter)
}

func resources(t *testing.T, list map[string]any) []map[string]any {
	t.Helper()
	rs, _ := list["Resources"].([]any)
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = r.(map[string]any)
	}
	return out
}

func memberValues(g map[string]any) []string {
	ms, _ := g["members"].([]any)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i], _ = m.(map[string]any)["value"].(string)
	}
	return out
}

// TestServersDoTheWork checks that each server really answers the
// benchmark's requests (not just with the right status), so that no server
// is fast by skipping work.
func TestServersDoTheWork(t *testing.T) {
	ds := MakeDataset(250)
	for _, f := range Factories() {
		t.Run(f.Name, func(t *testing.T) {
			srv, err := f.New(Token)
			require.NoError(t, err)
			ids, err := Seed(srv, ds)
			require.NoError(t, err)
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			c := client{t: t, base: ts.URL}

			// Auth.
			resp, err := http.Get(ts.URL + BasePath + "/Users/" + ids.UserIDs[0])
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

			// GET by id.
			u := ds.Users[42]
			status, doc := c.do(http.MethodGet, "/Users/"+ids.UserIDs[42], "")
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, u.UserName, doc["userName"])
			assert.Equal(t, ids.UserIDs[42], doc["id"])
			ent, _ := doc[EnterpriseURN].(map[string]any)
			require.NotNil(t, ent, "enterprise extension")
			assert.Equal(t, u.EmployeeNumber, ent["employeeNumber"])
			emails, _ := doc["emails"].([]any)
			assert.Len(t, emails, 2)

			// userName filter, case-insensitive as userName is caseExact false.
			status, list := c.do(http.MethodGet, filterPath("/Users", `userName eq "`+strings.ToUpper(u.UserName)+`"`), "")
			require.Equal(t, http.StatusOK, status)
			assert.EqualValues(t, 1, list["totalResults"])
			rs := resources(t, list)
			require.Len(t, rs, 1)
			assert.Equal(t, ids.UserIDs[42], rs[0]["id"])

			// A page.
			status, list = c.do(http.MethodGet, "/Users?startIndex=101&count=100", "")
			require.Equal(t, http.StatusOK, status)
			assert.EqualValues(t, 250, list["totalResults"])
			rs = resources(t, list)
			require.Len(t, rs, 100)
			seen := make(map[any]bool)
			for _, r := range rs {
				seen[r["id"]] = true
			}
			assert.Len(t, seen, 100, "distinct users in a page")

			// Group by displayName, members excluded.
			g := ds.Groups[2]
			status, list = c.do(http.MethodGet, filterPath("/Groups", `displayName eq "`+g.DisplayName+`"`)+"&excludedAttributes=members", "")
			require.Equal(t, http.StatusOK, status)
			rs = resources(t, list)
			require.Len(t, rs, 1)
			assert.Equal(t, g.DisplayName, rs[0]["displayName"])
			assert.Equal(t, ids.GroupIDs[2], rs[0]["id"])
			assert.NotContains(t, rs[0], "members")

			// PATCH active with Entra's strings.
			for _, v := range []string{"False", "True"} {
				status, _ = c.do(http.MethodPatch, "/Users/"+ids.UserIDs[7], string(entraActivePatch(v)))
				require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, status)
				_, doc = c.do(http.MethodGet, "/Users/"+ids.UserIDs[7], "")
				assert.Equal(t, v == "True", doc["active"], "active after %q", v)
			}

			// PATCH add a member to the big group.
			extra, err := srv.CreateUser(&MakeUsers(1, 250, "extra.")[0], "")
			require.NoError(t, err)
			status, _ = c.do(http.MethodPatch, "/Groups/"+ids.GroupIDs[0], string(entraMemberAdd(extra)))
			require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, status)
			_, list = c.do(http.MethodGet, filterPath("/Groups", `displayName eq "`+bigGroupDisplayName+`"`), "")
			rs = resources(t, list)
			require.Len(t, rs, 1)
			mv := memberValues(rs[0])
			assert.Len(t, mv, 251)
			assert.Contains(t, mv, extra)

			// POST.
			nu := MakeUsers(1, 9999, "posted.")[0]
			status, doc = c.do(http.MethodPost, "/Users", string(nu.CreateBody(ids.UserIDs[0])))
			require.Equal(t, http.StatusCreated, status)
			newID, _ := doc["id"].(string)
			require.NotEmpty(t, newID)
			_, list = c.do(http.MethodGet, filterPath("/Users", `userName eq "`+nu.UserName+`"`), "")
			rs = resources(t, list)
			require.Len(t, rs, 1)
			assert.Equal(t, newID, rs[0]["id"])
			status, _ = c.do(http.MethodPost, "/Users", string(nu.CreateBody("")))
			assert.Equal(t, http.StatusConflict, status, "duplicate userName")
		})
	}
}

func TestMeasureMemory(t *testing.T) {
	rs, err := MeasureMemory(500, 2000, nil)
	require.NoError(t, err)
	require.Len(t, rs, len(Factories()))
	for _, r := range rs {
		// A user document is several hundred bytes in any representation;
		// a membership at least its 36-byte id.
		assert.Greaterf(t, r.UserBytes/int64(r.Users), int64(300), r.Server)
		assert.Greaterf(t, r.MemberBytes/int64(r.Memberships), int64(30), r.Server)
	}
	var md bytes.Buffer
	WriteMemMarkdown(&md, rs)
	assert.Contains(t, md.String(), "| bare |")
}

func TestReportFlagsErrors(t *testing.T) {
	rep := &Report{
		Config:    Config{N: 10, C: 1, Scenarios: Scenarios()[:1], Deadline: time.Second},
		Baselines: map[string]Result{},
		Results: []Result{
			{Server: NameElimity, Scenario: "get-user", Users: 10, Planned: 10, Requests: 10, Errors: 3,
				Elapsed: time.Second, Statuses: map[int]int{200: 7, 500: 3}, ErrSamples: []string{"GET /Users/x: 500 boom"}},
			{Server: NameBare, Scenario: "get-user", Users: 10, Planned: 10, Requests: 4, DeadlineHit: true, Elapsed: time.Second},
		},
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	s := md.String()
	assert.Contains(t, s, "| GET /Users/{id} | elimity | 10 ⚠ |")
	assert.Contains(t, s, "| GET /Users/{id} | bare | 4 ⏱ |")
	assert.Contains(t, s, "**3** ⚠")
	assert.Contains(t, s, "2.50x ⚠", "elimity/bare ratio is flagged")
	assert.Contains(t, s, "### Errors")
	assert.Contains(t, s, "500 boom")
}

func TestSelectScenarios(t *testing.T) {
	scs, err := SelectScenarios([]string{"post-user", "get-user"})
	require.NoError(t, err)
	require.Len(t, scs, 2)
	assert.Equal(t, "get-user", scs[0].Name, "run order is kept")
	_, err = SelectScenarios([]string{"nope"})
	assert.Error(t, err)
}
