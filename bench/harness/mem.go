package harness

import (
	"fmt"
	"io"
	"runtime"
	"slices"
)

// MemResult is the heap one server's storage uses.
type MemResult struct {
	Server string
	// Users is the number of users seeded; UserBytes the live heap they
	// added.
	Users     int
	UserBytes int64
	// Memberships is the number of members added to one group;
	// MemberBytes the live heap they added.
	Memberships int
	MemberBytes int64
}

// memberBatch is how many members one AddMembers call adds, like a large
// PATCH from an identity provider.
const memberBatch = 1000

// heapNow returns the live heap after full collections.
func heapNow() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// MeasureMemory reports, for each server (restricted to servers when not
// empty), the heap taken by users typical users and by memberships members
// of one group. Members are existing users, seeded beforehand and not
// counted.
func MeasureMemory(users, memberships int, servers []string) ([]MemResult, error) {
	var out []MemResult
	for _, f := range Factories() {
		if len(servers) > 0 && !slices.Contains(servers, f.Name) {
			continue
		}
		r := MemResult{Server: f.Name, Users: users, Memberships: memberships}

		srv, err := f.New(Token)
		if err != nil {
			return nil, err
		}
		specs := MakeUsers(users, 0, "")
		h0 := heapNow()
		if _, err := seedUsers(srv, specs); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		r.UserBytes = heapNow() - h0
		runtime.KeepAlive(srv)
		srv, specs = nil, nil

		srv, err = f.New(Token)
		if err != nil {
			return nil, err
		}
		ids, err := seedUsers(srv, MakeUsers(memberships, 0, "m."))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		gid, err := srv.CreateGroup(&GroupSpec{DisplayName: "Members", ExternalID: "members"}, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		h1 := heapNow()
		for from := 0; from < len(ids); from += memberBatch {
			if err := srv.AddMembers(gid, ids[from:min(from+memberBatch, len(ids))]); err != nil {
				return nil, fmt.Errorf("%s: add members: %w", f.Name, err)
			}
		}
		r.MemberBytes = heapNow() - h1
		runtime.KeepAlive(srv)
		runtime.KeepAlive(ids)
		out = append(out, r)
	}
	return out, nil
}

// WriteMemMarkdown writes MeasureMemory's results as a Markdown table.
func WriteMemMarkdown(w io.Writer, rs []MemResult) {
	if len(rs) == 0 {
		return
	}
	var bare *MemResult
	for i := range rs {
		if rs[i].Server == NameBare {
			bare = &rs[i]
		}
	}
	fmt.Fprintf(w, "## Memory (issue 6 item 5)\n\nMachine: %s.\n\n", Machine())
	fmt.Fprintln(w, "| server | heap per 10,000 users | bytes/user | vs bare | bytes/membership | vs bare |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, r := range rs {
		perUser := float64(r.UserBytes) / float64(r.Users)
		perMember := float64(r.MemberBytes) / float64(r.Memberships)
		vsU, vsM := "–", "–"
		if bare != nil {
			vsU = fmt.Sprintf("%.2fx", perUser/(float64(bare.UserBytes)/float64(bare.Users)))
			vsM = fmt.Sprintf("%.2fx", perMember/(float64(bare.MemberBytes)/float64(bare.Memberships)))
		}
		fmt.Fprintf(w, "| %s | %.2f MiB | %.0f | %s | %.1f | %s |\n",
			r.Server, perUser*10000/(1<<20), perUser, vsU, perMember, vsM)
	}
	if !ScimkitAvailable() {
		fmt.Fprintf(w, "\nscimkit: **not compiled in** (harness/servers_scimkit.go left out of the build).\n")
	}
	fmt.Fprintf(w, "\nUsers: %d Entra-style users (name, displayName, 2 emails, active, externalId, enterprise "+
		"employeeNumber, department, manager), seeded through each server's storage API; heap = runtime.MemStats.HeapAlloc "+
		"after runtime.GC, before and after, so it includes every index the server keeps. Memberships: %d existing users "+
		"added to one group in batches of %d; the users themselves are not counted. Target (issue 6): scimkit within 1.5x "+
		"of bare on both.\n", rs[0].Users, rs[0].Memberships, memberBatch)
}
