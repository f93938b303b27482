package memstore

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
)

// RequestLog is a [provlog.Store] that keeps the most recent request
// records in memory, in a ring of fixed capacity: once full, each record
// written replaces the oldest. It suits tests, demos and a single process
// that can lose its log on restart. It is safe for concurrent use.
type RequestLog struct {
	mu   sync.RWMutex
	ring []ringRecord
	next int   // where the next record goes
	seq  int64 // sequence number of the last record written
}

type ringRecord struct {
	rec scim.RequestRecord
	seq int64 // 0: empty slot
}

// NewRequestLog returns a RequestLog holding at most capacity records;
// a non-positive capacity means 10000.
func NewRequestLog(capacity int) *RequestLog {
	if capacity <= 0 {
		capacity = 10000
	}
	return &RequestLog{ring: make([]ringRecord, capacity)}
}

// Write keeps recs, dropping the oldest records beyond the capacity. It
// never fails.
func (l *RequestLog) Write(_ context.Context, recs []scim.RequestRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range recs {
		l.seq++
		l.ring[l.next] = ringRecord{rec: recs[i], seq: l.seq}
		l.next = (l.next + 1) % len(l.ring)
	}
	return nil
}

// Len returns how many records the log holds.
func (l *RequestLog) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return int(min(l.seq, int64(len(l.ring))))
}

// Query returns the records q selects, as [provlog.Store] says. It scans
// the whole ring.
func (l *RequestLog) Query(ctx context.Context, q provlog.Query) (provlog.Page, error) {
	var after *provlog.Cursor
	if q.Cursor != "" {
		c, err := provlog.ParseCursor(q.Cursor)
		if err != nil {
			return provlog.Page{}, err
		}
		after = &c
	}
	if err := ctx.Err(); err != nil {
		return provlog.Page{}, err
	}
	limit := q.PageLimit()
	var hits []ringRecord
	l.mu.RLock()
	for i := range l.ring {
		r := &l.ring[i]
		if r.seq == 0 || !q.Matches(&r.rec) {
			continue
		}
		if after != nil && !after.Follows(r.rec.Time.UnixNano(), r.seq) {
			continue
		}
		hits = append(hits, *r)
	}
	l.mu.RUnlock()
	slices.SortFunc(hits, func(a, b ringRecord) int {
		if c := b.rec.Time.Compare(a.rec.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	var p provlog.Page
	if len(hits) > limit {
		last := hits[limit-1]
		p.Next = provlog.Cursor{Time: last.rec.Time.UnixNano(), Seq: last.seq}.String()
		hits = hits[:limit]
	}
	p.Records = make([]scim.RequestRecord, len(hits))
	for i := range hits {
		p.Records[i] = hits[i].rec
	}
	return p, nil
}

var _ provlog.Store = (*RequestLog)(nil)
