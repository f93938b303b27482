package memstore

import (
	"context"
	"fmt"

	"github.com/scimkit/scim"
)

// The event feed: each partition records the events of its writes under
// the same lock as the writes, so an event exists exactly when its change
// does, and keeps the newest ones (WithEventRetention).

// DefaultEventRetention is the number of events per partition that
// [New] keeps unless told otherwise with [WithEventRetention].
const DefaultEventRetention = 10000

// WithEventRetention keeps the newest n events of each partition (tenant);
// a reader whose cursor is older gets [scim.ErrCursorExpired]. With n <= 0
// the stores record no events at all (RecordsEvents reports false). The
// default is [DefaultEventRetention].
func WithEventRetention(n int) Option {
	return func(c *config) { c.retention = n; c.retentionSet = true }
}

// eventLog is one partition's feed. It is guarded by partition.mu.
type eventLog struct {
	// evs are the retained events, in cursor order, with consecutive
	// cursors.
	evs []scim.Event
	// seq is the cursor of the newest event ever recorded.
	seq int64
	// wake is closed, and replaced, when events are recorded.
	wake chan struct{}
}

// record gives evs their cursors and partition, and keeps copies of them.
// The caller holds p.mu for writing, within the write the events describe.
func (p *partition) record(b *backend, evs []scim.Event) {
	if len(evs) == 0 {
		return
	}
	l := &p.log
	for i := range evs {
		l.seq++
		evs[i].Cursor = l.seq
		evs[i].Tenant = p.key
	}
	l.evs = append(l.evs, evs...)
	// Trimming only once the log holds twice the retention keeps the cost
	// of a write constant on average.
	if n := b.retention; len(l.evs) >= 2*n {
		kept := make([]scim.Event, n, 2*n)
		copy(kept, l.evs[len(l.evs)-n:])
		l.evs = kept
	}
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
}

// formerGroups returns the ids of the groups that have the resource with
// the given id as a member.
func (p *partition) formerGroups(id string) []string {
	gs := p.appendGroupRecs(nil, foldKey(id))
	if len(gs) == 0 {
		return nil
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.g.ID
	}
	return ids
}

// change returns the Change of a write made with ctx, or nil when the
// stores record no events.
func (b *backend) change(ctx context.Context) *scim.Change {
	if b.retention <= 0 {
		return nil
	}
	return scim.ChangeFromContext(ctx)
}

// RecordsEvents reports whether the stores record events: true unless
// [WithEventRetention] was given n <= 0. It makes UserStore a
// [scim.EventRecorder].
func (s *UserStore) RecordsEvents() bool { return s.b.retention > 0 }

// RecordsEvents is UserStore.RecordsEvents; it makes GroupStore a
// [scim.EventRecorder].
func (s *GroupStore) RecordsEvents() bool { return s.b.retention > 0 }

// Events returns up to limit events of the partition of ctx after the
// cursor after; see [scim.EventLog]. The events share their slices with
// the store: a reader must not change them.
func (s *UserStore) Events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	return s.b.events(ctx, after, limit)
}

// Events is UserStore.Events.
func (s *GroupStore) Events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	return s.b.events(ctx, after, limit)
}

// LastCursor returns the cursor of the newest event of the partition of
// ctx; see [scim.EventLog].
func (s *UserStore) LastCursor(ctx context.Context) (int64, error) { return s.b.lastCursor(ctx), nil }

// LastCursor is UserStore.LastCursor.
func (s *GroupStore) LastCursor(ctx context.Context) (int64, error) { return s.b.lastCursor(ctx), nil }

// EventsNotify returns a channel closed when the partition of ctx records
// events; see [scim.EventNotifier].
func (s *UserStore) EventsNotify(ctx context.Context) <-chan struct{} { return s.b.notify(ctx) }

// EventsNotify is UserStore.EventsNotify.
func (s *GroupStore) EventsNotify(ctx context.Context) <-chan struct{} { return s.b.notify(ctx) }

var (
	_ scim.EventRecorder = (*UserStore)(nil)
	_ scim.EventRecorder = (*GroupStore)(nil)
	_ scim.EventLog      = (*UserStore)(nil)
	_ scim.EventLog      = (*GroupStore)(nil)
	_ scim.EventNotifier = (*UserStore)(nil)
	_ scim.EventNotifier = (*GroupStore)(nil)
)

func (b *backend) events(ctx context.Context, after int64, limit int) ([]scim.Event, error) {
	p := b.partition(ctx, false)
	if p == nil || limit <= 0 {
		return nil, nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	l := &p.log
	first := l.seq - int64(len(l.evs)) + 1 // cursor of l.evs[0]
	if after < first-1 {
		return nil, fmt.Errorf("memstore: events after cursor %d are no longer retained: %w", after, scim.ErrCursorExpired)
	}
	if after >= l.seq {
		return nil, nil
	}
	i := int(after - first + 1)
	n := min(limit, len(l.evs)-i)
	out := make([]scim.Event, n)
	copy(out, l.evs[i:i+n])
	return out, nil
}

func (b *backend) lastCursor(ctx context.Context) int64 {
	p := b.partition(ctx, false)
	if p == nil {
		return 0
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.log.seq
}

func (b *backend) notify(ctx context.Context) <-chan struct{} {
	p := b.partition(ctx, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log.wake == nil {
		p.log.wake = make(chan struct{})
	}
	return p.log.wake
}

// LoadCursor returns the cursor that SaveCursor last saved for the named
// consumer in the partition of ctx, 0 if none. Cursors live in memory, as
// the events do.
func (s *UserStore) LoadCursor(ctx context.Context, consumer string) (int64, error) {
	return s.b.loadCursor(ctx, consumer), nil
}

// LoadCursor is UserStore.LoadCursor.
func (s *GroupStore) LoadCursor(ctx context.Context, consumer string) (int64, error) {
	return s.b.loadCursor(ctx, consumer), nil
}

// SaveCursor saves the named consumer's cursor in the partition of ctx.
func (s *UserStore) SaveCursor(ctx context.Context, consumer string, cursor int64) error {
	s.b.saveCursor(ctx, consumer, cursor)
	return nil
}

// SaveCursor is UserStore.SaveCursor.
func (s *GroupStore) SaveCursor(ctx context.Context, consumer string, cursor int64) error {
	s.b.saveCursor(ctx, consumer, cursor)
	return nil
}

func (b *backend) loadCursor(ctx context.Context, consumer string) int64 {
	b.cursorMu.Lock()
	defer b.cursorMu.Unlock()
	return b.cursors[[2]string{b.partitionOf(ctx), consumer}]
}

func (b *backend) saveCursor(ctx context.Context, consumer string, cursor int64) {
	b.cursorMu.Lock()
	defer b.cursorMu.Unlock()
	if b.cursors == nil {
		b.cursors = map[[2]string]int64{}
	}
	b.cursors[[2]string{b.partitionOf(ctx), consumer}] = cursor
}
