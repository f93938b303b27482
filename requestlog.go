package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"
)

// The request log: with [WithRequestLog], the handler describes every
// request it serves in a [RequestRecord] (what the identity provider
// asked, what it was answered, and why it failed) and hands it to the
// application's [RequestLogger]. Package provlog queues the records and
// stores them; requestlog_derive.go derives the action, the target and
// the client, and redacts the body.

// RequestLogger receives a [RequestRecord] for every request the handler
// serves. Install one with [WithRequestLog]; package
// github.com/scimkit/scim/provlog provides a queue in front of a store.
type RequestLogger interface {
	// LogRequest is called once per request, after the response was
	// written and before ServeHTTP returns, with the request's context
	// (which carries its tenant and connection, and any trace span an
	// outer middleware started). The record is the logger's to keep: the
	// handler never touches it again. LogRequest must not block: the
	// client is waiting for ServeHTTP to return. It has no error to
	// return because the log must never fail a SCIM request.
	LogRequest(ctx context.Context, rec *RequestRecord)
}

// RequestLoggerFunc adapts a function to a [RequestLogger].
type RequestLoggerFunc func(ctx context.Context, rec *RequestRecord)

// LogRequest calls f(ctx, rec).
func (f RequestLoggerFunc) LogRequest(ctx context.Context, rec *RequestRecord) { f(ctx, rec) }

// WithRequestLog makes the handler describe every request it serves in a
// [RequestRecord] and give it to l. It may be given several times: each
// logger receives every record, in the order the options were given, and
// the record they receive is the same value, which they must not modify.
// A nil l is ignored. By default no record is made, and serving a request
// costs nothing more.
func WithRequestLog(l RequestLogger) Option {
	return func(c *config) {
		if l != nil {
			c.requestLoggers = append(c.requestLoggers, l)
		}
	}
}

// The clients a [RequestRecord] recognises, in RequestRecord.Client.
const (
	ClientEntraID = "entra-id"
	ClientOkta    = "okta"
	ClientOther   = "other"
)

// RequestRecord describes one request the handler served: what the client
// asked, what it was answered and why it failed. Strings that do not apply
// are empty. Every string is valid UTF-8 without NUL, whatever the client
// sent (invalid bytes and NUL become U+FFFD), so any sink can store it: a
// request refused for its bad text is logged like any other.
type RequestRecord struct {
	// Time is when the request arrived, in UTC.
	Time time.Time
	// RequestID identifies the request: the client's X-Request-Id or
	// client-request-id header when it sent a short printable one, else
	// 24 random hex digits.
	RequestID string
	// Tenant and ConnectionID are those the request was served for
	// ([TenantFromContext], [ConnectionIDFromContext]); empty when the
	// request failed authentication.
	Tenant       string
	ConnectionID string
	// Client is ClientEntraID, ClientOkta or ClientOther, recognised from
	// the User-Agent and the request's shape (Entra ID's feature flags in
	// the query, its ADSCIM schema URN, its capitalised PATCH ops).
	Client string
	// UserAgent is the request's User-Agent, cut to 200 bytes.
	UserAgent string
	// Method and Path are the request's; Path is relative to where the
	// handler is mounted when it is mounted with http.StripPrefix. Query
	// is the raw query string (a filter, say), cut to 1000 bytes, with the
	// values of parameters that name a secret redacted.
	Method string
	Path   string
	Query  string
	// Action is what the request did, such as "user.create",
	// "user.deactivate", "group.members_add", "users.list" or "bulk"; see
	// the Action constants.
	Action string
	// TargetID is the id of the resource acted on (of the resource
	// created, for a create); TargetName its userName or displayName,
	// from the request body or, failing that, the response.
	TargetID   string
	TargetName string
	// Status is the HTTP status sent; ScimType and Detail those of the
	// SCIM error sent, if the response was one.
	Status   int
	ScimType string
	Detail   string
	// Duration is how long serving the request took.
	Duration time.Duration
	// Body is the request body as JSON with every value that could be a
	// secret (passwords, tokens, client secrets: see [RedactJSON])
	// replaced by "[redacted]", cut to [RequestLogBodyLimit] bytes
	// (ending with "…[truncated]" when it was cut). A body that is not
	// JSON is not kept: Body then says only its size.
	Body string
	// Operations are the outcomes of a bulk request's operations, in
	// request order; nil for any other request.
	Operations []BulkOperationRecord
}

// BulkOperationRecord is the outcome of one operation of a bulk request.
type BulkOperationRecord struct {
	Method     string
	Path       string
	BulkID     string
	Action     string
	TargetID   string
	TargetName string
	Status     int
	ScimType   string
	Detail     string
}

// cleanText makes every string of r valid UTF-8 without NUL: what the
// client sent reaches the record as it came (a path, a userName, a body
// kept as is), and a database refuses to store such text (PostgreSQL's
// TEXT rejects NUL and invalid UTF-8), which would lose the whole batch of
// records it was written with.
func (r *RequestRecord) cleanText() {
	for _, s := range [...]*string{&r.RequestID, &r.Tenant, &r.ConnectionID, &r.Client, &r.UserAgent, &r.Method,
		&r.Path, &r.Query, &r.Action, &r.TargetID, &r.TargetName, &r.ScimType, &r.Detail, &r.Body} {
		*s = cleanText(*s)
	}
	for i := range r.Operations {
		o := &r.Operations[i]
		for _, s := range [...]*string{&o.Method, &o.Path, &o.BulkID, &o.Action, &o.TargetID, &o.TargetName, &o.ScimType, &o.Detail} {
			*s = cleanText(*s)
		}
	}
}

