package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
)

// The provisioning console at /admin/: the page an application shows its
// customers' IT admins (SCIM URL, tokens, guides, activity, directory,
// check). The example signs one admin in with a password (HTTP Basic
// authentication, any user name) and serves one tenant, -admin-tenant;
// an application signs its own admins in and tells the console each one's
// tenant.

// adminSettings are the console's settings, set from the flags by main.
var adminSettings adminConfig

type adminConfig struct {
	// password is the admin password; "" disables the console.
	password string
	// tenant is the tenant the admin manages.
	tenant string
}

// adminFlags registers the console's flags on fs; resolve reads them.
func adminFlags(fs *flag.FlagSet) (resolve func(getenv func(string) string) (adminConfig, error)) {
	file := fs.String("admin-password-file", "", "file whose first line is the password of the console at /admin/ (or set $SCIM_ADMIN_PASSWORD)")
	tenant := fs.String("admin-tenant", "default", "the tenant the console at /admin/ manages")
	return func(getenv func(string) string) (adminConfig, error) {
		cfg := adminConfig{tenant: *tenant, password: getenv("SCIM_ADMIN_PASSWORD")}
		if *file != "" {
			b, err := os.ReadFile(*file)
			if err != nil {
				return cfg, fmt.Errorf("reading -admin-password-file: %w", err)
			}
			line, _, _ := strings.Cut(string(b), "\n")
			if cfg.password = strings.TrimSpace(line); cfg.password == "" {
				return cfg, fmt.Errorf("-admin-password-file %s is empty", *file)
			}
		}
		if cfg.password != "" && strings.TrimSpace(cfg.password) == "" {
			return cfg, errors.New("SCIM_ADMIN_PASSWORD is blank")
		}
		if strings.TrimSpace(cfg.tenant) == "" {
			return cfg, errors.New("-admin-tenant is empty")
		}
		return cfg, nil
	}
}

// adminHandler returns the console for cfg, or, without a password, a page
// that says how to enable it and shows no data. scimHandler is the SCIM
// handler the Check page runs its requests against. The Activity page
// shows requestLog, the provisioning log the SCIM handler writes (none
// when it is nil: -request-log=false), and the event feed of users, the
// store's (sqlstore's and memstore's record the events of every change).
func adminHandler(cfg adminConfig, store connections.Store, users scim.UserStore, groups scim.GroupStore,
	scimHandler http.Handler, requestLog console.RequestLog, logger *slog.Logger) http.Handler {
	if cfg.password == "" {
		return http.HandlerFunc(adminDisabled)
	}
	opts := []console.Option{console.WithSCIMHandler(scimHandler), console.WithLogger(logger)}
	if requestLog != nil {
		opts = append(opts, console.WithRecords(console.FromRequestLog(requestLog)))
	}
	if feed, ok := users.(scim.EventLog); ok && recordsEvents(users) {
		opts = append(opts, console.WithEvents(console.FromEventLog(feed)))
	}
	c := console.New(connections.NewManager(store), users, groups,
		func(*http.Request) (string, bool) { return cfg.tenant, true }, opts...)
	return requirePassword(cfg.password, http.StripPrefix("/admin", c))
}

// requirePassword serves next to requests that carry password with HTTP
// Basic authentication, and asks for it otherwise.
func requirePassword(password string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got, ok := r.BasicAuth()
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="scimkit console", charset="UTF-8"`)
			http.Error(w, "The console needs the admin password.", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var adminDisabledPage = template.Must(template.New("disabled").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Console disabled</title></head>
<body>
<h1>The provisioning console is not enabled</h1>
<p>It shows your tenant's connections, tokens and users, so it needs an admin password. Start the server with one:</p>
<pre>SCIM_ADMIN_PASSWORD=… go run ./examples/server
go run ./examples/server -admin-password-file admin-password.txt</pre>
<p>then open this page again and sign in with any user name and that password.</p>
</body></html>`))

func adminDisabled(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = adminDisabledPage.Execute(w, nil)
}

// recordsEvents reports whether the store records events (a store that
// does not has an empty feed, which the Activity page would show as "no
// changes yet" rather than "records no events").
func recordsEvents(s any) bool {
	r, ok := s.(scim.EventRecorder)
	return ok && r.RecordsEvents()
}
