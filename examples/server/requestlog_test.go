package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
)

// The server logs every request to its database by default; the requests
// subcommand finds the failures and a user's history, with the detail
// sent, and never a password.
func TestRequestLogInTheDatabase(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "scimkit.db")
	var logs bytes.Buffer
	root, stop := startServer(t, dbPath, "T", &logs)
	base := root + "/scim/v2"
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@example.com","password":"Pa55word-of-ann"}`
	status, u := call(t, "POST", base+"/Users", user)
	require.Equal(t, 201, status)
	status, _ = call(t, "POST", base+"/Users", user)
	require.Equal(t, 409, status)
	status, _ = call(t, "PATCH", base+"/Users/"+u["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	require.Equal(t, 200, status)
	stop()
	assert.Contains(t, logs.String(), "table scim_request_log")
	assert.Contains(t, logs.String(), "requests -db "+dbPath+" -failures")

	var out, errs bytes.Buffer
	require.Zero(t, requestsCommand([]string{"-db", dbPath, "-failures", "-body"}, &out, &errs), errs.String())
	assert.Contains(t, out.String(), "user.create")
	assert.Contains(t, out.String(), "409")
	assert.Contains(t, out.String(), `scimType="uniqueness"`)
	assert.NotContains(t, out.String(), "user.deactivate", "only failures")
	assert.NotContains(t, out.String(), "Pa55word-of-ann")
	assert.Contains(t, out.String(), `"password":"[redacted]"`)

	out.Reset()
	require.Zero(t, requestsCommand([]string{"-db", dbPath, "-target", "ANN@example.com", "-limit", "2"}, &out, &errs), errs.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 4, out.String())
	assert.Contains(t, lines[1], "user.deactivate", "newest first")
	assert.Contains(t, out.String(), "more: -cursor ")
	cursor := strings.TrimPrefix(lines[len(lines)-1], "more: -cursor ")
	out.Reset()
	require.Zero(t, requestsCommand([]string{"-db", dbPath, "-target", "ann@example.com", "-cursor", cursor}, &out, &errs), errs.String())
	assert.Contains(t, out.String(), "user.create")
	assert.Contains(t, out.String(), "201")
	assert.NotContains(t, logs.String(), "Pa55word-of-ann")
}

// dumpRequestLog prints every record of the request log in dsn as a
// "provlog-record:" line when SCIMKIT_DUMP_RECORDS is set, for .ci/run's
// scan for passwords, tokens and secrets.
func dumpRequestLog(t *testing.T, dsn string) {
	t.Helper()
	if os.Getenv("SCIMKIT_DUMP_RECORDS") == "" || dsn == "memory" {
		return
	}
	log, closeDB, err := openRequestLog(context.Background(), dsn)
	require.NoError(t, err)
	defer closeDB()
	q := provlog.Query{AllTenants: true, Limit: provlog.MaxLimit}
	for {
		page, err := log.Query(context.Background(), q)
		require.NoError(t, err)
		for _, r := range page.Records {
			b, err := json.Marshal(r)
			require.NoError(t, err)
			fmt.Println("provlog-record:", string(b))
		}
		if page.Next == "" {
			return
		}
		q.Cursor = page.Next
	}
}

func TestRequestLogOff(t *testing.T) {
	*requestLogFlag = false
	t.Cleanup(func() { *requestLogFlag = true })
	var logs bytes.Buffer
	opts, log, stop := startRequestLog(context.Background(), nil, "memory", slogTo(&logs))
	stop()
	assert.Empty(t, opts)
	assert.Nil(t, log)
	assert.Contains(t, logs.String(), "request log off")
}

func TestRequestLogInMemory(t *testing.T) {
	var logs bytes.Buffer
	opts, log, stop := startRequestLog(context.Background(), nil, "memory", slogTo(&logs))
	defer stop()
	require.Len(t, opts, 1)
	assert.IsType(t, &memstore.RequestLog{}, log)
	assert.Contains(t, logs.String(), "in memory")
	var _ scim.Option = opts[0]
}

func slogTo(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
