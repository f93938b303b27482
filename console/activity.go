package console

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// The Activity page: what the identity provider asked, what was answered,
// and the provisioning events. The console reads them through two small
// interfaces, so that any provisioning log or event feed can be shown;
// sources.go adapts the library's own to them.

// Record is one SCIM request of the provisioning log, as the Activity page
// shows it.
type Record struct {
	// Time is when the request arrived.
	Time time.Time
	// Client names the identity provider that sent it ("Microsoft
	// Entra ID", "Okta", …), or "".
	Client string
	// Method and Path are the request's.
	Method, Path string
	// Action is what the request did, such as "user.create" or
	// "group.members_add".
	Action string
	// Target is the id of the resource it was about, TargetName its
	// userName or displayName; either may be "".
	Target, TargetName string
	// Status is the HTTP status answered; ScimType and Detail, those of
	// the SCIM error answered, if any.
	Status           int
	ScimType, Detail string
	// Duration is how long it took to answer.
	Duration time.Duration
}

// Failed reports whether the request was answered with an error.
func (r Record) Failed() bool { return r.Status >= 400 }

// RecordQuery selects records of one tenant.
type RecordQuery struct {
	// Tenant is the tenant whose records are wanted; a source returns no
	// record of another.
	Tenant string
	// FailuresOnly selects the requests answered with a status of 400 or
	// more.
	FailuresOnly bool
	// Since and Until bound the time (zero: unbounded): Since <= Time < Until.
	Since, Until time.Time
	// User selects the records whose Target or TargetName equals it (a
	// user's id or userName), or "" for all.
	User string
	// Limit is the largest number of records to return.
	Limit int
}

// RecordSource gives the Activity page the provisioning log of a tenant.
type RecordSource interface {
	// Records returns the records q selects, newest first, at most
	// q.Limit of them.
	Records(ctx context.Context, q RecordQuery) ([]Record, error)
}

// RecordSourceFunc is a function that is a [RecordSource].
type RecordSourceFunc func(ctx context.Context, q RecordQuery) ([]Record, error)

// Records calls f.
func (f RecordSourceFunc) Records(ctx context.Context, q RecordQuery) ([]Record, error) {
	return f(ctx, q)
}

// Event is one provisioning event, as the Activity page shows it.
type Event struct {
	// Time is when the change happened.
	Time time.Time
	// Type is the event's type, such as "user.deactivated".
	Type string
	// ResourceType is "User" or "Group"; ResourceID the resource's id and
	// Name its userName or displayName, if known.
	ResourceType, ResourceID, Name string
	// Summary says more, such as the attributes that changed or the
	// number of members added; it may be "".
	Summary string
}

// EventSource gives the Activity page the recent provisioning events of a
// tenant.
type EventSource interface {
	// RecentEvents returns the latest events of tenant, newest first, at
	// most limit of them.
	RecentEvents(ctx context.Context, tenant string, limit int) ([]Event, error)
}

// EventSourceFunc is a function that is an [EventSource].
type EventSourceFunc func(ctx context.Context, tenant string, limit int) ([]Event, error)

// RecentEvents calls f.
func (f EventSourceFunc) RecentEvents(ctx context.Context, tenant string, limit int) ([]Event, error) {
	return f(ctx, tenant, limit)
}

// How many records and events the Activity page shows.
const (
	activityRecords = 100
	activityEvents  = 30
)

type activityData struct {
	HasRecords, HasEvents bool
	// The filters, as the form shows them.
	Status, Period, User string
	Records              []recordView
	Events               []Event
}

type recordView struct {
	Record
	Hint string
}

// periods are the time filters the form offers.
var periods = map[string]time.Duration{"": 0, "1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

func (c *Console) activityPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := activityData{
		HasRecords: c.cfg.records != nil, HasEvents: c.cfg.events != nil,
		Status: q.Get("status"), Period: q.Get("period"), User: truncate(strings.TrimSpace(q.Get("user")), maxSearchLen),
	}
	if d.Status != "failed" && d.Status != "ok" {
		d.Status = ""
	}
	period, ok := periods[d.Period]
	if !ok {
		d.Period, period = "", 0
	}
	tenant := tenantOf(r)
	if c.cfg.records != nil {
		rq := RecordQuery{Tenant: tenant, FailuresOnly: d.Status == "failed", User: d.User, Limit: activityRecords}
		if period > 0 {
			rq.Since = time.Now().Add(-period)
		}
		recs, err := c.cfg.records.Records(r.Context(), rq)
		if err != nil {
			c.failed(w, r, "reading the provisioning log", err)
			return
		}
		for _, rec := range recs {
			if d.Status == "ok" && rec.Failed() {
				continue
			}
			d.Records = append(d.Records, recordView{Record: rec, Hint: Hint(rec)})
		}
	}
	if c.cfg.events != nil {
		evs, err := c.cfg.events.RecentEvents(r.Context(), tenant, activityEvents)
		if err != nil {
			c.failed(w, r, "reading the provisioning events", err)
			return
		}
		d.Events = evs
	}
	c.render(w, r, http.StatusOK, "activity.html", c.newPage(w, r, "Activity", "activity", d))
}
