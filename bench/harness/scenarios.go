package harness

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Request is one HTTP request of a scenario; Path is relative to BasePath.
type Request struct {
	Method string
	Path   string
	Body   []byte
}

// State is what a scenario needs to build its requests against one seeded
// server.
type State struct {
	DS  *Dataset
	IDs *Seeded
	// pool holds ids of users created by Prepare for the member-add
	// scenario, and bodies the POST bodies made by Prepare.
	pool   []string
	bodies [][]byte
}

// Scenario is one request shape of issue 6.
type Scenario struct {
	// Name selects the scenario with -scenarios.
	Name string
	// Title is the request as shown in the report.
	Title string
	// Large scenarios (lists and filters) also run with more than
	// SmallFleet users.
	Large bool
	// Prepare, if set, runs untimed before the scenario and may add data;
	// the scenario will use request indexes [0, total).
	Prepare func(s Server, st *State, total int) error
	// Request builds the i-th request.
	Request func(st *State, i int) Request
	// Expect lists the statuses that count as success.
	Expect []int
	// SQLOnly scenarios belong to the SQL comparison (issue 15) alone: the
	// in-memory servers do not implement them, and the default selection
	// of an in-memory run leaves them out.
	SQLOnly bool
}

// SQLScenarioNames are the scenarios of the SQL comparison, in run order.
var SQLScenarioNames = []string{"get-user", "filter-username", "list-users", "list-first", "list-deep", "list-end",
	"patch-active", "patch-member", "patch-member-remove", "post-user"}

// SmallFleet is the user count at which every scenario runs; only Large
// scenarios run at larger counts.
const SmallFleet = 10000

// deepStart is the startIndex of the list-deep scenario among n users:
// the user after the first 90%, 90,001 of 100,000.
func deepStart(n int) int { return n*9/10 + 1 }

// spread maps request i to an index in [0, n) so that consecutive requests
// touch different resources.
func spread(i, n int) int { return (i * 7919) % n }

// entraActivePatch is Entra ID's body for disabling (or re-enabling) a
// user, with the boolean as a capitalised string.
func entraActivePatch(value string) []byte {
	return []byte(`{"schemas":["` + PatchOpURN + `"],"Operations":[{"op":"Replace","path":"active","value":"` + value + `"}]}`)
}

// entraMemberRemove is Entra ID's body for removing one member of a group.
func entraMemberRemove(id string) []byte {
	return []byte(`{"schemas":["` + PatchOpURN + `"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"` + id + `"}]}]}`)
}

// entraMemberAdd is Entra ID's body for adding one member to a group.
func entraMemberAdd(id string) []byte {
	return []byte(`{"schemas":["` + PatchOpURN + `"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"` + id + `"}]}]}`)
}

