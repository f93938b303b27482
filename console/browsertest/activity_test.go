package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/console"
)

// activityOptions wires a provisioning log into the stack: a middleware
// around the SCIM handler that records each request for the Activity page.
func activityOptions(t *testing.T, s *stack) (wrap func(http.Handler) http.Handler, opts []console.Option) {
	log := &requestLog{auth: connections.NewAuthenticator(s.conns)}
	return log.wrap, []console.Option{console.WithRecords(log)}
}

// requestLog is a minimal provisioning log for the test.
type requestLog struct {
	auth *connections.Authenticator
	mu   sync.Mutex
	recs map[string][]console.Record
}

type statusWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		conn, err := l.auth.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			return
		}
		var in struct{ UserName, DisplayName string }
		_ = json.Unmarshal(body, &in)
		var out struct{ ID, ScimType, Detail string }
		_ = json.Unmarshal(sw.body.Bytes(), &out)
		rec := console.Record{Time: start, Method: r.Method, Path: r.URL.RequestURI(), Status: sw.status,
			Action: strings.ToLower(strings.Split(strings.Trim(r.URL.Path, "/"), "/")[0]) + "." + strings.ToLower(r.Method),
			Target: out.ID, TargetName: in.UserName + in.DisplayName, Duration: time.Since(start)}
		if sw.status >= 400 {
			rec.ScimType, rec.Detail, rec.Target = out.ScimType, out.Detail, ""
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.recs == nil {
			l.recs = map[string][]console.Record{}
		}
		l.recs[conn.Tenant] = append([]console.Record{rec}, l.recs[conn.Tenant]...)
	})
}

func (l *requestLog) Records(_ context.Context, q console.RecordQuery) ([]console.Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []console.Record
	for _, r := range l.recs[q.Tenant] {
		if (q.FailuresOnly && !r.Failed()) || (q.User != "" && !strings.EqualFold(r.TargetName, q.User) && r.Target != q.User) ||
			(!q.Since.IsZero() && r.Time.Before(q.Since)) || len(out) >= q.Limit {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

var _ = scim.ContextWithTenant

// checkActivity looks at the Activity page after the replay: the requests,
// newest first, and the failed one highlighted with its hint.
func checkActivity(t *testing.T, ctx context.Context, s *stack) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(s.console("activity")), chromedp.WaitVisible(chromedp.CSS(`table.log`)))
	failed := run(t, ctx, chromedp.Text(chromedp.CSS(`tr.failed`)))
	for _, want := range []string{"409", "uniqueness", "A user with this userName already exists", "Grace.Hopper@acme.example"} {
		if !strings.Contains(failed, want) {
			t.Errorf("the failed request's row lacks %q: %s", want, failed)
		}
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.log tbody tr').length`)); n < 10 {
		t.Errorf("the log shows %d requests", n)
	}
	shoot(t, ctx, "activity")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#status`), "failed"),
		chromedp.Click(chromedp.CSS(`form[role=search] button`)),
	)
	// The form's GET loads a new page: wait for it, not for the table of
	// the old one.
	waitFor(t, ctx, `location.search.includes("status=failed") && document.readyState === "complete"`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`table.log`)))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.log tbody tr:not(.failed)').length`)); n != 0 {
		t.Errorf("failed only shows %d requests that did not fail", n)
	}
	shoot(t, ctx, "activity-failed")
}
