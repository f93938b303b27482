package console

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
)

// Adapters from the library's own provisioning log and event feed to the
// Activity page's sources, so that an application that keeps them (with
// [scim.WithRequestLog] and a store that records events) shows them with
// one option each:
//
//	console.WithRecords(console.FromRequestLog(requestLog)),
//	console.WithEvents(console.FromEventLog(users)),

// RequestLog is the query side of a provisioning log: what
// [FromRequestLog] reads. Every [provlog.Store] has it, among them
// memstore's RequestLog (a ring in memory) and sqlstore's RequestLog (a
// table, from UserStore.RequestLog), so the console reads either without
// depending on a database.
type RequestLog interface {
	// Query returns the records q selects, newest first, a page at a
	// time; see [provlog.Store].
	Query(ctx context.Context, q provlog.Query) (provlog.Page, error)
}

// FromRequestLog returns a [RecordSource] that reads the provisioning log
// l, which [scim.WithRequestLog] fills (through a [provlog.Queue]).
//
// It asks l for the records of the query's tenant only (never those of
// all tenants, nor those of requests that failed authentication, which
// have no tenant), passes the filters on (failures only, the time range,
// the user as a target id or userName in any case) and reads as many
// pages as the limit needs. Each record keeps its status, SCIM error type
// and detail, so the Activity page highlights a failure and explains it
// ([Hint]); the client is named for people ("Microsoft Entra ID",
// "Okta"), and the path carries the query string, such as the filter of a
// lookup. A bulk request is shown as one record, with its overall status.
func FromRequestLog(l RequestLog) RecordSource {
	return RecordSourceFunc(func(ctx context.Context, q RecordQuery) ([]Record, error) {
		if q.Limit <= 0 {
			return nil, nil
		}
		pq := provlog.Query{
			Tenant:       q.Tenant,
			FailuresOnly: q.FailuresOnly,
			Since:        q.Since,
			Until:        q.Until,
			Target:       q.User,
			Limit:        min(q.Limit, provlog.MaxLimit),
		}
		var out []Record
		for {
			p, err := l.Query(ctx, pq)
			if err != nil {
				return nil, err
			}
			for i := range p.Records {
				rec := &p.Records[i]
				// A store answers for the tenant asked; this makes sure.
				if rec.Tenant != q.Tenant {
					continue
				}
				out = append(out, recordOf(rec))
				if len(out) == q.Limit {
					return out, nil
				}
			}
			if p.Next == "" || len(p.Records) == 0 {
				return out, nil
			}
			pq.Cursor = p.Next
			pq.Limit = min(q.Limit-len(out), provlog.MaxLimit)
		}
	})
}

// recordOf is the Activity page's view of a request record.
func recordOf(r *scim.RequestRecord) Record {
	path := r.Path
	if r.Query != "" {
		path += "?" + r.Query
	}
	return Record{
		Time:       r.Time,
		Client:     clientLabel(r.Client),
		Method:     r.Method,
		Path:       path,
		Action:     r.Action,
		Target:     r.TargetID,
		TargetName: r.TargetName,
		Status:     r.Status,
		ScimType:   r.ScimType,
		Detail:     r.Detail,
		Duration:   r.Duration,
	}
}

// clientLabel names a RequestRecord's client for people; "" when it is
// not one the handler recognises.
func clientLabel(c string) string {
	switch c {
	case scim.ClientEntraID:
		return "Microsoft Entra ID"
	case scim.ClientOkta:
		return "Okta"
	}
	return ""
}

