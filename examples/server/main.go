// Command server is a runnable SCIM 2.0 server on scimkit: point an
// identity provider (or curl) at http://ADDR/scim/v2 with the bearer token.
//
//	SCIM_TOKEN=T go run ./examples/server -addr 127.0.0.1:8080
//
// The bearer token comes from the SCIM_TOKEN environment variable, or from
// the file that -token-file names (its first line), or from -token, which
// works but shows the token to everyone who can list the machine's
// processes. With none of them, a random token is generated and printed.
// An empty token is an error: the server never starts without
// authentication.
//
// -webhook URL posts every provisioning event (user.created,
// user.deactivated, group.members_added…) to URL as a Standard Webhook,
// signed with the secret of SCIM_WEBHOOK_SECRET or -webhook-secret-file,
// in order per tenant, from a cursor kept in the database (see
// webhook.go).
//
// Every SCIM request is recorded in the database (see requestlog.go):
//
//	go run ./examples/server requests -failures
//
// prints the latest failures; -request-log=false turns the log off.
//
// -db chooses the store: a SQLite file (the default, scimkit.db in the
// working directory, so data survives a restart), "memory" for the
// in-memory store, or a postgres:// URL for PostgreSQL.
//
// To serve many customers, each through its own identity provider and in
// its own tenant, create a connection per customer (see connections.go):
//
//	go run ./examples/server connections create -tenant acme -name "Acme Entra ID"
//
// The server accepts every connection's credentials, each for its own
// tenant; once the database holds a connection, it no longer generates a
// token when none is given. OAuth 2.0 access tokens are issued at
// /oauth/token.
//
// The provisioning console, the settings pages an application shows its
// customers' IT admins, is at /admin/ once an admin password is set
// (SCIM_ADMIN_PASSWORD or -admin-password-file); it manages the tenant
// -admin-tenant ("default"), whose connections it creates.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "connections" {
		os.Exit(connectionsCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "requests" {
		os.Exit(requestsCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	token := flag.String("token", "", "bearer token clients must send; prefer $SCIM_TOKEN or -token-file, since a flag is visible in the process list")
	tokenFile := flag.String("token-file", "", "file whose first line is the bearer token")
	db := flag.String("db", "scimkit.db", `store: a SQLite file path, "memory", or a postgres:// URL`)
	hookURL := flag.String("webhook", "", "post provisioning events to this URL as signed Standard Webhooks (or $SCIM_WEBHOOK_URL)")
	hookSecret := flag.String("webhook-secret", "", "the webhooks' whsec_ secret; prefer $SCIM_WEBHOOK_SECRET or -webhook-secret-file, since a flag is visible in the process list")
	hookSecretFile := flag.String("webhook-secret-file", "", "file whose first line is the webhooks' whsec_ secret")
	resolveAdmin := adminFlags(flag.CommandLine)
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tok, err := resolveToken(*token, *tokenFile, os.Getenv)
	if err != nil {
		logger.Error("no usable bearer token", "error", err)
		os.Exit(2)
	}
	hook, err := resolveWebhook(*hookURL, *hookSecret, *hookSecretFile, os.Getenv)
	if err != nil {
		logger.Error("webhook", "error", err)
		os.Exit(2)
	}
	if *hookSecret != "" {
		logger.Warn("the -webhook-secret flag shows the secret in the process list; set SCIM_WEBHOOK_SECRET or use -webhook-secret-file instead")
	}
	if adminSettings, err = resolveAdmin(os.Getenv); err != nil {
		logger.Error("console settings", "error", err)
		os.Exit(2)
	}
	if *token != "" {
		logger.Warn("the -token flag shows the token in the process list; set SCIM_TOKEN or use -token-file instead")
	}
	if tok == "" && !connectionsExist(*db) {
		if tok, err = generateToken(); err != nil {
			logger.Error("generating a token", "error", err)
			os.Exit(1)
		}
		fmt.Printf("generated bearer token: %s\n", tok)
	}
	if err := run(*addr, tok, *db, logger, hook); err != nil {
		logger.Error("server failed", "error", err)
		os.Exit(1)
	}
}

// openStores opens the store that -db names, creating its tables if needed.
func openStores(ctx context.Context, dsn string) (scim.UserStore, scim.GroupStore, func(), error) {
	if dsn == "memory" {
		users, groups := memstore.New()
		return users, groups, func() {}, nil
	}
	driver, dialect, source := "sqlite", sqlstore.SQLite, sqlstore.SQLiteDSN(dsn)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, dialect, source = "pgx", sqlstore.Postgres, dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, nil, nil, err
	}
	sizePool(db, dialect)
	if err := sqlstore.Migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("migrating %s: %w", driver, err)
	}
	users, groups := sqlstore.New(db, dialect)
	return users, groups, func() { db.Close() }, nil
}

