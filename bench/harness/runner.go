package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config describes one benchmark run.
type Config struct {
	// N is the number of measured requests per server × scenario (over all
	// rounds); C the number of concurrent clients.
	N, C int
	// Rounds splits each server × scenario run into this many rounds, each
	// on a freshly seeded server, with the servers' order reversed every
	// other round, so that a machine whose speed drifts during the run
	// (other load, thermal limits) does not favour one server.
	Rounds int
	// Users lists the user counts to seed; non-Large scenarios run only at
	// counts up to SmallFleet.
	Users     []int
	Scenarios []Scenario
	// Servers restricts the run to these server names; empty means all.
	Servers []string
	// Factories, when not empty, are the servers to run instead of
	// Factories() (the SQL comparison passes SQLFactories).
	Factories []Factory
	// Deadline bounds each server × scenario run over all its rounds
	// (warm-up included): no request starts after it, and requests in
	// flight then get drainGrace more to finish.
	Deadline time.Duration
	// Profile labels each server's request goroutines with
	// pprof.Labels("server", name), so that a CPU profile of the whole run
	// can be narrowed to one server with -tagfocus. It costs a few
	// allocations per request, so it is off unless profiling.
	Profile bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Report is the outcome of Run.
type Report struct {
	Config  Config
	Results []Result
	// Baselines holds, per user count and scenario, the null server's
	// run: the client's and net/http's own cost.
	Baselines map[string]Result
	// LoadBefore and LoadAfter are the machine's load averages around the
	// run, to show how busy it was with other work.
	LoadBefore, LoadAfter string
}

func baselineKey(users int, scenario string) string { return strconv.Itoa(users) + "/" + scenario }

// Token is the bearer token every server requires.
const Token = "bench-token-6f1c2d"

// warmupCount is how many untimed requests precede each measured run.
func warmupCount(n int) int { return min(max(n/20, 1), 200) }

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// Run seeds each server with the same data for each user count and runs
// the scenarios against it, one server at a time.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Rounds = max(cfg.Rounds, 1)
	rep := &Report{Config: cfg, Baselines: make(map[string]Result), LoadBefore: loadAvg()}
	defer func() { rep.LoadAfter = loadAvg() }()
	all := cfg.Factories
	if len(all) == 0 {
		all = Factories()
	}
	var factories []Factory
	for _, f := range all {
		if len(cfg.Servers) == 0 || slices.Contains(cfg.Servers, f.Name) {
			factories = append(factories, f)
		}
	}
	for _, users := range cfg.Users {
		var scs []Scenario
		for _, sc := range cfg.Scenarios {
			if users <= SmallFleet || sc.Large {
				scs = append(scs, sc)
			}
		}
		if len(scs) == 0 {
			continue
		}
		ds := MakeDataset(users)
		merged := make(map[string]*Result)
		var order []string
		for round := range cfg.Rounds {
			n := cfg.N / cfg.Rounds
			if round == 0 {
				n += cfg.N % cfg.Rounds
			}
			fs := slices.Clone(factories)
			if round%2 == 1 {
				slices.Reverse(fs)
			}
			for _, f := range fs {
				results, err := runServer(ctx, &cfg, rep, f, ds, users, scs, n, round)
				if err != nil {
					return rep, fmt.Errorf("%s at %d users: %w", f.Name, users, err)
				}
				for i := range results {
					r := &results[i]
					key := r.Server + "/" + r.Scenario
					if m, ok := merged[key]; ok {
						m.merge(r)
					} else {
						merged[key] = r
						order = append(order, key)
					}
				}
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
			}
		}
		for _, f := range factories {
			for _, sc := range scs {
				if r, ok := merged[f.Name+"/"+sc.Name]; ok {
					rep.Results = append(rep.Results, *r)
					cfg.logf("%-8s %7d users %-16s %9.0f req/s  p50 %-9v p99 %-9v %6.0f allocs/req  errors %d%s  [all rounds]",
						r.Server, users, r.Scenario, r.RPS(), r.P50, r.P99, r.AllocsPerReq(), r.Errors, deadlineNote(r))
				}
			}
		}
	}
	return rep, nil
}

