// Package provlog keeps the provisioning log: the [scim.RequestRecord] the
// handler makes for every SCIM request (see [scim.WithRequestLog]), so that
// an application's admin page can answer "why did this user not arrive?".
//
// A [Queue] sits between the handler and a [Sink]: it never blocks or fails
// a SCIM request, writes records in batches, and counts what it had to
// drop. Sinks: [NewSlogSink] here, memstore.RequestLog (a bounded ring in
// memory) and sqlstore's RequestLog (a table with retention). A [Store] is
// a sink that also answers queries: by tenant, time range, failures only,
// action, target id or userName, newest first, paged with a cursor.
package provlog

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// Sink receives the records a [Queue] takes from the handler.
type Sink interface {
	// Write stores recs, in the order given (oldest first, as they were
	// served). It must not keep recs, which the caller reuses, after it
	// returns; the records' Operations slices may be kept, as nothing
	// modifies them. An error means none or only some of the records were
	// stored; the queue counts them as failed and does not retry.
	Write(ctx context.Context, recs []scim.RequestRecord) error
}

// Store is a [Sink] that answers queries.
type Store interface {
	Sink
	// Query returns the records q selects, newest first (by Time, then
	// by the order they were written in), at most q.Limit of them, and
	// a cursor to the next page. Paging with the cursor neither repeats
	// nor skips a record, even while records keep being written: records
	// written after the first page that are newer than it are not
	// returned by later pages; start again without a cursor to see them.
	// A cursor that is not one this store returned is an error wrapping
	// [ErrBadCursor].
	Query(ctx context.Context, q Query) (Page, error)
}

// Query selects records. Its zero value selects every record of the
// tenant "" (a single-tenant application's).
type Query struct {
	// Tenant selects the records of one tenant, unless AllTenants.
	Tenant     string
	AllTenants bool
	// ConnectionID, when set, selects the records of one connection.
	ConnectionID string
	// Since (inclusive) and Until (exclusive) bound Time; zero values
	// leave that side open.
	Since, Until time.Time
	// FailuresOnly selects records whose Status is 400 or more.
	FailuresOnly bool
	// Action, when set, selects one action, such as "user.create".
	Action string
	// Target, when set, selects records whose TargetID is Target, or
	// whose TargetName is Target in any case (a userName or a group's
	// displayName). A bulk request's operations are not searched.
	Target string
	// Limit is the most records a page holds: DefaultLimit when zero or
	// negative, MaxLimit at most.
	Limit int
	// Cursor is the Next of the page before, or "" for the first page.
	Cursor string
}

// Page is one page of a query's records.
type Page struct {
	Records []scim.RequestRecord
	// Next is the cursor to the next page, or "" on the last page.
	Next string
}

// The page sizes of [Query.Limit].
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// ErrBadCursor is wrapped by the error a [Store] returns for a cursor it
// did not issue.
var ErrBadCursor = errors.New("provlog: invalid cursor")

// PageLimit returns q.Limit clamped as [Query.Limit] says.
func (q Query) PageLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// Matches reports whether rec is selected by q's filters (not its cursor
// or limit). Stores that filter in memory use it.
func (q Query) Matches(rec *scim.RequestRecord) bool {
	switch {
	case !q.AllTenants && rec.Tenant != q.Tenant:
		return false
	case q.ConnectionID != "" && rec.ConnectionID != q.ConnectionID:
		return false
	case !q.Since.IsZero() && rec.Time.Before(q.Since):
		return false
	case !q.Until.IsZero() && !rec.Time.Before(q.Until):
		return false
	case q.FailuresOnly && !rec.Failed():
		return false
	case q.Action != "" && rec.Action != q.Action:
		return false
	case q.Target != "" && rec.TargetID != q.Target && !strings.EqualFold(rec.TargetName, q.Target):
		return false
	}
	return true
}

// Cursor is a position in a store's newest-first order: a record's Time
// and the sequence number the store gave it when it was written. Stores
// encode their cursors with it; to a client they are opaque strings.
type Cursor struct {
	Time int64 // Unix nanoseconds
	Seq  int64
}

// String encodes c.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time, 36) + "." + strconv.FormatInt(c.Seq, 36)))
}

// ParseCursor decodes a cursor that [Cursor.String] encoded.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	t, seq, ok := strings.Cut(string(b), ".")
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	var c Cursor
	if c.Time, err = strconv.ParseInt(t, 36, 64); err != nil {
		return Cursor{}, ErrBadCursor
	}
	if c.Seq, err = strconv.ParseInt(seq, 36, 64); err != nil {
		return Cursor{}, ErrBadCursor
	}
	return c, nil
}

// Follows reports whether a record at (t, seq) comes after c in
// newest-first order, so on a later page: an older record, or an equally
// old one written before.
func (c Cursor) Follows(t, seq int64) bool {
	return t < c.Time || t == c.Time && seq < c.Seq
}
