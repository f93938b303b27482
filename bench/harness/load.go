package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the measurement of one server × scenario × user count.
type Result struct {
	Server   string
	Scenario string
	Users    int
	// Planned is the number of requests the run was asked to make;
	// Requests the number that completed (fewer when the deadline hit).
	Planned     int
	Requests    int
	DeadlineHit bool
	// Errors counts completed requests whose status was not expected, and
	// transport errors; ErrSamples shows the first few.
	Errors     int
	ErrSamples []string
	// Statuses counts responses by status code.
	Statuses map[int]int
	Elapsed  time.Duration
	P50, P99 time.Duration
	// Mallocs is the process-wide runtime.MemStats.Mallocs delta over the
	// run: server, client and loopback transport together.
	Mallocs uint64
	// BytesIn is the total size of the response bodies.
	BytesIn int64
	// CPU is the CPU time (user + system) the whole process used during
	// the run. Unlike Elapsed, it hardly changes when other processes
	// compete for the machine's cores.
	CPU time.Duration
	// DBCPU is the CPU time the machine's PostgreSQL processes used during
	// the run (all of them: the run's and any other work's), since the
	// database server's work is not in CPU. Zero without PostgreSQL.
	DBCPU time.Duration

	lats []time.Duration // sorted, for merging rounds
}

// merge adds the measurements of another round of the same run.
func (r *Result) merge(o *Result) {
	r.Planned += o.Planned
	r.Requests += o.Requests
	r.DeadlineHit = r.DeadlineHit || o.DeadlineHit
	r.Errors += o.Errors
	for _, s := range o.ErrSamples {
		if len(r.ErrSamples) < maxErrSamples {
			r.ErrSamples = append(r.ErrSamples, s)
		}
	}
	if r.Statuses == nil {
		r.Statuses = make(map[int]int)
	}
	for code, k := range o.Statuses {
		r.Statuses[code] += k
	}
	r.Elapsed += o.Elapsed
	r.Mallocs += o.Mallocs
	r.BytesIn += o.BytesIn
	r.CPU += o.CPU
	r.DBCPU += o.DBCPU
	r.lats = append(r.lats, o.lats...)
	slices.Sort(r.lats)
	r.P50, r.P99 = percentiles(r.lats)
}

func percentiles(sorted []time.Duration) (p50, p99 time.Duration) {
	if len(sorted) == 0 {
		return 0, 0
	}
	return sorted[len(sorted)*50/100], sorted[min(len(sorted)*99/100, len(sorted)-1)]
}

// inflight wraps a server's handler to count the requests it is serving,
// so that a run cut short by its deadline can wait until the server has
// finished the requests the client gave up on before the next run starts.
type inflight struct {
	n atomic.Int64
	h http.Handler
}

func (f *inflight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.n.Add(1)
	defer f.n.Add(-1)
	f.h.ServeHTTP(w, r)
}

// drain waits until no request is being served, for at most limit.
func (f *inflight) drain(limit time.Duration) {
	for end := time.Now().Add(limit); f.n.Load() > 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
}

// RPS is the throughput in completed requests per second.
func (r *Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// AllocsPerReq is Mallocs per completed request.
func (r *Result) AllocsPerReq() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Mallocs) / float64(r.Requests)
}

// DBCPUPerReq is the PostgreSQL processes' CPU time per completed request.
func (r *Result) DBCPUPerReq() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.DBCPU / time.Duration(r.Requests)
}

// CPUPerReq is the process CPU time per completed request.
func (r *Result) CPUPerReq() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// Flagged reports whether the result must not be read as a clean number.
func (r *Result) Flagged() bool { return r.Errors > 0 || r.Requests == 0 }

const maxErrSamples = 5

// drainGrace is how long requests in flight at a run's deadline may take
// to finish.
const drainGrace = 30 * time.Second