func runServer(ctx context.Context, cfg *Config, rep *Report, f Factory, ds *Dataset, users int, scs []Scenario, n, round int) ([]Result, error) {
	srv, err := f.New(Token)
	if err != nil {
		return nil, err
	}
	if c, ok := srv.(io.Closer); ok {
		defer c.Close()
	}
	t0 := time.Now()
	ids, err := Seed(srv, ds)
	if err != nil {
		return nil, err
	}
	// A database gets its statistics after the preload, as autovacuum
	// would give them before production traffic.
	if a, ok := srv.(interface{ Analyze() error }); ok {
		if err := a.Analyze(); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
	}
	cfg.logf("%-8s %7d users: round %d, seeded in %v", f.Name, users, round+1, time.Since(t0).Round(time.Millisecond))
	var h http.Handler = srv.Handler()
	if cfg.Profile {
		h = labelled(f.Name, h)
	}
	live := &inflight{h: h}
	ts := httptest.NewServer(live)
	defer ts.Close()
	client := newClient(cfg.C)
	defer client.CloseIdleConnections()

	deadline := cfg.Deadline / time.Duration(cfg.Rounds)
	var out []Result
	for i := range scs {
		sc := &scs[i]
		st := &State{DS: ds, IDs: ids}
		w := warmupCount(n)
		if sc.Prepare != nil {
			if err := sc.Prepare(srv, st, n+w); err != nil {
				return nil, fmt.Errorf("prepare %s: %w", sc.Name, err)
			}
		}
		// The warm-up gets a tenth of the time, so that a slow server still
		// has most of it for measured requests.
		runLoad(ctx, client, ts.URL, Token, sc, st, n, w, cfg.C, deadline/10)
		live.drain(time.Minute)
		res := runLoad(ctx, client, ts.URL, Token, sc, st, 0, n, cfg.C, deadline*9/10)
		live.drain(time.Minute)
		res.Server, res.Users = f.Name, users
		out = append(out, res)
		cfg.logf("%-8s %7d users %-16s %9.0f req/s  p50 %-9v p99 %-9v %6.0f allocs/req  errors %d%s",
			f.Name, users, sc.Name, res.RPS(), res.P50, res.P99, res.AllocsPerReq(), res.Errors, deadlineNote(&res))
		if _, ok := rep.Baselines[baselineKey(users, sc.Name)]; !ok {
			rep.Baselines[baselineKey(users, sc.Name)] = runBaseline(ctx, cfg, sc, st, n)
		}
	}
	return out, nil
}

func labelled(server string, h http.Handler) http.Handler {
	labels := pprof.Labels("server", server)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), labels, func(ctx context.Context) { h.ServeHTTP(w, r.WithContext(ctx)) })
	})
}

func deadlineNote(r *Result) string {
	if r.DeadlineHit {
		return fmt.Sprintf("  (deadline: %d of %d)", r.Requests, r.Planned)
	}
	return ""
}

// runBaseline runs up to n of the scenario's requests against the null
// handler.
func runBaseline(ctx context.Context, cfg *Config, sc *Scenario, st *State, n int) Result {
	ts := httptest.NewServer(requireBearer(Token, nullHandler(sc.Expect[0])))
	defer ts.Close()
	client := newClient(cfg.C)
	defer client.CloseIdleConnections()
	n = min(n, 5000)
	runLoad(ctx, client, ts.URL, Token, sc, st, 0, warmupCount(n), cfg.C, cfg.Deadline)
	res := runLoad(ctx, client, ts.URL, Token, sc, st, 0, n, cfg.C, cfg.Deadline)
	res.Server = "null"
	return res
}

// Machine describes the machine for the report.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs (GOMAXPROCS %d), %s %s/%s",
		cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
