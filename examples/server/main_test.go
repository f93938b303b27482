package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// start serves on a free loopback port with the token "T" until the
// returned stop is called.
func start(t *testing.T, dsn string) (base string, stop func()) {
	t.Helper()
	root, stop := startServer(t, dsn, "T", io.Discard)
	return root + "/scim/v2", stop
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer T")
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

// Users written to the default SQLite store survive a restart.
func TestRestartKeepsUsers(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "scimkit.db")
	base, stop := start(t, dbPath)
	status, u := call(t, "POST", base+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"kept@example.com","active":false}`)
	require.Equal(t, 201, status)
	id := u["id"].(string)
	status, g := call(t, "POST", base+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"kept","members":[{"value":"`+id+`"}]}`)
	require.Equal(t, 201, status)
	stop()

	base, stop = start(t, dbPath)
	defer stop()
	status, got := call(t, "GET", base+"/Users/"+id, "")
	require.Equal(t, 200, status)
	assert.Equal(t, "kept@example.com", got["userName"])
	assert.Equal(t, false, got["active"])
	assert.Equal(t, g["id"], got["groups"].([]any)[0].(map[string]any)["value"])
}

func TestMemoryAndPostgresStores(t *testing.T) {
	base, stop := start(t, "memory")
	status, _ := call(t, "POST", base+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"m"}`)
	assert.Equal(t, 201, status)
	stop()

	dsn := os.Getenv("SCIMKIT_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SCIMKIT_POSTGRES_DSN is not set: skipping the PostgreSQL half (CI sets it)")
	}
	base, stop = start(t, dsn)
	defer stop()
	status, u := call(t, "POST", base+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pg-`+time.Now().Format("150405.000000000")+`"}`)
	require.Equal(t, 201, status)
	status, _ = call(t, "DELETE", base+"/Users/"+u["id"].(string), "")
	assert.Equal(t, 204, status)
}

func TestResolveTokenNeverOpensOnEmpty(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	require.NoError(t, os.WriteFile(good, []byte("  from-file \nsecond line\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n  \n"), 0o600))
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SCIM_TOKEN" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct {
		name, flag, file, env, want string
		wantErr                     bool
	}{
		{name: "flag wins", flag: "F", file: good, env: "E", want: "F"},
		{name: "file before environment", file: good, env: "E", want: "from-file"},
		{name: "environment", env: "E", want: "E"},
		{name: "nothing: the caller generates one", want: ""},
		{name: "blank flag", flag: "  ", wantErr: true},
		{name: "empty file", file: empty, wantErr: true},
		{name: "missing file", file: filepath.Join(dir, "absent"), wantErr: true},
		{name: "blank environment", env: " \t", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := resolveToken(c.flag, c.file, env(c.env))
			if c.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestServerHasTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	assert.NotZero(t, srv.ReadHeaderTimeout)
	assert.NotZero(t, srv.ReadTimeout, "a body trickled a byte at a time must not hold a connection forever")
	assert.NotZero(t, srv.WriteTimeout)
	assert.NotZero(t, srv.IdleTimeout, "idle keep-alive connections must be closed")
}

// A body sent a byte at a time is cut off once the read timeout passes.
func TestSlowBodyIsCutOff(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
		}
	}))
	srv.ReadTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"))
	require.NoError(t, err)
	closed := false
	for i := 0; i < 40 && !closed; i++ {
		time.Sleep(50 * time.Millisecond)
		if _, err := conn.Write([]byte("a")); err != nil {
			closed = true
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, err := conn.Read(make([]byte, 512)); n > 0 || (err != nil && !isTimeout(err)) {
			closed = true
		}
	}
	assert.True(t, closed, "the server kept a trickling connection open")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
