package scim

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// defaultBulkTimeout is the default of WithBulkTimeout.
const defaultBulkTimeout = 30 * time.Second

// WithBulkTimeout bounds the time one /Bulk request may run: its
// operations run with a context that ends d after the request began, and
// once it has ended, every operation not yet done fails with status 503
// and a detail saying it did not run (or did not finish) within the bulk
// request's time budget, so that the client sends those again, without the
// ones that succeeded. An operation cut short by the budget changes nothing
// in the stores that roll back a cancelled write (sqlstore). The default is
// 30 seconds; a non-positive d keeps the budget as it was.
func WithBulkTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.bulkTimeout = d
		}
	}
}

// bulkContext returns the context of a bulk request's operations: r's,
// ending after the handler's bulk time budget.
func (h *handler) bulkContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.cfg.bulkTimeout)
}

// outOfTime reports whether the bulk request's time budget is spent while
// its client is still there.
func (b *bulkRun) outOfTime() bool {
	return errors.Is(b.base.Context().Err(), context.DeadlineExceeded) && b.parent.Err() == nil
}

// timeoutResult is the result of an operation that the time budget cut
// short (ran is false if it never started).
func (b *bulkRun) timeoutResult(ran bool) *bulkResult {
	what := "was not run"
	if ran {
		what = "did not finish"
	}
	e := errorf(http.StatusServiceUnavailable, "",
		"the operation %s: the bulk request used up its time budget of %s; send the operations that did not succeed again",
		what, b.h.cfg.bulkTimeout)
	// Not an internal error: the request was simply too long.
	b.rec.reset()
	writeErrorResponse(&b.rec, e)
	return &bulkResult{status: e.Status, response: append([]byte(nil), b.rec.body...)}
}
