package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
)

// The connections subcommand manages the per-customer credentials of the
// database that -db names, which the server then accepts, each for its
// own tenant:
//
//	go run ./examples/server connections create -tenant acme -name "Acme Entra ID"
//
// prints the SCIM URL and the connection's token, once, as SCIM_URL=… and
// SCIM_TOKEN=… lines on standard output (what to do with them goes to
// standard error), so a script can read them.

const connectionsUsage = `usage: server connections <command> [flags]

Commands (each takes -db, as the server does):
  create  -tenant T -name N [-provider entra-id|okta|other] [-oauth] [-expires D]
          a connection for tenant T and its first credential: a bearer token,
          or with -oauth an OAuth 2.0 client secret
  list    [-tenant T]                 connections and their credentials (never secrets)
  token   -connection ID [-expires D] another bearer token for a connection
  oauth   -connection ID [-expires D] an OAuth 2.0 client secret for a connection
  rotate  -credential ID [-grace D]   a new credential replacing ID; ID keeps working
                                      until revoked, or for D
  revoke  -credential ID              refuse ID from the next request on
  disable -connection ID              refuse all of a connection's credentials
  enable  -connection ID
  delete  -connection ID              delete a connection and its credentials

-tenant may be given to the commands that take an id, and must then match.
D is a duration such as 720h. Secrets are printed once; only their hashes
are stored.
`

// openConnections returns the connection store of the database dsn names
// (migrated), with a small pool of its own, or a fresh in-memory store for
// "memory".
func openConnections(ctx context.Context, dsn string) (connections.Store, func(), error) {
	if dsn == "memory" {
		return memstore.NewConnections(), func() {}, nil
	}
	driver, dialect, source := "sqlite", sqlstore.SQLite, sqlstore.SQLiteDSN(dsn)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, dialect, source = "pgx", sqlstore.Postgres, dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, nil, err
	}
	// Authentication is one short read per request.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	if err := sqlstore.Migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrating %s: %w", driver, err)
	}
	return sqlstore.NewConnections(db, dialect), func() { db.Close() }, nil
}

// connectionsExist reports whether the database dsn names holds any
// connection; a database that cannot be read holds none, and serve then
// reports what is wrong with it.
func connectionsExist(dsn string) bool {
	if dsn == "memory" {
		return false
	}
	store, closeDB, err := openConnections(context.Background(), dsn)
	if err != nil {
		return false
	}
	defer closeDB()
	all, err := store.(connections.AllConnectionsLister).AllConnections(context.Background())
	return err == nil && len(all) > 0
}

// authOptions returns the handler options that authenticate requests: the
// connections' credentials, each for its tenant, and, if token is not
// empty, the fixed token (for the default tenant "").
func authOptions(store connections.Store, token string, logger *slog.Logger) []scim.Option {
	opts := []scim.Option{scim.WithAuthenticator(connections.NewAuthenticator(store, connections.WithLogger(logger)))}
	if token != "" {
		opts = append(opts, scim.WithBearerToken(token))
	} else {
		logger.Info("no token given: only the credentials of the database's connections are accepted")
	}
	return opts
}

// tokenEndpointPath is where the server serves OAuth 2.0 access tokens.
const tokenEndpointPath = "/oauth/token"

// mountTokenEndpoint serves the OAuth 2.0 client credentials grant on mux.
func mountTokenEndpoint(mux *http.ServeMux, store connections.Store, logger *slog.Logger) {
	mux.Handle(tokenEndpointPath, connections.NewTokenHandler(store, connections.WithLogger(logger)))
}

