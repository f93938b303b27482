package main

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func adminServer(t *testing.T, cfg adminConfig) (*httptest.Server, *connections.Manager) {
	t.Helper()
	store := memstore.NewConnections()
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))
	mux := http.NewServeMux()
	mux.Handle("/admin/", adminHandler(cfg, store, users, groups, h, nil, slog.New(slog.NewTextHandler(t.Output(), nil))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, connections.NewManager(store)
}

func getAdmin(t *testing.T, url, password string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if password != "" {
		req.SetBasicAuth("admin", password)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminWithoutPasswordShowsHowToEnableIt(t *testing.T) {
	srv, mgr := adminServer(t, adminConfig{tenant: "default"})
	_, err := mgr.Create(t.Context(), "default", "Secret Corp Entra ID", connections.ProviderEntraID)
	require.NoError(t, err)
	for _, path := range []string{"/admin/", "/admin/setup", "/admin/directory"} {
		status, body := getAdmin(t, srv.URL+path, "anything")
		require.Equal(t, http.StatusServiceUnavailable, status)
		require.Contains(t, body, "SCIM_ADMIN_PASSWORD")
		require.NotContains(t, body, "Secret Corp")
	}
}

func TestAdminNeedsThePassword(t *testing.T) {
	srv, mgr := adminServer(t, adminConfig{tenant: "default", password: "correct horse"})
	_, err := mgr.Create(t.Context(), "default", "Acme Entra ID", connections.ProviderEntraID)
	require.NoError(t, err)
	for _, pw := range []string{"", "wrong"} {
		status, body := getAdmin(t, srv.URL+"/admin/", pw)
		require.Equal(t, http.StatusUnauthorized, status)
		require.NotContains(t, body, "Acme Entra ID")
	}
	status, body := getAdmin(t, srv.URL+"/admin/", "correct horse")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Acme Entra ID")
	require.True(t, strings.Contains(body, srv.URL+"/scim/v2"), "the setup page shows the SCIM URL")
}

func TestAdminFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	fs := newFlagSet()
	resolve := adminFlags(fs)
	require.NoError(t, fs.Parse(nil))
	cfg, err := resolve(env(nil))
	require.NoError(t, err)
	require.Equal(t, adminConfig{tenant: "default"}, cfg)
	cfg, err = resolve(env(map[string]string{"SCIM_ADMIN_PASSWORD": "pw"}))
	require.NoError(t, err)
	require.Equal(t, "pw", cfg.password)
	_, err = resolve(env(map[string]string{"SCIM_ADMIN_PASSWORD": "  "}))
	require.Error(t, err)

	fs = newFlagSet()
	resolve = adminFlags(fs)
	file := t.TempDir() + "/pw"
	require.NoError(t, writeFile(file, "from-file\nignored\n"))
	require.NoError(t, fs.Parse([]string{"-admin-password-file", file, "-admin-tenant", "acme"}))
	cfg, err = resolve(env(nil))
	require.NoError(t, err)
	require.Equal(t, adminConfig{tenant: "acme", password: "from-file"}, cfg)
}

func newFlagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

func writeFile(name, s string) error { return os.WriteFile(name, []byte(s), 0o600) }

// The product as it runs: the server started with an admin password for
// tenant acme; acme's identity provider creates a user, then the same
// userName again (409), and globex's makes requests of its own. The
// console's Activity page shows acme's provisioning log from the database,
// the failure highlighted with its SCIM error and hint, and the
// user.created event from the store's feed; nothing of globex's.
func TestAdminActivityShowsTheRequestLogAndEvents(t *testing.T) {
	saved := adminSettings
	adminSettings = adminConfig{password: "s3cret admin", tenant: "acme"}
	t.Cleanup(func() { adminSettings = saved })
	db := filepath.Join(t.TempDir(), "scimkit.db")
	tokenOf := func(tenant, name string) string {
		code, stdout, stderr := runConnections(t, "create", "-db", db, "-tenant", tenant, "-name", name, "-provider", "entra-id")
		require.Equal(t, 0, code, stderr)
		return issuedVars(t, stdout)["SCIM_TOKEN"]
	}
	acmeTok, globexTok := tokenOf("acme", "Acme Entra ID"), tokenOf("globex", "Globex Okta")
	root := startWith(t, db, "", io.Discard)
	base := root + "/scim/v2"
	user := func(name string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `"}`
	}
	status, _ := scimCall(t, "POST", base+"/Users", acmeTok, user("grace@acme.example"))
	require.Equal(t, 201, status)
	status, body := scimCall(t, "POST", base+"/Users", acmeTok, user("Grace@acme.example"))
	require.Equal(t, 409, status)
	require.Equal(t, "uniqueness", body["scimType"])
	status, _ = scimCall(t, "POST", base+"/Users", globexTok, user("bob@globex.example"))
	require.Equal(t, 201, status)
	status, _ = scimCall(t, "GET", base+"/Users/no-such-user-of-globex", globexTok, "")
	require.Equal(t, 404, status)

	// The log is written through a queue, a batch at a time: wait for it.
	var page string
	require.Eventually(t, func() bool {
		var code int
		code, page = getAdmin(t, root+"/admin/activity", "s3cret admin")
		return code == 200 && strings.Contains(page, "409 uniqueness")
	}, 10*time.Second, 50*time.Millisecond, "the failed request never appeared on the Activity page")
	for _, want := range []string{
		`<tr class="failed">`, "Grace@acme.example", "A user with this userName already exists", // the failure and its hint
		"user.create", "201", // the request that worked
		"user.created", "grace@acme.example", // the event
	} {
		assert.Contains(t, page, want)
	}
	assert.Equal(t, 1, strings.Count(page, `<tr class="failed">`), "only acme's one failure is highlighted")
	for _, leak := range []string{"bob@globex.example", "no-such-user-of-globex", "This user no longer exists here"} {
		assert.NotContains(t, page, leak, "acme's admin sees globex's request log or events")
	}
	assert.NotContains(t, page, "keeps no provisioning log")
	assert.NotContains(t, page, "records no provisioning events")

	// Filtered to failures, only the 409 remains.
	_, page = getAdmin(t, root+"/admin/activity?status=failed", "s3cret admin")
	assert.Contains(t, page, "409 uniqueness")
	assert.NotContains(t, page, `class="badge ok"`)
	// The console needs the password, for the Activity page too.
	code, page := getAdmin(t, root+"/admin/activity", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.NotContains(t, page, "grace@acme.example")
}
