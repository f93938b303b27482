package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
	_ "modernc.org/sqlite"
)

// SQLite, with the pure-Go modernc.org/sqlite driver: open the database,
// migrate it, and hand the stores to scim.NewHandler. PostgreSQL works the
// same with sqlstore.Postgres and a pgx connection.
func Example() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "scim.db")))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
		panic(err)
	}
	users, groups := sqlstore.New(db, sqlstore.SQLite)
	_ = scim.NewHandler(users, groups, scim.WithBearerToken("a secret from the environment"))

	ada, err := users.Create(ctx, &scim.User{UserName: "ada@example.com"})
	if err != nil {
		panic(err)
	}
	if _, err := groups.Create(ctx, &scim.Group{DisplayName: "Engineers", Members: []scim.MultiValue{{Value: ada.ID}}}); err != nil {
		panic(err)
	}
	f, err := scim.ParseUserFilter(`userName eq "ADA@example.com"`) // userName is not caseExact
	if err != nil {
		panic(err)
	}
	page, err := users.List(ctx, &scim.Query{Filter: f, StartIndex: 1, Count: 10})
	if err != nil {
		panic(err)
	}
	fmt.Println(page.TotalResults, page.Resources[0].UserName, page.Resources[0].Groups[0].Display)
	// Output: 1 ada@example.com Engineers
}

// A sort that the database cannot do is answered in Go over every
// matching user, up to WithMaxScan of them; beyond that it is refused.
func ExampleWithMaxScan() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "scim.db")))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
		panic(err)
	}
	users, _ := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithMaxScan(2))
	for _, name := range []string{"ada", "bob", "cy"} {
		if _, err := users.Create(ctx, &scim.User{UserName: name}); err != nil {
			panic(err)
		}
	}
	_, err = users.List(ctx, &scim.Query{SortBy: "emails.value", StartIndex: 1, Count: 10})
	var se *scim.Error
	if errors.As(err, &se) {
		fmt.Println(se.Status, se.ScimType)
	}
	// Output: 400 tooMany
}