// connectionsCommand runs "server connections args…" and returns the exit
// status.
func connectionsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprint(stderr, connectionsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("connections "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, connectionsUsage) }
	c := &connCmd{stdout: stdout, stderr: stderr}
	db := fs.String("db", "scimkit.db", `store: a SQLite file path or a postgres:// URL`)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080/scim/v2", "the SCIM base URL identity providers use, printed as SCIM_URL")
	fs.StringVar(&c.tenant, "tenant", "", "the tenant (your own id of the customer)")
	name := fs.String("name", "", "the connection's display name")
	provider := fs.String("provider", string(connections.ProviderOther), "the identity provider: entra-id, okta or other")
	oauth := fs.Bool("oauth", false, "create an OAuth 2.0 client secret instead of a bearer token")
	expires := fs.Duration("expires", 0, "make the credential expire after this long (default: never)")
	grace := fs.Duration("grace", 0, "rotate: how long the old credential keeps working (default: until revoked)")
	fs.StringVar(&c.connection, "connection", "", "the connection id")
	fs.StringVar(&c.credential, "credential", "", "the credential id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		return 2
	}
	if *db == "memory" {
		fmt.Fprintln(stderr, `connections need a database that outlives this command: give -db a SQLite file or a postgres:// URL`)
		return 2
	}
	ctx := context.Background()
	store, closeDB, err := openConnections(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "opening %s: %v\n", redact(*db), err)
		return 1
	}
	defer closeDB()
	c.store, c.m = store, connections.NewManager(store)

	switch cmd {
	case "create":
		err = c.create(ctx, *name, connections.Provider(*provider), *oauth, *expires)
	case "list":
		err = c.list(ctx)
	case "token", "oauth":
		err = c.issue(ctx, cmd == "oauth", *expires)
	case "rotate":
		err = c.rotate(ctx, *grace)
	case "revoke":
		err = c.revoke(ctx)
	case "disable", "enable":
		err = c.setDisabled(ctx, cmd == "disable")
	case "delete":
		err = c.delete(ctx)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, connectionsUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "connections %s: %v\n", cmd, err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// connCmd is one run of the connections subcommand.
type connCmd struct {
	stdout, stderr io.Writer
	store          connections.Store
	m              *connections.Manager
	url            string
	tenant         string
	connection     string
	credential     string
}

func (c *connCmd) create(ctx context.Context, name string, p connections.Provider, oauth bool, expires time.Duration) error {
	if c.tenant == "" || name == "" {
		return fmt.Errorf("%w: create needs -tenant and -name", errUsage)
	}
	conn, err := c.m.Create(ctx, c.tenant, name, p)
	if err != nil {
		return err
	}
	c.connection = conn.ID
	fmt.Fprintf(c.stderr, "Created connection %s (%q) for tenant %q.\n", conn.ID, conn.DisplayName, conn.Tenant)
	return c.issue(ctx, oauth, expires)
}

// issue makes a token or client secret for c.connection and prints it.
func (c *connCmd) issue(ctx context.Context, oauth bool, expires time.Duration) error {
	if c.connection == "" {
		return fmt.Errorf("%w: -connection is required", errUsage)
	}
	if err := c.resolveConnection(ctx); err != nil {
		return err
	}
	var issued *connections.Issued
	var err error
	if oauth {
		issued, err = c.m.CreateClientSecret(ctx, c.tenant, c.connection, expires)
	} else {
		issued, err = c.m.IssueToken(ctx, c.tenant, c.connection, expires)
	}
	if err != nil {
		return err
	}
	c.printIssued(issued)
	return nil
}

// printIssued prints a new credential for scripts on stdout and for people
// on stderr.
func (c *connCmd) printIssued(i *connections.Issued) {
	fmt.Fprintf(c.stdout, "SCIM_URL=%s\n", c.url)
	if i.Credential.Kind == connections.KindClientSecret {
		fmt.Fprintf(c.stdout, "SCIM_TOKEN_URL=%s\n", tokenURL(c.url))
		fmt.Fprintf(c.stdout, "SCIM_CLIENT_ID=%s\n", i.ClientID())
		fmt.Fprintf(c.stdout, "SCIM_CLIENT_SECRET=%s\n", i.Secret.Reveal())
		fmt.Fprintf(c.stderr, `
OAuth 2.0 client secret %s. In Microsoft Entra ID (Provisioning > Admin
credentials, authentication method "OAuth2 client credentials grant"):
  Tenant URL:        SCIM_URL
  Token endpoint:    SCIM_TOKEN_URL
  Client identifier: SCIM_CLIENT_ID
  Client secret:     SCIM_CLIENT_SECRET
The secret is shown this once; only its hash is stored.
`, i.Credential.ID)
		return
	}
	fmt.Fprintf(c.stdout, "SCIM_TOKEN=%s\n", i.Secret.Reveal())
	expiry := "It does not expire."
	if !i.Credential.Expires.IsZero() {
		expiry = "It expires at " + i.Credential.Expires.Format(time.RFC3339) + "."
	}
	fmt.Fprintf(c.stderr, `
Token %s. Give the identity provider SCIM_URL as its Tenant URL (Entra ID)
or SCIM connector base URL (Okta), and SCIM_TOKEN as its Secret Token (Entra
ID) or API token (Okta, "HTTP Header" authentication). %s
The token is shown this once; only its hash is stored.
`, i.Credential.ID, expiry)
}

// tokenURL returns the token endpoint beside the SCIM base URL scimURL.
func tokenURL(scimURL string) string {
	return strings.TrimSuffix(strings.TrimSuffix(scimURL, "/"), "/scim/v2") + tokenEndpointPath
}

func (c *connCmd) rotate(ctx context.Context, grace time.Duration) error {
	if err := c.resolveCredential(ctx); err != nil {
		return err
	}
	issued, err := c.m.Rotate(ctx, c.tenant, c.credential, grace)
	if err != nil {
		return err
	}
	c.printIssued(issued)
	if grace > 0 {
		fmt.Fprintf(c.stderr, "The old credential %s keeps working for %s.\n", c.credential, grace)
	} else {
		fmt.Fprintf(c.stderr, "The old credential %s keeps working until you revoke it:\n  connections revoke -credential %s\n",
			c.credential, c.credential)
	}
	return nil
}

func (c *connCmd) revoke(ctx context.Context) error {
	if err := c.resolveCredential(ctx); err != nil {
		return err
	}
	if err := c.m.Revoke(ctx, c.tenant, c.credential); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Revoked %s: refused from the next request on.\n", c.credential)
	return nil
}

func (c *connCmd) setDisabled(ctx context.Context, disabled bool) error {
	if err := c.resolveConnection(ctx); err != nil {
		return err
	}
	conn, err := c.m.SetDisabled(ctx, c.tenant, c.connection, disabled)
	if err != nil {
		return err
	}
	state := "enabled"
	if conn.Disabled {
		state = "disabled: its credentials are refused until it is enabled"
	}
	fmt.Fprintf(c.stderr, "Connection %s %s.\n", conn.ID, state)
	return nil
}

func (c *connCmd) delete(ctx context.Context) error {
	if err := c.resolveConnection(ctx); err != nil {
		return err
	}
	if err := c.m.Delete(ctx, c.tenant, c.connection); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Deleted connection %s and its credentials. The tenant's users and groups are kept.\n", c.connection)
	return nil
}

// resolveConnection checks -connection and sets the tenant from it when
// -tenant was not given: an operator's tool sees every tenant.
func (c *connCmd) resolveConnection(ctx context.Context) error {
	if c.connection == "" {
		return fmt.Errorf("%w: -connection is required", errUsage)
	}
	if c.tenant != "" {
		_, err := c.m.Get(ctx, c.tenant, c.connection)
		return err
	}
	all, err := c.store.(connections.AllConnectionsLister).AllConnections(ctx)
	if err != nil {
		return err
	}
	for _, conn := range all {
		if conn.ID == c.connection {
			c.tenant = conn.Tenant
			return nil
		}
	}
	return fmt.Errorf("connection %q: %w", c.connection, connections.ErrNotFound)
}

// resolveCredential checks -credential and sets the tenant from it when
// -tenant was not given.
func (c *connCmd) resolveCredential(ctx context.Context) error {
	if c.credential == "" {
		return fmt.Errorf("%w: -credential is required", errUsage)
	}
	_, conn, err := c.store.LookupCredential(ctx, c.credential)
	if err != nil {
		return err
	}
	if c.tenant == "" {
		c.tenant = conn.Tenant
	}
	return nil
}

func (c *connCmd) list(ctx context.Context) error {
	var all []*connections.Connection
	var err error
	if c.tenant != "" {
		all, err = c.m.List(ctx, c.tenant)
	} else {
		all, err = c.store.(connections.AllConnectionsLister).AllConnections(ctx)
	}
	if err != nil {
		return err
	}
	if len(all) == 0 {
		fmt.Fprintln(c.stderr, `No connections. Create one with: connections create -tenant T -name "…"`)
		return nil
	}
	now := time.Now()
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tCONNECTION\tNAME\tPROVIDER\tSTATE\tCREDENTIAL\tKIND\tCREATED\tEXPIRES\tLAST USED")
	for _, conn := range all {
		state := "enabled"
		if conn.Disabled {
			state = "disabled"
		}
		creds, err := c.m.Credentials(ctx, conn.Tenant, conn.ID)
		if err != nil {
			return err
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", conn.Tenant, conn.ID, conn.DisplayName, conn.Provider, state)
		if len(creds) == 0 {
			fmt.Fprintf(w, "%s\t-\t\t\t\t\n", row)
		}
		for _, cr := range creds {
			kind := string(cr.Kind)
			switch {
			case !cr.Revoked.IsZero():
				kind += " (revoked)"
			case !cr.Usable(now):
				kind += " (expired)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", row, cr.ID, kind, day(cr.Created), day(cr.Expires), day(cr.LastUsed))
		}
	}
	return w.Flush()
}

// day formats a time for the list; zero is "-".
func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
