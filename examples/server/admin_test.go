package main

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

func adminServer(t *testing.T, cfg adminConfig) (*httptest.Server, *connections.Manager) {
	t.Helper()
	store := memstore.NewConnections()
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithAuthenticator(connections.NewAuthenticator(store)))
	mux := http.NewServeMux()
	mux.Handle("/admin/", adminHandler(cfg, store, users, groups, h, slog.New(slog.NewTextHandler(t.Output(), nil))))
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
