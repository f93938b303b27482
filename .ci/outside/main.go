// Command outside is an application outside the repository, as an adopter
// writes one: it requires github.com/scimkit/scim and
// github.com/scimkit/scim/store/sqlstore by path and version, as published,
// and serves SCIM from SQLite. .ci/outside-module builds and runs it in a
// temporary module whose replace directives stand in for the module proxy.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
	_ "modernc.org/sqlite"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "outside:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "scimkit-outside")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "scim.db")))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := sqlstore.Migrate(context.Background(), db, sqlstore.SQLite); err != nil {
		return err
	}
	users, groups := sqlstore.New(db, sqlstore.SQLite)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scim.NewHandler(users, groups, scim.WithBearerToken("outside-token"))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/scim/v2/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer outside-token")
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /Users: %s, want 201 Created", resp.Status)
	}
	fmt.Println("outside: created a user through scim and sqlstore as published")
	return nil
}
