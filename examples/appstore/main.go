// Command appstore is an application that already has its own users and
// teams (tables accounts, teams and team_members) and adds SCIM 2.0
// provisioning to them with scimkit: point Entra ID or Okta at
// http://ADDR/scim/v2 with the bearer token.
//
//	SCIM_TOKEN=T go run . -addr 127.0.0.1:8080
//
// Its SCIM stores (users.go, groups.go, store.go) map SCIM to the
// application's columns, declare what they keep (so /Schemas advertises
// exactly that) and answer the lookups identity providers make with one
// indexed query. The application reacts to deactivations and membership
// changes through the handler's events (scim.WithEventSink,
// reactions.go), after each write and at most once.
//
// The bearer token comes from SCIM_TOKEN or -token (which shows it to
// everyone who can list the machine's processes); the server does not
// start without one. -db is a SQLite file (the default, appstore.db in the
// working directory) or a postgres:// URL.
package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimkit/scim"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	token := flag.String("token", "", "bearer token clients must send; prefer $SCIM_TOKEN, since a flag is visible in the process list")
	dsn := flag.String("db", "appstore.db", "a SQLite file path or a postgres:// URL")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tok := *token
	if tok == "" {
		tok = os.Getenv("SCIM_TOKEN")
	}
	if strings.TrimSpace(tok) == "" {
		logger.Error("no bearer token: set SCIM_TOKEN (or -token)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err == nil {
		err = serve(ctx, ln, tok, *dsn, logger)
	}
	if err != nil {
		logger.Error("server failed", "error", err)
		os.Exit(1)
	}
}

// open opens the database dsn names and creates the application's tables
// if they are missing.
func open(ctx context.Context, dsn string) (db *sql.DB, postgres bool, err error) {
	postgres = strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	if postgres {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", dsn+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	}
	if err != nil {
		return nil, false, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := migrate(ctx, db, postgres); err != nil {
		db.Close()
		return nil, false, fmt.Errorf("creating the tables: %w", err)
	}
	return db, postgres, nil
}

// defaultOrg returns the organisation the token provisions, created on
// first start.
func defaultOrg(ctx context.Context, db *sql.DB, postgres bool) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, "SELECT id FROM orgs ORDER BY id LIMIT 1").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return newOrg(ctx, db, postgres, "default")
	}
	return id, err
}

// newHandler returns the SCIM handler of the application's stores, which
// serves org's directory to requests that carry token and hands the events
// of each write to the application's reactions. The application decides
// the organisation of a request: here one token for one organisation,
// which a multi-tenant application replaces with a lookup of its own
// per-organisation tokens.
func newHandler(db *sql.DB, postgres bool, token string, org int64, logger *slog.Logger) http.Handler {
	users, groups := NewStores(db, postgres)
	tenant := strconv.FormatInt(org, 10)
	auth := scim.AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		got, ok := scim.BearerToken(r)
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return nil, scim.ErrUnauthenticated
		}
		return scim.ContextWithTenant(r.Context(), tenant), nil
	})
	return scim.NewHandler(users, groups, scim.WithAuthenticator(auth), scim.WithLogger(logger),
		scim.WithEventSink(reactions(users.DB, logger)))
}

// serve serves SCIM at /scim/v2 on ln until ctx is done.
func serve(ctx context.Context, ln net.Listener, token, dsn string, logger *slog.Logger) error {
	db, postgres, err := open(ctx, dsn)
	if err != nil {
		ln.Close()
		return err
	}
	defer db.Close()
	org, err := defaultOrg(ctx, db, postgres)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", newHandler(db, postgres, token, org, logger)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving SCIM", "url", "http://"+ln.Addr().String()+"/scim/v2")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