// FromEventLog returns an [EventSource] that reads a store's event feed,
// such as memstore's or sqlstore's UserStore (which records the events of
// users and groups alike).
//
// The feed is read forward from a cursor, for the tenant of the context;
// the source reads it for the tenant it is asked about (with
// [scim.ContextWithTenant]) and returns the newest events first: it reads
// back from [scim.EventLog.LastCursor] as far as the limit needs, and when
// the store has discarded older events (retention), it returns those it
// still has. Each event is named by the resource's userName or
// displayName, from its snapshot or, for an event without one (a group's
// membership change), from another event of the resource among those
// returned; and summarised: the attributes that changed, or how many
// members were added or removed.
func FromEventLog(l scim.EventLog) EventSource {
	return EventSourceFunc(func(ctx context.Context, tenant string, limit int) ([]Event, error) {
		if limit <= 0 || l == nil {
			return nil, nil
		}
		ctx = scim.ContextWithTenant(ctx, tenant)
		var evs []scim.Event
		var err error
		// A store that prunes between two of the reads below makes one
		// fail as expired: read again, from the newest event.
		for range 3 {
			if evs, err = latestEvents(ctx, l, limit); !errors.Is(err, scim.ErrCursorExpired) {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		out := make([]Event, 0, len(evs))
		for i := len(evs) - 1; i >= 0; i-- {
			out = append(out, eventOf(&evs[i]))
		}
		nameFromSiblings(out)
		return out, nil
	})
}

// latestEvents returns the newest limit events of the tenant of ctx, in
// cursor order. Cursors of memstore and sqlstore have no gaps, so the
// first read, from limit events before the last, usually finds them all;
// for a feed whose cursors have gaps it reads from further back, four
// times further each time, until it has enough or has read from the start.
func latestEvents(ctx context.Context, l scim.EventLog, limit int) ([]scim.Event, error) {
	last, err := l.LastCursor(ctx)
	if err != nil || last <= 0 {
		return nil, err
	}
	window := int64(limit)
	for {
		after := max(0, last-window)
		evs, err := readEvents(ctx, l, after, last, limit)
		if errors.Is(err, scim.ErrCursorExpired) {
			// Events before the window are gone: read those retained.
			if after, err = oldestRetained(ctx, l, after, last); err != nil {
				return nil, err
			}
			return readEvents(ctx, l, after, last, limit)
		}
		if err != nil || len(evs) >= limit || after == 0 {
			return evs, err
		}
		window = min(window*4, last)
	}
}

// readEvents reads the events after the cursor after up to the cursor
// last, and returns the newest limit of them, in cursor order.
func readEvents(ctx context.Context, l scim.EventLog, after, last int64, limit int) ([]scim.Event, error) {
	page := max(limit, 100)
	var kept []scim.Event
	for after < last {
		evs, err := l.Events(ctx, after, page)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		kept = append(kept, evs...)
		if len(kept) > limit {
			kept = append(kept[:0:0], kept[len(kept)-limit:]...)
		}
		after = evs[len(evs)-1].Cursor
	}
	return kept, nil
}

// oldestRetained returns the smallest cursor in (expired, last] from
// which the feed still reads (the one before its oldest retained event),
// by bisection: reading from expired failed as expired, and reading from
// last does not fail (nothing follows it, or what follows is retained).
func oldestRetained(ctx context.Context, l scim.EventLog, expired, last int64) (int64, error) {
	lo, hi := expired, last
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		_, err := l.Events(ctx, mid, 1)
		switch {
		case errors.Is(err, scim.ErrCursorExpired):
			lo = mid
		case err != nil:
			return 0, err
		default:
			hi = mid
		}
	}
	return hi, nil
}

// nameFromSiblings names the events that have no snapshot (the membership
// changes of a group, say) after another event of the same resource among
// evs that does, such as the group's creation.
func nameFromSiblings(evs []Event) {
	names := map[[2]string]string{}
	for _, e := range evs {
		if k := [2]string{e.ResourceType, e.ResourceID}; e.Name != "" && names[k] == "" {
			names[k] = e.Name // the newest name, as evs is newest first
		}
	}
	for i := range evs {
		if evs[i].Name == "" {
			evs[i].Name = names[[2]string{evs[i].ResourceType, evs[i].ResourceID}]
		}
	}
}

// eventOf is the Activity page's view of an event.
func eventOf(e *scim.Event) Event {
	return Event{
		Time:         e.Time,
		Type:         string(e.Type),
		ResourceType: e.ResourceType,
		ResourceID:   e.ResourceID,
		Name:         snapshotName(e),
		Summary:      eventSummary(e),
	}
}

// snapshotName returns the userName of a user's snapshot, the displayName
// of a group's, or "" when the event has no snapshot.
func snapshotName(e *scim.Event) string {
	if len(e.Snapshot) == 0 {
		return ""
	}
	var s struct {
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
	}
	if json.Unmarshal(e.Snapshot, &s) != nil {
		return ""
	}
	if e.ResourceType == "User" && s.UserName != "" {
		return s.UserName
	}
	return s.DisplayName
}

// eventSummary says what an event changed, for people: "Changed
// displayName, emails" or "Added 3 members"; "" when its type says it all.
func eventSummary(e *scim.Event) string {
	switch e.Type {
	case scim.EventUserUpdated, scim.EventGroupUpdated:
		if len(e.ChangedAttributes) == 0 {
			return ""
		}
		names := make([]string, len(e.ChangedAttributes))
		for i, a := range e.ChangedAttributes {
			names[i] = attributeLabel(a)
		}
		return "Changed " + strings.Join(names, ", ")
	case scim.EventGroupMembersAdded:
		return "Added " + members(len(e.MemberIDs))
	case scim.EventGroupMembersRemoved:
		return "Removed " + members(len(e.MemberIDs))
	}
	return ""
}

// attributeLabel shortens an extension attribute's path to the name after
// its schema URN ("manager" for the enterprise extension's manager).
func attributeLabel(path string) string {
	if strings.HasPrefix(path, "urn:") {
		if i := strings.LastIndexByte(path, ':'); i >= 0 && i < len(path)-1 {
			return path[i+1:]
		}
	}
	return path
}

func members(n int) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.Itoa(n) + " members"
}
