package provlog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// Queue is a [scim.RequestLogger] that hands records to a [Sink] from a
// goroutine of its own, in batches, so that the log never blocks or fails
// a SCIM request: when the queue is full (the sink is slower than the
// requests, or down), a record is dropped and counted ([Queue.Dropped]),
// and a warning is logged at most once per report interval. Make one with
// [NewQueue], install it with [scim.WithRequestLog], and [Queue.Close] it
// when the server stops, to write what it holds.
type Queue struct {
	sink     Sink
	ch       chan *scim.RequestRecord
	batch    int
	linger   time.Duration
	timeout  time.Duration
	every    time.Duration
	logger   *slog.Logger
	mu       sync.RWMutex // held for reading while sending, so Close can wait for senders
	closed   bool
	stop     chan struct{}
	done     chan struct{}
	dropped  atomic.Uint64
	failed   atomic.Uint64
	written  atomic.Uint64
	reported uint64 // Dropped()+Failed() at the last warning; the worker's
}

// QueueOption configures a [Queue].
type QueueOption func(*Queue)

// WithCapacity sets how many records the queue holds before it drops
// them. The default is 8192; a non-positive n keeps it.
func WithCapacity(n int) QueueOption {
	return func(q *Queue) {
		if n > 0 {
			q.ch = make(chan *scim.RequestRecord, n)
		}
	}
}

// WithBatchSize sets the most records written in one [Sink.Write]. The
// default is 256; a non-positive n keeps it. The queue writes a batch when
// it is full or when the flush delay ([WithFlushDelay]) has passed since
// its first record.
func WithBatchSize(n int) QueueOption {
	return func(q *Queue) {
		if n > 0 {
			q.batch = n
		}
	}
}

// WithFlushDelay sets how long the queue waits, after a record arrives,
// for more to fill a batch before it writes: a batch write costs a
// database about one commit however many records it holds, so waiting a
// little makes the log cost far less under load. The default is 100
// milliseconds; zero writes what is there at once; a negative d keeps it.
func WithFlushDelay(d time.Duration) QueueOption {
	return func(q *Queue) {
		if d >= 0 {
			q.linger = d
		}
	}
}

// WithWriteTimeout bounds each [Sink.Write]. The default is 10 seconds; a
// non-positive d keeps it.
func WithWriteTimeout(d time.Duration) QueueOption {
	return func(q *Queue) {
		if d > 0 {
			q.timeout = d
		}
	}
}

// WithLogger sets where the queue reports dropped records and failed
// writes (never a record's content). The default is slog.Default(); a nil
// l keeps it.
func WithLogger(l *slog.Logger) QueueOption {
	return func(q *Queue) {
		if l != nil {
			q.logger = l
		}
	}
}

// WithReportInterval sets how often, at most, the queue warns that it
// dropped or failed to write records. The default is one minute; a
// non-positive d keeps it.
func WithReportInterval(d time.Duration) QueueOption {
	return func(q *Queue) {
		if d > 0 {
			q.every = d
		}
	}
}

// NewQueue returns a running queue in front of sink. It panics if sink is
// nil.
func NewQueue(sink Sink, opts ...QueueOption) *Queue {
	if sink == nil {
		panic("provlog: NewQueue needs a Sink")
	}
	q := &Queue{
		sink:    sink,
		ch:      make(chan *scim.RequestRecord, 8192),
		batch:   256,
		linger:  100 * time.Millisecond,
		timeout: 10 * time.Second,
		every:   time.Minute,
		logger:  slog.Default(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(q)
	}
	go q.run()
	return q
}

// LogRequest queues rec, or drops and counts it when the queue is full or
// closed. It never blocks.
func (q *Queue) LogRequest(_ context.Context, rec *scim.RequestRecord) {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		q.dropped.Add(1)
		return
	}
	select {
	case q.ch <- rec:
	default:
		q.dropped.Add(1)
	}
	q.mu.RUnlock()
}

// Dropped returns how many records were dropped because the queue was
// full or closed.
func (q *Queue) Dropped() uint64 { return q.dropped.Load() }

// Failed returns how many records the sink failed to write.
func (q *Queue) Failed() uint64 { return q.failed.Load() }

// Written returns how many records the sink wrote.
func (q *Queue) Written() uint64 { return q.written.Load() }

// Close stops taking records, writes those the queue holds and returns
// when they are written, or ctx's error when ctx ends first (the writing
// goes on in the background). Records logged after Close are dropped.
// Close may be called more than once.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.stop)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *Queue) run() {
	defer close(q.done)
	ticker := time.NewTicker(q.every)
	defer ticker.Stop()
	buf := make([]scim.RequestRecord, 0, q.batch)
	for {
		select {
		case rec := <-q.ch:
			buf = q.fill(append(buf[:0], *rec))
			if len(buf) < q.batch && q.linger > 0 {
				buf = q.wait(buf)
			}
			q.write(buf)
		case <-ticker.C:
			q.report()
		case <-q.stop:
			// No sender is left (Close held the lock): drain.
			for {
				buf = q.fill(buf[:0])
				if len(buf) == 0 {
					q.report()
					return
				}
				q.write(buf)
			}
		}
	}
}

// fill appends to buf the records waiting, up to a batch, without waiting.
func (q *Queue) fill(buf []scim.RequestRecord) []scim.RequestRecord {
	for len(buf) < q.batch {
		select {
		case rec := <-q.ch:
			buf = append(buf, *rec)
		default:
			return buf
		}
	}
	return buf
}

// wait appends to buf the records that arrive within the flush delay, up
// to a batch; it returns early when Close is called.
func (q *Queue) wait(buf []scim.RequestRecord) []scim.RequestRecord {
	t := time.NewTimer(q.linger)
	defer t.Stop()
	for len(buf) < q.batch {
		select {
		case rec := <-q.ch:
			buf = append(buf, *rec)
		case <-t.C:
			return buf
		case <-q.stop:
			return buf
		}
	}
	return buf
}

func (q *Queue) write(recs []scim.RequestRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	err := q.sink.Write(ctx, recs)
	cancel()
	if err != nil {
		q.failed.Add(uint64(len(recs)))
		q.logger.Error("provlog: writing request records failed", "records", len(recs), "error", err)
	} else {
		q.written.Add(uint64(len(recs)))
	}
	clear(recs) // let the records' strings go
}

// report warns when records were dropped or failed since the last report.
func (q *Queue) report() {
	lost := q.Dropped() + q.Failed()
	if lost == q.reported {
		return
	}
	q.logger.Warn("provlog: request records were lost", "dropped", q.Dropped(), "failed", q.Failed(), "since_last_report", lost-q.reported)
	q.reported = lost
}
