// Command server is a runnable SCIM 2.0 server on scimkit: point an
// identity provider (or curl) at http://ADDR/scim/v2 with the bearer token.
//
//	go run ./examples/server -addr 127.0.0.1:8080 -token T
//
// The token may also come from SCIM_TOKEN; with neither, a random token is
// generated and printed.
//
// -db chooses the store: a SQLite file (the default, scimkit.db in the
// working directory, so data survives a restart), "memory" for the
// in-memory store, or a postgres:// URL for PostgreSQL.
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
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	token := flag.String("token", "", "bearer token clients must send (default $SCIM_TOKEN, else a generated one)")
	db := flag.String("db", "scimkit.db", `store: a SQLite file path, "memory", or a postgres:// URL`)
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *token, *db, logger); err != nil {
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
	if err := sqlstore.Migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("migrating %s: %w", driver, err)
	}
	users, groups := sqlstore.New(db, dialect)
	return users, groups, func() { db.Close() }, nil
}

func run(addr, token, dsn string, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, token, dsn, logger)
}

// serve serves SCIM on ln until ctx is done, then shuts down cleanly.
func serve(ctx context.Context, ln net.Listener, token, dsn string, logger *slog.Logger) error {
	if token == "" {
		token = os.Getenv("SCIM_TOKEN")
	}
	if token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token = hex.EncodeToString(b)
		fmt.Printf("generated bearer token: %s\n", token)
	}

	users, groups, closeDB, err := openStores(ctx, dsn)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeDB()
	h := scim.NewHandler(users, groups,
		scim.WithBearerToken(token),
		scim.WithLogger(logger),
	)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	srv := &http.Server{
		Handler:           logRequests(logger, mux),
		ReadHeaderTimeout: 10 * time.Second,
	}
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
