package harness

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Targets are issue 6's throughput goals for scimkit/bare, per scenario.
// A scenario with a comparator is measured against bare's throughput on
// that other scenario: the userName filter is an index lookup, so it is
// held to bare's GET by id.
var Targets = map[string]struct {
	Ratio      float64
	Comparator string
}{
	"get-user":        {0.77, "get-user"},
	"filter-username": {0.77, "get-user"},
	"list-users":      {0.67, "list-users"},
	"post-user":       {0.5, "post-user"},
	"patch-active":    {0.5, "patch-active"},
	"patch-member":    {0.5, "patch-member"},
}

// SQLTargets are issue 15's goals for scimkit over the bare SQL handler on
// the same database, per scenario.
var SQLTargets = map[string]float64{
	"get-user": 0.7, "filter-username": 0.7, "list-users": 0.6, "list-first": 0.6, "list-deep": 0.6, "list-end": 0.6,
	"post-user": 0.5, "patch-active": 0.5, "patch-member": 0.5, "patch-member-remove": 0.5,
}

// writeSQLRatios writes the SQL comparison's ratios, when the report has
// scimkit and bare results on a database.
func (rep *Report) writeSQLRatios(w io.Writer, sizes []int) {
	var rows []string
	for _, users := range sizes {
		for _, sc := range rep.scenarioNames(users) {
			for _, db := range []string{DBSQLite, DBPostgres} {
				sk, ba := rep.find(NameScimkit+"-"+db, sc, users), rep.find(NameBare+"-"+db, sc, users)
				if sk == nil || ba == nil {
					continue
				}
				dbCPU := "–"
				if db == DBPostgres {
					dbCPU = micros(sk.DBCPUPerReq()) + " / " + micros(ba.DBCPUPerReq())
				}
				target := "–"
				if t, ok := SQLTargets[sc]; ok {
					target = fmt.Sprintf("≥ %.2fx", t)
				}
				rows = append(rows, fmt.Sprintf("| %s | %d | %s | %s | %s | %s / %s | %s | %s |", scenarioTitle(sc), users, db,
					ratioCell(sk, ba), cpuRatioCell(sk, ba), rpsCell(sk), rpsCell(ba), dbCPU, target))
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### SQL comparison: scimkit over the bare SQL handler\n\n"+
		"scimkit on sqlstore with examples/server's settings against a bare net/http handler with one prepared "+
		"statement per request on the same kind of database; every server on a fresh database per round, analysed "+
		"after the preload. The CPU ratio counts this process only; PostgreSQL's own CPU (all its processes, so "+
		"other work on the machine shows too) is in the PostgreSQL CPU column, per request.\n\n")
	fmt.Fprintln(w, "| scenario | users | database | scimkit/bare req/s | (CPU of this process) | req/s scimkit / bare | PostgreSQL CPU µs/req scimkit / bare | target |")
	fmt.Fprintln(w, "|---|--:|---|--:|--:|--:|--:|---|")
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}

// writeDeepPages writes, per server and database, the throughput of the
// page at 90% of the users over that of the first page: issue 15 wants a
// deep page no slower than 2x the first, a ratio of at least 0.5x.
func (rep *Report) writeDeepPages(w io.Writer, sizes []int) {
	var rows []string
	for _, users := range sizes {
		for _, db := range []string{DBSQLite, DBPostgres} {
			for _, name := range []string{NameScimkit, NameBare} {
				server := name + "-" + db
				first, deep := rep.find(server, "list-first", users), rep.find(server, "list-deep", users)
				if first == nil || deep == nil {
					continue
				}
				rows = append(rows, fmt.Sprintf("| %s | %d | %d | %s / %s | %s | %s |", server, users, deepStart(users),
					rpsCell(deep), rpsCell(first), ratioCell(deep, first), cpuRatioCell(deep, first)))
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### Deep pages: the page at 90%% of the users over the first page\n\n"+
		"Throughput of `GET /Users?startIndex=(90%%+1)&count=100` over that of `startIndex=1`; issue 15's target for "+
		"scimkit is at least 0.50x (a deep page no slower than 2x the first).\n\n")
	fmt.Fprintln(w, "| server | users | deep startIndex | req/s deep / first | deep/first req/s | (CPU of this process) |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}

func (rep *Report) find(server, scenario string, users int) *Result {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Server == server && r.Scenario == scenario && r.Users == users {
			return r
		}
	}
	return nil
}

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.2f", ms)
	}
}

func rpsCell(r *Result) string {
	s := fmt.Sprintf("%.0f", r.RPS())
	if r.Flagged() {
		s += " ⚠"
	}
	if r.DeadlineHit {
		s += " ⏱"
	}
	return s
}

func ratioCell(a, b *Result) string {
	if a == nil || b == nil || b.RPS() == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", a.RPS()/b.RPS()) + ratioFlags(a, b)
}

// cpuRatioCell is a's requests per CPU-second over b's: the throughput
// ratio the two would reach on a machine whose cores were all theirs.
func cpuRatioCell(a, b *Result) string {
	if a == nil || b == nil || a.CPUPerReq() == 0 || b.CPUPerReq() == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", float64(b.CPUPerReq())/float64(a.CPUPerReq())) + ratioFlags(a, b)
}

func ratioFlags(a, b *Result) string {
	s := ""
	if a.Flagged() || b.Flagged() {
		s += " ⚠"
	}
	if a.DeadlineHit || b.DeadlineHit {
		s += " ⏱"
	}
	return s
}

func micros(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)) }

func scenarioTitle(name string) string {
	for _, sc := range Scenarios() {
		if sc.Name == name {
			return sc.Title
		}
	}
	return name
}

// WriteMarkdown writes the report as Markdown tables.
func (rep *Report) WriteMarkdown(w io.Writer) {
	cfg := rep.Config
	fmt.Fprintf(w, "## scimbench results\n\n")
	fmt.Fprintf(w, "Machine: %s.  \n", Machine())
	fmt.Fprintf(w, "Load: %d requests per server × scenario in %d round(s), each on a freshly seeded server with the "+
		"server order reversed every other round, after %d warm-up requests per round; %d concurrent keep-alive clients; "+
		"deadline %v per server × scenario; loopback only; servers and load generator in one process.  \n",
		cfg.N, cfg.Rounds, warmupCount(cfg.N/max(cfg.Rounds, 1)), cfg.C, cfg.Deadline)
	fmt.Fprintf(w, "Machine load average (1, 5, 15 min) before the run: %s; after: %s.  \n", rep.LoadBefore, rep.LoadAfter)
	if !ScimkitAvailable() {
		fmt.Fprintf(w, "scimkit: **not compiled in** (harness/servers_scimkit.go left out of the build); its columns are empty.  \n")
	}
	fmt.Fprintf(w, "Absolute numbers vary by machine; compare the ratios.\n")

	var sizes []int
	for _, r := range rep.Results {
		if !slices.Contains(sizes, r.Users) {
			sizes = append(sizes, r.Users)
		}
	}
	for _, users := range sizes {
		fmt.Fprintf(w, "\n### %d users\n\n", users)
		fmt.Fprintln(w, "| scenario | server | req/s | p50 ms | p99 ms | CPU µs/req | server CPU µs/req | allocs/req | server allocs/req | KiB/resp | errors |")
		fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		for _, sc := range rep.scenarioNames(users) {
			base, hasBase := rep.Baselines[baselineKey(users, sc)]
			for _, r := range rep.Results {
				if r.Users != users || r.Scenario != sc {
					continue
				}
				net, netCPU := "–", "–"
				if hasBase && r.Requests > 0 {
					net = fmt.Sprintf("%.0f", r.AllocsPerReq()-base.AllocsPerReq())
					netCPU = micros(r.CPUPerReq() - base.CPUPerReq())
				}
				kib := 0.0
				if r.Requests > 0 {
					kib = float64(r.BytesIn) / float64(r.Requests) / 1024
				}
				errs := "0"
				if r.Errors > 0 {
					errs = fmt.Sprintf("**%d** ⚠", r.Errors)
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %.0f | %s | %.1f | %s |\n",
					scenarioTitle(sc), r.Server, rpsCell(&r), fmtDur(r.P50), fmtDur(r.P99), micros(r.CPUPerReq()), netCPU,
					r.AllocsPerReq(), net, kib, errs)
			}
			if hasBase {
				fmt.Fprintf(w, "| %s | *(null handler)* | %.0f | %s | %s | %s | 0 | %.0f | 0 | – | %d |\n",
					scenarioTitle(sc), base.RPS(), fmtDur(base.P50), fmtDur(base.P99), micros(base.CPUPerReq()),
					base.AllocsPerReq(), base.Errors)
			}
		}
	}

	rep.writeSQLRatios(w, sizes)
	rep.writeDeepPages(w, sizes)
	if !rep.hasInMemory() {
		rep.writeFooter(w)
		return
	}

	fmt.Fprintf(w, "\n### Throughput ratios\n\n"+
		"Each cell: the measured req/s ratio, and in brackets the ratio of requests per CPU-second of the process "+
		"(what the req/s ratio would be with the cores to themselves; read that one when the load average shows "+
		"other work on the machine).\n\n")
	fmt.Fprintln(w, "| scenario | users | scimkit/elimity | scimkit/bare | elimity/bare | target scimkit/bare |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|---|")
	for _, users := range sizes {
		for _, sc := range rep.scenarioNames(users) {
			sk, el, ba := rep.find(NameScimkit, sc, users), rep.find(NameElimity, sc, users), rep.find(NameBare, sc, users)
			target := "ahead of elimity"
			if t, ok := Targets[sc]; ok {
				target = fmt.Sprintf("≥ %.2fx", t.Ratio)
				if t.Comparator != sc {
					cmp := rep.find(NameBare, t.Comparator, users)
					target += fmt.Sprintf(" of bare %s (scimkit/that: %s, CPU %s)", t.Comparator, ratioCell(sk, cmp), cpuRatioCell(sk, cmp))
				}
			}
			fmt.Fprintf(w, "| %s | %d | %s (CPU %s) | %s (CPU %s) | %s (CPU %s) | %s |\n", scenarioTitle(sc), users,
				ratioCell(sk, el), cpuRatioCell(sk, el), ratioCell(sk, ba), cpuRatioCell(sk, ba),
				ratioCell(el, ba), cpuRatioCell(el, ba), target)
		}
	}

	rep.writeFooter(w)
}

// writeFooter explains the flags and lists the errors.
func (rep *Report) writeFooter(w io.Writer) {
	fmt.Fprintf(w, "\n⚠ = the run had errors or no completed request and must not be read as a result; "+
		"⏱ = the deadline stopped the run before all requests were sent (req/s is over the requests that completed, "+
		"including those in flight at the deadline, which may finish within 30 s more).  \n"+
		"allocs/req = runtime.MemStats.Mallocs delta over the run / requests, for the whole process: server, "+
		"load-generator client and loopback transport. The null-handler row is the same requests answered by an empty "+
		"handler behind the same auth check; server allocs/req = allocs/req − that, i.e. what the SCIM server adds. "+
		"CPU µs/req = user+system CPU time of the whole process over the run / requests; server CPU µs/req subtracts "+
		"the null handler's the same way.\n")

	var flagged []string
	for _, r := range rep.Results {
		if r.Errors > 0 {
			flagged = append(flagged, fmt.Sprintf("- %s, %s, %d users: %d errors; statuses %v; first: %s",
				r.Server, r.Scenario, r.Users, r.Errors, r.Statuses, strings.Join(r.ErrSamples, " | ")))
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintf(w, "\n### Errors\n\n%s\n", strings.Join(flagged, "\n"))
	}
}

// hasInMemory reports whether the report has results of the in-memory
// servers, whose ratio table the SQL comparison does not need.
func (rep *Report) hasInMemory() bool {
	for _, r := range rep.Results {
		if r.Server == NameScimkit || r.Server == NameElimity || r.Server == NameBare {
			return true
		}
	}
	return false
}

func (rep *Report) scenarioNames(users int) []string {
	var out []string
	for _, sc := range rep.Config.Scenarios {
		for _, r := range rep.Results {
			if r.Users == users && r.Scenario == sc.Name {
				out = append(out, sc.Name)
				break
			}
		}
	}
	return out
}
