package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
)

// The provisioning log: by default the server keeps a record of every
// SCIM request (what the identity provider asked, what it was answered,
// and why it failed) in its database, table scim_request_log, for
// -request-log-retention. The requests subcommand prints them, running
// the queries an admin page would:
//
//	go run ./examples/server requests -tenant acme -failures
//	go run ./examples/server requests -target test.user@okta.local

var (
	requestLogFlag = flag.Bool("request-log", true,
		"keep a record of every SCIM request in the database (table scim_request_log); -request-log=false turns it off")
	requestLogRetention = flag.Duration("request-log-retention", 30*24*time.Hour,
		"how long request records are kept; older ones are deleted hourly")
)

// startRequestLog returns the handler options that log every request to
// the store's database (the in-memory ring with -db memory), through a
// queue; the log, which the console's Activity page reads; and a function
// that writes what the queue holds and stops the pruning. With
// -request-log=false it returns nothing to do and no log.
func startRequestLog(ctx context.Context, users scim.UserStore, dsn string, logger *slog.Logger) ([]scim.Option, provlog.Store, func()) {
	if !*requestLogFlag {
		logger.Info("request log off (-request-log=false)")
		return nil, nil, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var store provlog.Store
	switch u := users.(type) {
	case *sqlstore.UserStore:
		l := u.RequestLog(sqlstore.WithRetention(*requestLogRetention))
		go l.RunRetention(ctx, time.Hour, func(err error) { logger.Error("pruning the request log", "error", err) })
		store = l
		logger.Info("request log: one record per SCIM request in table scim_request_log", "db", redact(dsn),
			"retention", requestLogRetention.String(), "see", "go run ./examples/server requests -db "+redact(dsn)+" -failures")
	default:
		store = memstore.NewRequestLog(10000)
		logger.Info("request log: the last 10000 SCIM requests, in memory")
	}
	queue := provlog.NewQueue(store, provlog.WithLogger(logger))
	return []scim.Option{scim.WithRequestLog(queue)}, store, func() {
		closeCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := queue.Close(closeCtx); err != nil {
			logger.Error("writing the last request records", "error", err)
		}
		cancel()
	}
}

const requestsUsage = `usage: server requests [flags]

Prints the request log of the database -db names, newest first: the
queries an admin page runs to answer "why did this user not arrive?".
`

// requestsCommand runs "server requests args…" and returns the exit status.
func requestsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("requests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, requestsUsage); fs.PrintDefaults() }
	dsn := fs.String("db", "scimkit.db", `the server's database: a SQLite file path or a postgres:// URL`)
	var q provlog.Query
	fs.StringVar(&q.Tenant, "tenant", "", `the tenant ("" for the single-tenant server's token)`)
	fs.BoolVar(&q.AllTenants, "all-tenants", false, "every tenant's records")
	fs.StringVar(&q.ConnectionID, "connection", "", "only this connection's records")
	fs.BoolVar(&q.FailuresOnly, "failures", false, "only failed requests (status 400 or more)")
	fs.StringVar(&q.Action, "action", "", "only this action, such as user.create or group.members_add")
	fs.StringVar(&q.Target, "target", "", "only requests about this resource id, userName or group displayName")
	since := fs.Duration("since", 0, "only the records of the last D, such as 24h")
	fs.IntVar(&q.Limit, "limit", 20, "records per page")
	fs.StringVar(&q.Cursor, "cursor", "", "the page after the one that printed this cursor")
	body := fs.Bool("body", false, "print each request's (redacted) body")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dsn == "memory" {
		fmt.Fprintln(stderr, "the in-memory request log lives in the server process: nothing to read here")
		return 2
	}
	if *since > 0 {
		q.Since = time.Now().Add(-*since)
	}
	log, closeDB, err := openRequestLog(context.Background(), *dsn)
	if err != nil {
		fmt.Fprintln(stderr, "requests:", err)
		return 1
	}
	defer closeDB()
	page, err := log.Query(context.Background(), q)
	if err != nil {
		fmt.Fprintln(stderr, "requests:", err)
		return 1
	}
	printRecords(stdout, page, *body)
	return 0
}

// openRequestLog opens the request log of the database dsn names.
func openRequestLog(ctx context.Context, dsn string) (*sqlstore.RequestLog, func(), error) {
	driver, dialect, source := "sqlite", sqlstore.SQLite, sqlstore.SQLiteDSN(dsn)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, dialect, source = "pgx", sqlstore.Postgres, dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, nil, err
	}
	if err := sqlstore.Migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrating %s: %w", driver, err)
	}
	return sqlstore.NewRequestLog(db, dialect), func() { db.Close() }, nil
}

// printRecords prints a page of records as a table, each failure's
// scimType and detail and each bulk operation on lines of their own.
func printRecords(w io.Writer, page provlog.Page, body bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTENANT\tCLIENT\tACTION\tTARGET\tSTATUS\tMS\tREQUEST")
	for _, r := range page.Records {
		target := r.TargetName
		if r.TargetID != "" {
			target = strings.TrimSpace(r.TargetName + " (" + r.TargetID + ")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.1f\t%s %s\n", r.Time.Format(time.RFC3339), r.Tenant, r.Client, r.Action,
			target, r.Status, float64(r.Duration.Microseconds())/1000, r.Method, r.Path)
		if r.Failed() {
			fmt.Fprintf(tw, "\t\t\t\tscimType=%q detail=%q\t\t\t\n", r.ScimType, r.Detail)
		}
		for _, op := range r.Operations {
			fmt.Fprintf(tw, "\t\t\t  %s\t%s\t%d\t\t%s %s\n", op.Action, strings.TrimSpace(op.TargetName+" "+op.TargetID), op.Status, op.Method, op.Path)
		}
		if body && r.Body != "" {
			fmt.Fprintf(tw, "\t\t\t\tbody: %s\t\t\t\n", r.Body)
		}
	}
	tw.Flush()
	if page.Next != "" {
		fmt.Fprintf(w, "more: -cursor %s\n", page.Next)
	}
}