// Pool sizes. database/sql keeps only 2 idle connections by default, so
// under concurrent requests it opens (and PostgreSQL plans statements on) a
// new connection for most of them, and it opens without limit, so a burst
// can exhaust PostgreSQL's max_connections (100 by default) and turn into
// 500s. A bounded pool makes a burst queue instead. On PostgreSQL a
// connection serves one statement at a time, so the pool is about the
// requests the server works on at once (a few per core is plenty; keep
// replicas × pool under max_connections). SQLite has one writer at a time
// and readers that scale with cores.
const (
	postgresPoolSize = 16
	sqlitePoolSize   = 8
)

// sizePool bounds db's pool and keeps its connections open between bursts.
func sizePool(db *sql.DB, d sqlstore.Dialect) {
	n := postgresPoolSize
	if d == sqlstore.SQLite {
		n = sqlitePoolSize
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
}

func run(addr, token, dsn string, logger *slog.Logger, hook *webhookConfig) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, token, dsn, logger, hook)
}

// resolveToken returns the bearer token from, in this order, the -token
// flag, the file -token-file names, or SCIM_TOKEN; "" when none is given.
// A flag or file that is given but holds no token is an error, never an
// open server.
func resolveToken(flagToken, file string, getenv func(string) string) (string, error) {
	switch {
	case flagToken != "":
		if strings.TrimSpace(flagToken) == "" {
			return "", errors.New("-token is blank")
		}
		return flagToken, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading -token-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimSpace(line); line == "" {
			return "", fmt.Errorf("-token-file %s is empty", file)
		}
		return line, nil
	case getenv("SCIM_TOKEN") != "":
		t := getenv("SCIM_TOKEN")
		if strings.TrimSpace(t) == "" {
			return "", errors.New("SCIM_TOKEN is blank")
		}
		return t, nil
	}
	return "", nil
}

// generateToken returns a random token for a server started without one.
func generateToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Server timeouts: a client gets ReadTimeout to send a whole request (so a
// body trickled a byte at a time cannot hold a connection), WriteTimeout to
// take a response, and an idle keep-alive connection is closed after
// IdleTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 60 * time.Second
)

// newHTTPServer returns the server for h, with the timeouts above.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// serve serves SCIM on ln until ctx is done, then shuts down cleanly. It
// accepts token, unless it is empty, and the credentials of the connections
// in the database. With a hook, it posts the provisioning events there.
func serve(ctx context.Context, ln net.Listener, token, dsn string, logger *slog.Logger, hook ...*webhookConfig) error {
	users, groups, closeDB, err := openStores(ctx, dsn)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeDB()
	conns, closeConns, err := openConnections(ctx, dsn)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeConns()
	if len(hook) > 0 && hook[0] != nil {
		hookCtx, stopHooks := context.WithCancel(ctx)
		wait, err := startWebhooks(hookCtx, hook[0], users, conns, dsn, logger)
		if err != nil {
			stopHooks()
			ln.Close()
			return err
		}
		// Deliveries stop before the database closes.
		defer wait()
		defer stopHooks()
	}
	logOpts, requestLog, stopLog := startRequestLog(ctx, users, dsn, logger) // requestlog.go
	defer stopLog()
	h := scim.NewHandler(users, groups, append(append(authOptions(conns, token, logger), scim.WithLogger(logger)), logOpts...)...)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	mountTokenEndpoint(mux, conns, logger)
	mux.Handle("/admin/", adminHandler(adminSettings, conns, users, groups, h, requestLog, logger))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	srv := newHTTPServer(logRequests(logger, mux))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving SCIM", "url", "http://"+ln.Addr().String()+"/scim/v2", "db", redact(dsn))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// redact hides a password in a database URL before it is logged.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// logRequests logs one line per request: method, path, status, duration.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}