// cleanText returns s with invalid UTF-8 and NUL replaced by U+FFFD; s
// itself, without allocating, when it is valid text.
func cleanText(s string) string {
	if validText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Failed reports whether the request was answered with an error status
// (400 or above).
func (r *RequestRecord) Failed() bool { return r.Status >= 400 }

// RequestLogBodyLimit is the most bytes of a request body a
// [RequestRecord] keeps, after redaction.
const RequestLogBodyLimit = 8 << 10

// The actions a [RequestRecord] names.
const (
	ActionUserCreate         = "user.create"
	ActionUserGet            = "user.get"
	ActionUserReplace        = "user.replace"
	ActionUserPatch          = "user.patch"
	ActionUserDeactivate     = "user.deactivate"
	ActionUserReactivate     = "user.reactivate"
	ActionUserDelete         = "user.delete"
	ActionUsersList          = "users.list"
	ActionGroupCreate        = "group.create"
	ActionGroupGet           = "group.get"
	ActionGroupReplace       = "group.replace"
	ActionGroupPatch         = "group.patch"
	ActionGroupMembersAdd    = "group.members_add"
	ActionGroupMembersRemove = "group.members_remove"
	// ActionGroupMembersReplace is a PATCH that replaces the members, or
	// both adds and removes some (as Okta's group push does).
	ActionGroupMembersReplace = "group.members_replace"
	ActionGroupDelete         = "group.delete"
	ActionGroupsList          = "groups.list"
	// ActionSearch is a list or search across resource types (GET / or
	// POST /.search).
	ActionSearch    = "search"
	ActionBulk      = "bulk"
	ActionDiscovery = "discovery"
	// ActionOther is any other request: /Me, an unknown endpoint, a
	// method an endpoint does not allow.
	ActionOther = "other"
)

// logWriter is the ResponseWriter of a logged request: it keeps the
// status, and the body when it is an error or a resource the record
// needs (up to a limit), and the context the request was served with.
type logWriter struct {
	http.ResponseWriter
	status  int
	keep    int // how many body bytes to keep
	body    []byte
	ctx     context.Context
	written bool
}

func (w *logWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
		w.written = true
		if code >= 400 && w.keep < 4096 {
			w.keep = 4096
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(p []byte) (int, error) {
	if !w.written {
		w.status = http.StatusOK
		w.written = true
	}
	if room := w.keep - len(w.body); room > 0 {
		w.body = append(w.body, p[:min(room, len(p))]...)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// teeBody keeps what the handler reads of a request body, up to limit.
type teeBody struct {
	io.ReadCloser
	buf   []byte
	limit int
	total int
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.total += n
	if room := t.limit - len(t.buf); room > 0 && n > 0 {
		t.buf = append(t.buf, p[:min(room, n)]...)
	}
	return n, err
}

// serveLogged serves r through ServeHTTP with a logWriter, then builds the
// request's record and hands it to the loggers.
func (h *handler) serveLogged(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := strings.Trim(r.URL.Path, "/")
	lw := &logWriter{ResponseWriter: w, ctx: r.Context(), keep: responseKeep(r.Method, path)}
	var tee *teeBody
	if r.Body != nil && r.Body != http.NoBody {
		limit := h.cfg.maxBodyBytes
		if h.cfg.maxBulkBytes > limit {
			limit = h.cfg.maxBulkBytes
		}
		tee = &teeBody{ReadCloser: r.Body, limit: int(limit)}
		r2 := *r
		r2.Body = tee
		r = &r2
	}
	h.ServeHTTP(lw, r)
	rec := &RequestRecord{
		Time:         start.UTC(),
		RequestID:    requestID(r),
		Tenant:       TenantFromContext(lw.ctx),
		ConnectionID: ConnectionIDFromContext(lw.ctx),
		UserAgent:    cut(r.Header.Get("User-Agent"), 200),
		Method:       r.Method,
		Path:         r.URL.Path,
		Query:        redactQuery(r.URL.RawQuery),
		Status:       lw.status,
	}
	if !lw.written {
		rec.Status = http.StatusOK
	}
	var body []byte
	if tee != nil {
		body = tee.buf
		if tee.total > len(tee.buf) {
			body = nil
		}
	}
	describe(rec, path, body, tee != nil && tee.total > 0, w.Header().Get("Location"), lw.body)
	rec.cleanText()
	rec.Duration = time.Since(start)
	for _, l := range h.cfg.requestLoggers {
		l.LogRequest(lw.ctx, rec)
	}
}

// noteServedContext tells a logged request's logWriter the context the
// request is served with, once authentication chose it.
func noteServedContext(w http.ResponseWriter, ctx context.Context) {
	if lw, ok := w.(*logWriter); ok {
		lw.ctx = ctx
	}
}

// responseKeep is how many bytes of a successful response the record
// needs: a single resource's (for its name, when the request does not
// say it) or a bulk response's (for the operations' outcomes), none of a
// list or a create (whose id is in its Location). Error bodies are kept
// whatever the request (see logWriter.WriteHeader).
func responseKeep(method, path string) int {
	first, rest, _ := strings.Cut(path, "/")
	switch {
	case first == "Bulk":
		return 4 << 20
	case (first == "Users" || first == "Groups") && rest != "" && rest != ".search" && method != http.MethodPut:
		return 64 << 10
	}
	return 0
}

// requestID returns the client's request id when it sent a short printable
// one, else a random one.
func requestID(r *http.Request) string {
	for _, k := range [...]string{"X-Request-Id", "Client-Request-Id", "Request-Id"} {
		if v := r.Header.Get(k); v != "" && len(v) <= 128 && printable(v) {
			return v
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cut returns s cut to at most n bytes, on a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
