package harness

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config describes one benchmark run.
type Config struct {
	// N is the number of measured requests per server × scenario; C the
	// number of concurrent clients.
	N, C int
	// Users lists the user counts to seed; non-Large scenarios run only at
	// counts up to SmallFleet.
	Users     []int
	Scenarios []Scenario
	// Servers restricts the run to these server names; empty means all.
	Servers []string
	// Deadline bounds each server × scenario run (warm-up included).
	Deadline time.Duration
	// CPUProfile, if set, is where the CPU profile of the scimkit server's
	// runs is written (with "-<users>" before the extension when several
	// user counts run).
	CPUProfile string
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

// Run seeds each server with the same data for each user count and runs
// the scenarios against it, one server at a time.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := &Report{Config: cfg, Baselines: make(map[string]Result)}
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
		for _, f := range Factories() {
			if len(cfg.Servers) > 0 && !slices.Contains(cfg.Servers, f.Name) {
				continue
			}
			if err := runServer(ctx, &cfg, rep, f, ds, users, scs); err != nil {
				return rep, fmt.Errorf("%s at %d users: %w", f.Name, users, err)
			}
		}
	}
	return rep, nil
}

func runServer(ctx context.Context, cfg *Config, rep *Report, f Factory, ds *Dataset, users int, scs []Scenario) error {
	srv, err := f.New(Token)
	if err != nil {
		return err
	}
	t0 := time.Now()
	ids, err := Seed(srv, ds)
	if err != nil {
		return err
	}
	cfg.logf("%-8s %7d users: seeded in %v", f.Name, users, time.Since(t0).Round(time.Millisecond))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	client := newClient(cfg.C)
	defer client.CloseIdleConnections()

	if f.Name == NameScimkit && cfg.CPUProfile != "" {
		stop, err := startProfile(cfg.CPUProfile, users, len(cfg.Users) > 1)
		if err != nil {
			return err
		}
		defer stop()
	}
	for i := range scs {
		sc := &scs[i]
		st := &State{DS: ds, IDs: ids}
		w := warmupCount(cfg.N)
		if sc.Prepare != nil {
			if err := sc.Prepare(srv, st, cfg.N+w); err != nil {
				return fmt.Errorf("prepare %s: %w", sc.Name, err)
			}
		}
		runLoad(ctx, client, ts.URL, Token, sc, st, cfg.N, w, cfg.C, cfg.Deadline)
		res := runLoad(ctx, client, ts.URL, Token, sc, st, 0, cfg.N, cfg.C, cfg.Deadline)
		res.Server, res.Users = f.Name, users
		rep.Results = append(rep.Results, res)
		cfg.logf("%-8s %7d users %-16s %9.0f req/s  p50 %-9v p99 %-9v %6.0f allocs/req  errors %d%s",
			f.Name, users, sc.Name, res.RPS(), res.P50, res.P99, res.AllocsPerReq(), res.Errors, deadlineNote(&res))
		if _, ok := rep.Baselines[baselineKey(users, sc.Name)]; !ok {
			rep.Baselines[baselineKey(users, sc.Name)] = runBaseline(ctx, cfg, sc, st)
		}
	}
	return nil
}

func deadlineNote(r *Result) string {
	if r.DeadlineHit {
		return fmt.Sprintf("  (deadline: %d of %d)", r.Requests, r.Planned)
	}
	return ""
}

// runBaseline runs the scenario's requests against the null handler.
func runBaseline(ctx context.Context, cfg *Config, sc *Scenario, st *State) Result {
	ts := httptest.NewServer(requireBearer(Token, nullHandler(sc.Expect[0])))
	defer ts.Close()
	client := newClient(cfg.C)
	defer client.CloseIdleConnections()
	n := min(cfg.N, 5000)
	runLoad(ctx, client, ts.URL, Token, sc, st, 0, warmupCount(n), cfg.C, cfg.Deadline)
	return runLoad(ctx, client, ts.URL, Token, sc, st, 0, n, cfg.C, cfg.Deadline)
}

func startProfile(path string, users int, perSize bool) (func(), error) {
	if perSize {
		ext := filepath.Ext(path)
		path = strings.TrimSuffix(path, ext) + "-" + strconv.Itoa(users) + ext
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
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
