// Package events runs an application's function for each provisioning
// event of a store's feed ([scim.EventLog]), at least once and in order,
// with its cursor persisted, so that a restart resumes where it stopped.
//
//	c := events.NewConsumer(users, users, "revoke-sessions", func(ctx context.Context, e scim.Event) error {
//		if e.Type == scim.EventUserDeactivated || e.Type == scim.EventUserDeleted {
//			return sessions.RevokeAll(ctx, e.ResourceID)
//		}
//		return nil
//	})
//	go c.Run(scim.ContextWithTenant(ctx, tenant))
package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimkit/scim"
)

// CursorStore persists the cursor of named consumers, per tenant (the
// tenant of the context). The stores of store/memstore (in memory) and
// store/sqlstore (in the database) implement it.
type CursorStore interface {
	// LoadCursor returns the cursor SaveCursor last saved for the
	// consumer, 0 if none.
	LoadCursor(ctx context.Context, consumer string) (int64, error)
	// SaveCursor saves the consumer's cursor.
	SaveCursor(ctx context.Context, consumer string, cursor int64) error
}

// Handler handles one event. An error makes the consumer call it again
// with the same event, after a backoff, until it succeeds: events are
// handled in order, and one that fails holds back those after it.
type Handler func(ctx context.Context, e scim.Event) error

// Option configures a [Consumer].
type Option func(*Consumer)

// WithBatchSize reads up to n events at a time and saves the cursor after
// each batch, so that a consumer stopped mid-batch handles at most n
// events again. The default is 100.
func WithBatchSize(n int) Option {
	return func(c *Consumer) {
		if n > 0 {
			c.batch = n
		}
	}
}

// WithPollInterval reads the feed every d when nothing wakes the consumer:
// when the log is no [scim.EventNotifier], or when another process writes
// to a shared database whose notifications do not reach this one. The
// default is one second.
func WithPollInterval(d time.Duration) Option {
	return func(c *Consumer) {
		if d > 0 {
			c.poll = d
		}
	}
}

// WithBackoff waits min after the first failure of the handler or of the
// log, doubling each time up to max. The defaults are 100ms and 30s.
func WithBackoff(min, max time.Duration) Option {
	return func(c *Consumer) {
		if min > 0 && max >= min {
			c.minBackoff, c.maxBackoff = min, max
		}
	}
}

// WithErrorHandler calls fn with each error of the handler, of the log or
// of the cursor store before the consumer retries. By default errors are
// only retried.
func WithErrorHandler(fn func(ctx context.Context, err error)) Option {
	return func(c *Consumer) { c.onError = fn }
}

// WithResync handles an expired cursor ([scim.ErrCursorExpired]: the
// events after it were discarded): the consumer takes the log's last
// cursor, calls fn, which brings the application up to date by listing
// every user and group, and then goes on from that cursor. Without it, Run
// returns the error.
func WithResync(fn func(ctx context.Context) error) Option {
	return func(c *Consumer) { c.resync = fn }
}

// Consumer delivers a feed's events to a [Handler]. Make it with
// [NewConsumer] and start it with [Consumer.Run].
type Consumer struct {
	log        scim.EventLog
	cursors    CursorStore
	name       string
	handle     Handler
	batch      int
	poll       time.Duration
	minBackoff time.Duration
	maxBackoff time.Duration
	onError    func(context.Context, error)
	resync     func(context.Context) error
}

// NewConsumer returns a consumer named name (the key of its cursor in
// cursors) that calls handle for each event of log. It panics if log,
// cursors or handle is nil, or name is empty.
func NewConsumer(log scim.EventLog, cursors CursorStore, name string, handle Handler, opts ...Option) *Consumer {
	if log == nil || cursors == nil || handle == nil || name == "" {
		panic("events: NewConsumer needs a log, a cursor store, a name and a handler")
	}
	c := &Consumer{log: log, cursors: cursors, name: name, handle: handle,
		batch: 100, poll: time.Second, minBackoff: 100 * time.Millisecond, maxBackoff: 30 * time.Second}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Run handles the events of the tenant of ctx, from the consumer's saved
// cursor on, until ctx is done; then it returns ctx's error. Delivery is
// at least once: an event whose handling was not followed by a saved
// cursor (a crash, a stop mid-batch) is handled again. It returns an error
// wrapping [scim.ErrCursorExpired] if the saved cursor expired and there
// is no [WithResync]. Run one consumer of a name per tenant at a time.
func (c *Consumer) Run(ctx context.Context) error {
	var cursor int64
	err := c.retry(ctx, func() error {
		var err error
		cursor, err = c.cursors.LoadCursor(ctx, c.name)
		return err
	})
	if err != nil {
		return err
	}
	notifier, _ := c.log.(scim.EventNotifier)
	failures := 0
	for {
		var wake <-chan struct{}
		if notifier != nil {
			// Taken before reading, so that an event committed after the
			// read still wakes us.
			wake = notifier.EventsNotify(ctx)
		}
		evs, err := c.log.Events(ctx, cursor, c.batch)
		if errors.Is(err, scim.ErrCursorExpired) {
			if c.resync == nil {
				return fmt.Errorf("events: consumer %q: %w", c.name, err)
			}
			if cursor, err = c.doResync(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			if werr := c.fail(ctx, err, &failures); werr != nil {
				return werr
			}
			continue
		}
		failures = 0
		if len(evs) == 0 {
			t := time.NewTimer(c.poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		for _, e := range evs {
			err := c.retry(ctx, func() error { return c.handle(ctx, e) })
			if err != nil {
				// Stopped while retrying: save what was handled.
				c.save(context.WithoutCancel(ctx), cursor)
				return err
			}
			cursor = e.Cursor
		}
		if err := c.retry(ctx, func() error { return c.cursors.SaveCursor(ctx, c.name, cursor) }); err != nil {
			// Stopped: the batch was handled, so save it on the way out.
			c.save(context.WithoutCancel(ctx), cursor)
			return err
		}
	}
}

func (c *Consumer) doResync(ctx context.Context) (int64, error) {
	var cursor int64
	err := c.retry(ctx, func() error {
		last, err := c.log.LastCursor(ctx)
		if err != nil {
			return err
		}
		if err := c.resync(ctx); err != nil {
			return err
		}
		cursor = last
		return c.cursors.SaveCursor(ctx, c.name, last)
	})
	return cursor, err
}

// save saves the cursor on the way out, best effort.
func (c *Consumer) save(ctx context.Context, cursor int64) {
	if err := c.cursors.SaveCursor(ctx, c.name, cursor); err != nil && c.onError != nil {
		c.onError(ctx, err)
	}
}

// retry calls fn until it succeeds or ctx is done.
func (c *Consumer) retry(ctx context.Context, fn func() error) error {
	failures := 0
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if werr := c.fail(ctx, err, &failures); werr != nil {
			return werr
		}
	}
}

// fail reports err and waits the backoff of the failures so far; it
// returns ctx's error if ctx is done first.
func (c *Consumer) fail(ctx context.Context, err error, failures *int) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if c.onError != nil {
		c.onError(ctx, err)
	}
	d := Backoff(c.minBackoff, c.maxBackoff, *failures)
	*failures++
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff returns the wait before retry number n (0 for the first): min
// doubled n times, at most max.
func Backoff(first, most time.Duration, n int) time.Duration {
	d := first
	for i := 0; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}
