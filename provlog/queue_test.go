package provlog_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateSink blocks every Write until its gate is opened, and keeps what it
// was given.
type gateSink struct {
	gate    chan struct{}
	entered chan struct{} // if not nil, signalled when Write is entered
	mu      sync.Mutex
	got     []string
	fail    bool
}

func (s *gateSink) Write(_ context.Context, recs []scim.RequestRecord) error {
	if s.entered != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
	}
	<-s.gate
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	for _, r := range recs {
		s.got = append(s.got, r.RequestID)
	}
	return nil
}

func rec(i int) *scim.RequestRecord {
	return &scim.RequestRecord{RequestID: strconv.Itoa(i), Time: time.Unix(int64(i), 0)}
}

func TestQueueDropsWhenFullAndFlushesOnClose(t *testing.T) {
	sink := &gateSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	var logs bytes.Buffer
	q := provlog.NewQueue(sink, provlog.WithCapacity(4), provlog.WithBatchSize(2),
		provlog.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	// The worker takes the first record and blocks in Write; four more fill
	// the queue; the other fifteen are dropped, without blocking.
	q.LogRequest(context.Background(), rec(0))
	<-sink.entered
	for i := 1; i < 20; i++ {
		q.LogRequest(context.Background(), rec(i))
	}
	assert.Equal(t, uint64(15), q.Dropped())
	close(sink.gate)
	require.NoError(t, q.Close(context.Background()))
	assert.Equal(t, uint64(5), q.Written())
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, sink.got, "oldest first")
	assert.Contains(t, logs.String(), "provlog: request records were lost")
	assert.Contains(t, logs.String(), "dropped=15")

	// After Close, records are dropped, and Close again is fine.
	q.LogRequest(context.Background(), rec(99))
	assert.Equal(t, uint64(16), q.Dropped())
	require.NoError(t, q.Close(context.Background()))
}

func TestQueueCountsEverySentRecord(t *testing.T) {
	sink := &gateSink{gate: make(chan struct{})}
	q := provlog.NewQueue(sink, provlog.WithCapacity(8), provlog.WithBatchSize(3), provlog.WithLogger(slog.New(slog.DiscardHandler)))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				q.LogRequest(context.Background(), rec(g*1000+i))
			}
		}()
	}
	wg.Wait()
	close(sink.gate)
	require.NoError(t, q.Close(context.Background()))
	assert.Equal(t, uint64(400), q.Written()+q.Dropped())
	assert.Positive(t, q.Dropped(), "a sink that blocks makes the queue drop")
	assert.Equal(t, uint64(len(sink.got)), q.Written())
}

func TestQueueCountsFailedWrites(t *testing.T) {
	sink := &gateSink{gate: make(chan struct{}), fail: true}
	close(sink.gate)
	var logs bytes.Buffer
	q := provlog.NewQueue(sink, provlog.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for i := 0; i < 5; i++ {
		q.LogRequest(context.Background(), rec(i))
	}
	require.NoError(t, q.Close(context.Background()))
	assert.Equal(t, uint64(5), q.Failed())
	assert.Zero(t, q.Written())
	assert.Contains(t, logs.String(), "disk full")
}

func TestQueueCloseHonoursContext(t *testing.T) {
	sink := &gateSink{gate: make(chan struct{})}
	q := provlog.NewQueue(sink)
	q.LogRequest(context.Background(), rec(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, q.Close(ctx), context.Canceled)
	close(sink.gate)
	require.NoError(t, q.Close(context.Background()))
	assert.Equal(t, []string{"1"}, sink.got)
}

func TestSlogSink(t *testing.T) {
	var out bytes.Buffer
	s := provlog.NewSlogSink(slog.New(slog.NewTextHandler(&out, nil)))
	require.NoError(t, s.Write(context.Background(), []scim.RequestRecord{
		{RequestID: "r1", Tenant: "acme", Action: scim.ActionUserCreate, Status: 201, TargetName: "ann", Body: `{"userName":"ann"}`},
		{RequestID: "r2", Action: scim.ActionUserCreate, Status: 409, ScimType: "uniqueness", Detail: "taken"},
	}))
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	assert.Contains(t, string(lines[0]), "level=INFO")
	assert.Contains(t, string(lines[0]), "action=user.create")
	assert.Contains(t, string(lines[0]), "tenant=acme")
	assert.NotContains(t, string(lines[0]), "userName", "the body is not logged")
	assert.Contains(t, string(lines[1]), "level=WARN")
	assert.Contains(t, string(lines[1]), "scim_type=uniqueness")
	assert.Contains(t, string(lines[1]), "detail=taken")
}

func TestCursorRoundTrip(t *testing.T) {
	c := provlog.Cursor{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), Seq: 42}
	got, err := provlog.ParseCursor(c.String())
	require.NoError(t, err)
	assert.Equal(t, c, got)
	for _, bad := range []string{"", "!!", "bm9kb3Q", "MQ"} {
		_, err := provlog.ParseCursor(bad)
		assert.ErrorIs(t, err, provlog.ErrBadCursor, bad)
	}
	assert.True(t, c.Follows(c.Time-1, 100))
	assert.True(t, c.Follows(c.Time, 41))
	assert.False(t, c.Follows(c.Time, 42))
	assert.False(t, c.Follows(c.Time+1, 0))
}
