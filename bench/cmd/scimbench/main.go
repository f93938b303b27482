// Command scimbench runs scimkit, github.com/elimity-com/scim and a bare
// net/http handler side by side on loopback with the same data and
// requests, and prints a Markdown table of throughput, latency and
// allocations (issue 6). See bench/README.md.
//
//	cd bench && go run ./cmd/scimbench            # full run, a few minutes on 2 cores
//	cd bench && go run ./cmd/scimbench -quick     # smoke run, seconds
//	cd bench && go run ./cmd/scimbench -mem       # memory per user and per membership
//	cd bench && go run ./cmd/scimbench -sql sqlite,postgres -users 10000   # scimkit on SQL against a bare SQL handler
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim/bench/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scimbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		n           = flag.Int("n", 20000, "measured requests per server × scenario")
		c           = flag.Int("c", 8, "concurrent clients")
		rounds      = flag.Int("rounds", 2, "rounds per server × scenario, each on a fresh server, server order alternating")
		usersFlag   = flag.String("users", "10000,100000", "comma-separated user counts; only list/filter scenarios (and GET by id, their yardstick) run above 10000")
		scenFlag    = flag.String("scenarios", "", "comma-separated scenarios (default all): get-user, filter-username, list-users, filter-group, patch-active, patch-member, post-user")
		serversFlag = flag.String("servers", "", "comma-separated servers (default all): scimkit, elimity, bare")
		deadline    = flag.Duration("deadline", 20*time.Second, "time limit of each server × scenario run")
		quick       = flag.Bool("quick", false, "smoke run: -n 300 -users 1000 -deadline 10s (-mem: 1000 users, 5000 memberships)")
		cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file; server goroutines carry the label server=<name> (go tool pprof -tagfocus=server=scimkit)")
		mem         = flag.Bool("mem", false, "measure heap per 10,000 users and per group membership instead of load")
		memUsers    = flag.Int("mem-users", 10000, "users for -mem")
		memMembers  = flag.Int("memberships", 100000, "group memberships for -mem")
		out         = flag.String("o", "", "also write the Markdown report to this file")
		quiet       = flag.Bool("q", false, "no progress lines on stderr")
		sqlFlag     = flag.String("sql", "", "run the SQL comparison instead (issue 15) on these databases: sqlite, postgres (comma-separated): scimkit on sqlstore against a bare SQL handler, fresh databases per round")
		sqlEvents   = flag.Bool("sql-events", true, "with -sql: scimkit's store records provisioning events, as examples/server does by default; false measures writes without them")
		pgDSN       = flag.String("pg", os.Getenv("SCIMKIT_POSTGRES_DSN"), "PostgreSQL server on which -sql postgres creates (and drops) its databases; default $SCIMKIT_POSTGRES_DSN")
	)
	flag.Parse()
	if *quick {
		*n, *usersFlag, *deadline = 300, "1000", 10*time.Second
		*memUsers, *memMembers = 1000, 5000
	}
	if *n < 1 || *c < 1 || *rounds < 1 || *rounds > *n {
		return fmt.Errorf("-n, -c and -rounds must be positive, and -rounds at most -n")
	}
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	servers := splitList(*serversFlag)
	if *mem {
		rs, err := harness.MeasureMemory(*memUsers, *memMembers, servers)
		if err != nil {
			return err
		}
		harness.WriteMemMarkdown(w, rs)
		return nil
	}

	var users []int
	for _, s := range splitList(*usersFlag) {
		u, err := strconv.Atoi(s)
		if err != nil || u < 2 {
			return fmt.Errorf("bad -users entry %q", s)
		}
		users = append(users, u)
	}
	scenNames := splitList(*scenFlag)
	var factories []harness.Factory
	if dbs := splitList(*sqlFlag); len(dbs) > 0 {
		harness.SQLEvents = *sqlEvents
		var err error
		if factories, err = harness.SQLFactories(dbs, *pgDSN); err != nil {
			return err
		}
		if len(scenNames) == 0 {
			scenNames = harness.SQLScenarioNames
		}
	}
	scs, err := harness.SelectScenarios(scenNames)
	if err != nil {
		return err
	}
	if !harness.ScimkitAvailable() {
		fmt.Fprintln(os.Stderr, "scimbench: scimkit server not compiled in; running elimity and bare only")
	}
	cfg := harness.Config{N: *n, C: *c, Rounds: *rounds, Users: users, Scenarios: scs, Servers: servers, Factories: factories,
		Deadline: *deadline, Profile: *cpuprofile != ""}
	if !*quiet {
		cfg.Log = os.Stderr
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := harness.Run(ctx, cfg)
	if rep != nil {
		rep.WriteMarkdown(w)
	}
	return err
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
