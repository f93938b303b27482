package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runConnections runs the connections subcommand and returns its exit
// status, standard output and standard error.
func runConnections(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := connectionsCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// issuedVars parses the KEY=value lines a create or rotate prints.
func issuedVars(t *testing.T, stdout string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for line := range strings.Lines(stdout) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		require.True(t, ok, "stdout line %q is not KEY=value", line)
		vars[k] = v
	}
	return vars
}

// startServer serves dsn with token (which may be empty) on a free
// loopback port, logging to logs and to the test's output (which a CI step
// scans for secrets), until the returned stop is called; it returns the
// server's root URL.
func startServer(t *testing.T, dsn, token string, logs io.Writer) (root string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- serve(ctx, ln, token, dsn, logger) }()
	root = "http://" + ln.Addr().String()
	require.Eventually(t, func() bool {
		resp, err := http.Get(root + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)
	return root, func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("server did not stop")
		}
		dumpRequestLog(t, dsn) // requestlog_test.go
	}
}

// startWith is startServer, stopped when the test ends.
func startWith(t *testing.T, dsn, token string, logs io.Writer) string {
	t.Helper()
	root, stop := startServer(t, dsn, token, logs)
	t.Cleanup(stop)
	return root
}

// scimCall sends a SCIM request with a bearer token and returns the status
// and the body.
func scimCall(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	}
	return resp.StatusCode, m
}

func TestConnectionsCommandUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scimkit.db")
	for _, c := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"help"}, 0},
		{[]string{"frobnicate", "-db", db}, 2},
		{[]string{"create", "-db", db, "-name", "no tenant"}, 2},
		{[]string{"create", "-db", db, "-tenant", "acme"}, 2},
		{[]string{"create", "-db", "memory", "-tenant", "acme", "-name", "x"}, 2},
		{[]string{"revoke", "-db", db}, 2},
		{[]string{"revoke", "-db", db, "-credential", "nosuchcredential"}, 1},
		{[]string{"disable", "-db", db, "-connection", "nosuchconnection"}, 1},
		{[]string{"create", "-db", db, "-tenant", "acme", "-name", "x", "stray"}, 2},
	} {
		code, stdout, stderr := runConnections(t, c.args...)
		assert.Equal(t, c.code, code, "%q: %s", c.args, stderr)
		if c.code != 0 {
			assert.Empty(t, stdout, "%q prints nothing for scripts on failure", c.args)
		}
	}
	assert.False(t, connectionsExist(db), "failed commands created nothing")
}

