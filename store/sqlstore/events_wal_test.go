package sqlstore_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// A recording write appends its events where SQLite appends cheaply (the
// end of a rowid table): on average the commit writes little more than
// the outbox's last page on top of what the same write writes without
// events. Each variant writes to a database of its own, and a write's
// share of the WAL is the growth of the file over its commit (checkpoints
// are off, so the WAL only grows). The figures are in bench/BENCHMARKS.md,
// "Provisioning events".
func TestEventsWALFramesSQLite(t *testing.T) {
	for _, op := range []string{"post", "patch"} {
		t.Run(op, func(t *testing.T) {
			var frames [2]float64
			for v, events := range []bool{false, true} {
				path := filepath.Join(t.TempDir(), "wal.db")
				sqliteFile(t, path) // migrated
				db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path)+"&_pragma=wal_autocheckpoint(0)")
				require.NoError(t, err)
				defer db.Close()
				opts := []sqlstore.Option{}
				if !events {
					opts = append(opts, sqlstore.WithEventRetention(0))
				}
				users, groups := newStores(db, sqlstore.SQLite, opts...)
				h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
				id := post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p","active":true}`)
				size := func() int64 {
					fi, err := os.Stat(path + "-wal")
					require.NoError(t, err)
					return fi.Size()
				}
				const n = 1000
				before := size()
				for i := range n {
					if op == "post" {
						post(t, h, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+strconv.Itoa(i)+`","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"u`+strconv.Itoa(i)+`@example.com","type":"work"}],"active":true}`)
					} else {
						patchVia(t, h, "/Users/"+id, `[{"op":"Replace","path":"displayName","value":"n`+strconv.Itoa(i)+`"}]`)
					}
				}
				const frame = 4096 + 24
				frames[v] = float64(size()-before) / frame / n
			}
			off, on := frames[0], frames[1]
			t.Logf("%s: %.2f WAL frames per write without events, %.2f with (+%.2f)", op, off, on, on-off)
			assert.Less(t, on-off, 1.6, "frames the events add to a write")
		})
	}
}
