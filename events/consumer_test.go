package events_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type env struct {
	users *memstore.UserStore
	h     http.Handler
}

func newEnv(opts ...memstore.Option) *env {
	users, groups := memstore.New(opts...)
	return &env{users: users, h: scim.NewHandler(users, groups, scim.WithoutAuthentication())}
}

func (e *env) createUser(t *testing.T, name string) {
	t.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`)))
	require.Equal(t, http.StatusCreated, w.Code)
}

// collector records the events it handles and signals when it has n.
type collector struct {
	mu   sync.Mutex
	got  []scim.Event
	want int
	done chan struct{}
	fail map[int64]int // cursor → failures still to report
}

func newCollector(want int) *collector {
	return &collector{want: want, done: make(chan struct{}), fail: map[int64]int{}}
}

func (c *collector) handle(_ context.Context, e scim.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail[e.Cursor] > 0 {
		c.fail[e.Cursor]--
		return errors.New("transient")
	}
	c.got = append(c.got, e)
	if len(c.got) == c.want {
		close(c.done)
	}
	return nil
}

func (c *collector) cursors() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []int64{}
	for _, e := range c.got {
		out = append(out, e.Cursor)
	}
	return out
}

func run(t *testing.T, c *events.Consumer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	return func() error { cancel(); return <-errc }
}

func TestConsumerDeliversInOrderWithRetries(t *testing.T) {
	e := newEnv()
	col := newCollector(5)
	col.fail[2] = 3 // the second event fails three times first
	var errs int
	var mu sync.Mutex
	c := events.NewConsumer(e.users, e.users, "test", col.handle, events.WithBackoff(time.Millisecond, 4*time.Millisecond),
		events.WithBatchSize(2), events.WithErrorHandler(func(context.Context, error) { mu.Lock(); errs++; mu.Unlock() }))
	stop := run(t, c)
	e.createUser(t, "a")
	e.createUser(t, "b")
	e.createUser(t, "c") // woken by the notifier, not by polling
	e.createUser(t, "d")
	e.createUser(t, "e")
	<-col.done
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, []int64{1, 2, 3, 4, 5}, col.cursors(), "each event once, in order, the failing one retried until it succeeded")
	assert.Equal(t, 3, errs)
	saved, err := e.users.LoadCursor(context.Background(), "test")
	require.NoError(t, err)
	assert.Equal(t, int64(5), saved)
}

// A consumer stopped and started again resumes after its saved cursor.
func TestConsumerResumesFromSavedCursor(t *testing.T) {
	e := newEnv()
	e.createUser(t, "a")
	e.createUser(t, "b")
	first := newCollector(2)
	stop := run(t, events.NewConsumer(e.users, e.users, "c", first.handle))
	<-first.done
	require.ErrorIs(t, stop(), context.Canceled)

	e.createUser(t, "c")
	second := newCollector(1)
	stop = run(t, events.NewConsumer(e.users, e.users, "c", second.handle))
	<-second.done
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, []int64{3}, second.cursors())
}

func TestConsumerExpiredCursor(t *testing.T) {
	e := newEnv(memstore.WithEventRetention(1))
	for _, n := range []string{"a", "b", "c"} {
		e.createUser(t, n)
	}
	col := newCollector(1)
	err := events.NewConsumer(e.users, e.users, "c", col.handle).Run(context.Background())
	require.ErrorIs(t, err, scim.ErrCursorExpired, "without WithResync")

	resynced := make(chan struct{})
	c := events.NewConsumer(e.users, e.users, "c", col.handle, events.WithResync(func(context.Context) error {
		close(resynced)
		return nil
	}))
	stop := run(t, c)
	// The consumer took the last cursor before calling resync: what
	// follows is after it.
	<-resynced
	e.createUser(t, "d")
	<-col.done
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, []int64{4}, col.cursors(), "after a resync, only what follows it")
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, 100*time.Millisecond, events.Backoff(100*time.Millisecond, time.Second, 0))
	assert.Equal(t, 400*time.Millisecond, events.Backoff(100*time.Millisecond, time.Second, 2))
	assert.Equal(t, time.Second, events.Backoff(100*time.Millisecond, time.Second, 10))
}