// newClient returns a keep-alive client for loopback load with c workers.
func newClient(c int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil, // never leave loopback, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        4 * c,
		MaxIdleConnsPerHost: 4 * c,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

type worker struct {
	lats     []time.Duration
	statuses [600]int
	other    int
	errs     int // responses with an unexpected status
	terrs    int // requests that got no response
	bytes    int64
}

// runLoad sends requests first..first+n-1 of sc to baseURL with c
// concurrent workers until all are done or deadline passes, and measures
// them.
func runLoad(ctx context.Context, client *http.Client, baseURL, token string, sc *Scenario, st *State, first, n, c int, deadline time.Duration) Result {
	res := Result{Scenario: sc.Name, Planned: n, Statuses: make(map[int]int)}
	auth := "Bearer " + token
	expected := func(status int) bool { return slices.Contains(sc.Expect, status) }
	// No request starts after deadline; those in flight may finish within
	// drainGrace, so a server slower than the deadline still yields
	// measurements. Requests still running after that are cancelled and not
	// counted.
	issueBy := time.Now().Add(deadline)
	ctx, cancel := context.WithTimeout(ctx, deadline+drainGrace)
	defer cancel()

	var (
		next    atomic.Int64
		mu      sync.Mutex
		samples []string
		wg      sync.WaitGroup
	)
	sample := func(s string) {
		mu.Lock()
		if len(samples) < maxErrSamples {
			samples = append(samples, s)
		}
		mu.Unlock()
	}
	workers := make([]*worker, c)
	for i := range workers {
		workers[i] = &worker{lats: make([]time.Duration, 0, n/c+1)}
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, dbCPU0 := processCPU(), postgresCPU()
	start := time.Now()
	for _, wk := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil || time.Now().After(issueBy) {
					return
				}
				rq := sc.Request(st, first+i)
				var body io.Reader = http.NoBody
				if rq.Body != nil {
					body = bytes.NewReader(rq.Body)
				}
				req, err := http.NewRequestWithContext(ctx, rq.Method, baseURL+BasePath+rq.Path, body)
				if err != nil {
					wk.terrs++
					sample(err.Error())
					continue
				}
				req.Header.Set("Authorization", auth)
				if rq.Body != nil {
					req.Header.Set("Content-Type", "application/scim+json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return // cut off by the deadline: not a completed request
					}
					wk.terrs++
					sample(fmt.Sprintf("%s %s: %v", rq.Method, rq.Path, err))
					continue
				}
				if expected(resp.StatusCode) {
					nb, err := io.Copy(io.Discard, resp.Body)
					wk.bytes += nb
					if err != nil && ctx.Err() != nil {
						_ = resp.Body.Close()
						return
					}
				} else {
					wk.errs++
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
					_, _ = io.Copy(io.Discard, resp.Body)
					sample(fmt.Sprintf("%s %s: %d %s", rq.Method, rq.Path, resp.StatusCode, b))
				}
				_ = resp.Body.Close()
				wk.lats = append(wk.lats, time.Since(t0))
				if resp.StatusCode >= 0 && resp.StatusCode < len(wk.statuses) {
					wk.statuses[resp.StatusCode]++
				} else {
					wk.other++
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.CPU = processCPU() - cpu0
	res.DBCPU = postgresCPU() - dbCPU0
	runtime.ReadMemStats(&after)
	res.Mallocs = after.Mallocs - before.Mallocs

	var lats []time.Duration
	for _, wk := range workers {
		lats = append(lats, wk.lats...)
		res.Errors += wk.errs + wk.terrs
		res.Requests += wk.terrs
		res.BytesIn += wk.bytes
		for code, k := range wk.statuses {
			if k > 0 {
				res.Statuses[code] += k
			}
		}
		if wk.other > 0 {
			res.Statuses[-1] += wk.other
		}
	}
	res.Requests += len(lats)
	res.DeadlineHit = res.Requests < n
	res.ErrSamples = samples
	slices.Sort(lats)
	res.lats = lats
	res.P50, res.P99 = percentiles(lats)
	return res
}

// nullHandler answers every request with the scenario's first expected
// status after reading the body: what is left when a server does nothing,
// used to measure the client's and net/http's own allocations.
func nullHandler(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("{}"))
	})
}