// Scenarios returns the scenarios of issue 6 item 2 in run order: reads
// first, then the scenarios that add or change data.
func Scenarios() []Scenario {
	return []Scenario{
		{
			// Also large: bare's GET by id is the yardstick of the userName
			// filter at every user count.
			Name: "get-user", Title: "GET /Users/{id}", Large: true,
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodGet, Path: "/Users/" + st.IDs.UserIDs[spread(i, len(st.IDs.UserIDs))]}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "filter-username", Title: `GET /Users?filter=userName eq "…"`, Large: true,
			Request: func(st *State, i int) Request {
				u := st.DS.Users[spread(i, len(st.DS.Users))].UserName
				return Request{Method: http.MethodGet, Path: "/Users?filter=" + url.QueryEscape(`userName eq "`+u+`"`)}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "list-users", Title: "GET /Users?startIndex=…&count=100", Large: true,
			Request: func(st *State, i int) Request {
				pages := max(len(st.DS.Users)/100, 1)
				start := 1 + spread(i, pages)*100
				return Request{Method: http.MethodGet, Path: "/Users?startIndex=" + strconv.Itoa(start) + "&count=100"}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "list-first", Title: "GET /Users?startIndex=1&count=100", Large: true, SQLOnly: true,
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodGet, Path: "/Users?startIndex=1&count=100"}
			},
			Expect: []int{http.StatusOK},
		},
		{
			// At 100,000 users, startIndex 90,001: issue 15 wants it no
			// slower than 2x the first page.
			Name: "list-deep", Title: "GET /Users?startIndex=(90%+1)&count=100", Large: true, SQLOnly: true,
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodGet, Path: "/Users?startIndex=" + strconv.Itoa(deepStart(len(st.DS.Users))) + "&count=100"}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "list-end", Title: "GET /Users?startIndex=(last page)&count=100", Large: true, SQLOnly: true,
			Request: func(st *State, i int) Request {
				start := max(len(st.DS.Users)-99, 1)
				return Request{Method: http.MethodGet, Path: "/Users?startIndex=" + strconv.Itoa(start) + "&count=100"}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "filter-group", Title: `GET /Groups?filter=displayName eq "…"&excludedAttributes=members`, Large: true,
			Request: func(st *State, i int) Request {
				// Group 0 is the big group; query the small ones, as Entra
				// does for every group it provisions.
				g := 1 + spread(i, len(st.DS.Groups)-1)
				f := url.QueryEscape(`displayName eq "` + st.DS.Groups[g].DisplayName + `"`)
				return Request{Method: http.MethodGet, Path: "/Groups?filter=" + f + "&excludedAttributes=members"}
			},
			Expect: []int{http.StatusOK},
		},
		{
			Name: "patch-active", Title: `PATCH /Users/{id} replace active "False" (Entra)`,
			Request: func(st *State, i int) Request {
				n := len(st.IDs.UserIDs)
				// Alternate False and True on each pass over the users, so
				// no request is a no-op.
				v := "False"
				if (i/n)%2 == 1 {
					v = "True"
				}
				return Request{Method: http.MethodPatch, Path: "/Users/" + st.IDs.UserIDs[i%n], Body: entraActivePatch(v)}
			},
			Expect: []int{http.StatusOK, http.StatusNoContent},
		},
		{
			// Entra's request as it sends it: scimkit answers a member
			// change with 204 by default, as elimity and bare do.
			Name: "patch-member", Title: "PATCH /Groups/{id} add 1 member to a 10,000-member group",
			Prepare: func(s Server, st *State, total int) error {
				// Members to add must be users that are not members yet: make
				// them now, untimed.
				var err error
				st.pool, err = seedUsers(s, MakeUsers(total, len(st.DS.Users), "pool."))
				return err
			},
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodPatch, Path: "/Groups/" + st.IDs.GroupIDs[0], Body: entraMemberAdd(st.pool[i])}
			},
			Expect: []int{http.StatusOK, http.StatusNoContent},
		},
		{
			Name: "patch-member-remove", Title: "PATCH /Groups/{id} remove 1 member of a 10,000-member group", SQLOnly: true,
			Prepare: func(s Server, st *State, total int) error {
				// Members to remove: users made and added now, untimed.
				var err error
				if st.pool, err = seedUsers(s, MakeUsers(total, len(st.DS.Users)+total, "gone.")); err != nil {
					return err
				}
				return s.AddMembers(st.IDs.GroupIDs[0], st.pool)
			},
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodPatch, Path: "/Groups/" + st.IDs.GroupIDs[0], Body: entraMemberRemove(st.pool[i])}
			},
			Expect: []int{http.StatusOK, http.StatusNoContent},
		},
		{
			Name: "post-user", Title: "POST /Users",
			Prepare: func(_ Server, st *State, total int) error {
				users := MakeUsers(total, len(st.DS.Users), "new.")
				st.bodies = make([][]byte, total)
				for i := range users {
					st.bodies[i] = users[i].CreateBody(st.IDs.UserIDs[spread(i, len(st.IDs.UserIDs))])
				}
				return nil
			},
			Request: func(st *State, i int) Request {
				return Request{Method: http.MethodPost, Path: "/Users", Body: st.bodies[i]}
			},
			Expect: []int{http.StatusCreated},
		},
	}
}

// SelectScenarios returns the scenarios named in names (all when names is
// empty), in run order.
func SelectScenarios(names []string) ([]Scenario, error) {
	all := Scenarios()
	if len(names) == 0 {
		var out []Scenario
		for _, sc := range all {
			if !sc.SQLOnly {
				out = append(out, sc)
			}
		}
		return out, nil
	}
	want := make(map[string]bool)
	for _, n := range names {
		want[n] = true
	}
	var out []Scenario
	for _, sc := range all {
		if want[sc.Name] {
			out = append(out, sc)
			delete(want, sc.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown scenario %q", n)
	}
	return out, nil
}
