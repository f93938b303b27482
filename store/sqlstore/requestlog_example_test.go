package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/sqlstore"
)

// The provisioning log in the stores' database: a queue in front of it,
// retention, and the query an admin page runs for a user that did not
// arrive.
func ExampleUserStore_RequestLog() {
	dir, _ := os.MkdirTemp("", "requestlog-example")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "scim.db")))
	defer db.Close()
	ctx := context.Background()
	if err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
		panic(err)
	}
	users, groups := sqlstore.New(db, sqlstore.SQLite)
	reqlog := users.RequestLog(sqlstore.WithRetention(30 * 24 * time.Hour))
	queue := provlog.NewQueue(reqlog)
	h := scim.NewHandler(users, groups, scim.WithBearerToken("a secret from the environment"), scim.WithRequestLog(queue))

	// Entra ID sends a PATCH whose value has the wrong type.
	req := httptest.NewRequest("PATCH", "/Users/42", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`))
	req.Header.Set("Authorization", "Bearer a secret from the environment")
	h.ServeHTTP(httptest.NewRecorder(), req)
	_ = queue.Close(ctx)

	page, err := reqlog.Query(ctx, provlog.Query{FailuresOnly: true, Target: "42"})
	if err != nil {
		panic(err)
	}
	for _, r := range page.Records {
		fmt.Println(r.Client, r.Action, r.TargetID, r.Status, r.Detail)
	}
	deleted, _ := reqlog.Prune(ctx) // what RunRetention does every interval
	fmt.Println("pruned:", deleted)
	// Output:
	// entra-id user.deactivate 42 404 User "42" not found
	// pruned: 0
}