// The walk an operator takes: create connections for two customers, serve
// them from one endpoint, rotate, revoke, disable, OAuth, delete. No log
// line and no output but the KEY=value lines of create, rotate, token and
// oauth ever shows a secret.
func TestConnectionsCommandEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scimkit.db")
	var shown []string // every secret printed, to look for elsewhere
	var quiet bytes.Buffer
	create := func(tenant, name string, extra ...string) map[string]string {
		code, stdout, stderr := runConnections(t, append([]string{"create", "-db", db, "-tenant", tenant, "-name", name,
			"-url", "https://scim.example.com/scim/v2"}, extra...)...)
		require.Equal(t, 0, code, stderr)
		quiet.WriteString(stderr)
		vars := issuedVars(t, stdout)
		wantURL := "https://scim.example.com/scim/v2"
		if len(extra) > 1 && extra[len(extra)-2] == "-url" {
			wantURL = extra[len(extra)-1]
		}
		require.Equal(t, wantURL, vars["SCIM_URL"])
		return vars
	}
	require.False(t, connectionsExist(db))
	acme := create("acme", "Acme Entra ID", "-provider", "entra-id")
	globex := create("globex", "Globex Okta", "-provider", "okta")
	require.Len(t, acme, 2, "create prints SCIM_URL and SCIM_TOKEN: %v", acme)
	acmeTok, globexTok := acme["SCIM_TOKEN"], globex["SCIM_TOKEN"]
	require.NotEmpty(t, acmeTok)
	shown = append(shown, acmeTok, globexTok)
	require.True(t, connectionsExist(db))

	var logs bytes.Buffer
	root := startWith(t, db, "", &logs)
	base := root + "/scim/v2"
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@acme.example"}`
	status, _ := scimCall(t, "POST", base+"/Users", acmeTok, user)
	require.Equal(t, 201, status)
	status, list := scimCall(t, "GET", base+"/Users", acmeTok, "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 1, list["totalResults"])
	status, list = scimCall(t, "GET", base+"/Users", globexTok, "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 0, list["totalResults"], "each connection sees its own tenant")
	status, _ = scimCall(t, "GET", base+"/Users", "", "")
	assert.Equal(t, 401, status)
	status, _ = scimCall(t, "GET", base+"/Users", "T", "")
	assert.Equal(t, 401, status, "no fixed token was given, and none is generated once connections exist")

	// list shows the connections and credential ids, never a secret.
	code, stdout, stderr := runConnections(t, "list", "-db", db)
	require.Equal(t, 0, code, stderr)
	quiet.WriteString(stdout + stderr)
	assert.Contains(t, stdout, "acme")
	assert.Contains(t, stdout, "Globex Okta")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, "a header and a line per credential:\n%s", stdout)
	acmeFields := strings.Fields(lines[1])
	require.Equal(t, "acme", acmeFields[0])
	acmeConn, acmeCred := acmeFields[1], ""
	for _, f := range acmeFields {
		if len(f) == 16 && strings.Contains(acmeTok, f) {
			acmeCred = f
		}
	}
	require.NotEmpty(t, acmeCred, "the credential id is listed:\n%s", stdout)

	// Rotation: the new token works at once, the old until revoked.
	code, stdout, stderr = runConnections(t, "rotate", "-db", db, "-credential", acmeCred)
	require.Equal(t, 0, code, stderr)
	quiet.WriteString(stderr)
	newTok := issuedVars(t, stdout)["SCIM_TOKEN"]
	require.NotEmpty(t, newTok)
	require.NotEqual(t, acmeTok, newTok)
	shown = append(shown, newTok)
	for _, tok := range []string{acmeTok, newTok} {
		status, list = scimCall(t, "GET", base+"/Users", tok, "")
		require.Equal(t, 200, status)
		assert.EqualValues(t, 1, list["totalResults"])
	}
	code, _, stderr = runConnections(t, "revoke", "-db", db, "-credential", acmeCred, "-tenant", "globex")
	require.Equal(t, 1, code, "the wrong tenant cannot revoke it")
	quiet.WriteString(stderr)
	code, stdout, stderr = runConnections(t, "revoke", "-db", db, "-credential", acmeCred)
	require.Equal(t, 0, code, stderr)
	quiet.WriteString(stdout + stderr)
	status, _ = scimCall(t, "GET", base+"/Users", acmeTok, "")
	assert.Equal(t, 401, status, "revoked in another process, refused by the running server at once")
	status, _ = scimCall(t, "GET", base+"/Users", newTok, "")
	assert.Equal(t, 200, status)

	// Disabling refuses every credential of the connection, until enabled.
	code, _, stderr = runConnections(t, "disable", "-db", db, "-connection", acmeConn)
	require.Equal(t, 0, code, stderr)
	quiet.WriteString(stderr)
	status, body := scimCall(t, "GET", base+"/Users", newTok, "")
	assert.Equal(t, 403, status)
	assert.Equal(t, "this connection is disabled", body["detail"])
	code, _, stderr = runConnections(t, "enable", "-db", db, "-connection", acmeConn)
	require.Equal(t, 0, code, stderr)
	status, _ = scimCall(t, "GET", base+"/Users", newTok, "")
	assert.Equal(t, 200, status)

	// OAuth 2.0: a client secret for Globex's connection, exchanged for an
	// access token at /oauth/token, serves Globex's tenant.
	oauth := create("initech", "Initech Entra ID", "-oauth", "-url", root+"/scim/v2")
	require.Equal(t, root+"/oauth/token", oauth["SCIM_TOKEN_URL"])
	require.NotEmpty(t, oauth["SCIM_CLIENT_ID"])
	require.NotEmpty(t, oauth["SCIM_CLIENT_SECRET"])
	require.Empty(t, oauth["SCIM_TOKEN"])
	shown = append(shown, oauth["SCIM_CLIENT_SECRET"])
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequest("POST", oauth["SCIM_TOKEN_URL"], strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(oauth["SCIM_CLIENT_ID"]), url.QueryEscape(oauth["SCIM_CLIENT_SECRET"]))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 3600, tok.ExpiresIn)
	shown = append(shown, tok.AccessToken)
	status, _ = scimCall(t, "POST", base+"/Users", tok.AccessToken, user)
	require.Equal(t, 201, status, "the same userName is free in Initech's tenant")
	status, list = scimCall(t, "GET", base+"/Users", acmeTok, "")
	assert.Equal(t, 401, status)
	status, list = scimCall(t, "GET", base+"/Users", newTok, "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 1, list["totalResults"])
	// A wrong client secret is logged by client id, without the secret.
	req, _ = http.NewRequest("POST", oauth["SCIM_TOKEN_URL"], strings.NewReader(url.Values{"grant_type": {"client_credentials"},
		"client_id": {oauth["SCIM_CLIENT_ID"]}, "client_secret": {globexTok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)

	// Deleting a connection refuses its credentials.
	code, _, stderr = runConnections(t, "delete", "-db", db, "-connection", acmeConn)
	require.Equal(t, 0, code, stderr)
	quiet.WriteString(stderr)
	status, _ = scimCall(t, "GET", base+"/Users", newTok, "")
	assert.Equal(t, 401, status)

	require.Contains(t, logs.String(), "OAuth client authentication failed", "the failure was logged")
	everything := logs.String() + quiet.String()
	for _, s := range shown {
		require.NotContains(t, everything, s, "a secret reached a log line or a command's human output")
		require.NotContains(t, everything, s[len(s)-20:], "part of a secret reached a log line or a command's human output")
	}
}

// With a fixed token and connections, both are accepted: the token for the
// default tenant, the connections for theirs.
func TestFixedTokenBesideConnections(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scimkit.db")
	code, stdout, stderr := runConnections(t, "create", "-db", db, "-tenant", "acme", "-name", "Acme")
	require.Equal(t, 0, code, stderr)
	acmeTok := issuedVars(t, stdout)["SCIM_TOKEN"]
	root := startWith(t, db, "T", io.Discard)
	status, _ := scimCall(t, "POST", root+"/scim/v2/Users", "T", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"default@example.com"}`)
	require.Equal(t, 201, status)
	status, list := scimCall(t, "GET", root+"/scim/v2/Users", acmeTok, "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 0, list["totalResults"], "the fixed token's tenant is not acme's")
	status, list = scimCall(t, "GET", root+"/scim/v2/Users", "T", "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 1, list["totalResults"])
}
