package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// The Directory page: the tenant's users and groups, read from the stores
// with the tenant in the context.

// directoryPageSize is how many users (and groups) a page lists.
const directoryPageSize = 50

// maxSearchLen bounds the search text; longer input is cut.
const maxSearchLen = 256

type directoryData struct {
	Query       string
	Deactivated bool
	Tab         string // "users" or "groups"

	UserCount, DeactivatedCount, GroupCount int
	LastChange                              time.Time

	Users  []*scim.User
	Groups []*scim.Group
	// Matched is how many users (or groups) match the search; Page is
	// the 1-based page shown, Prev and Next the neighbours (0: none).
	Matched, Page, Prev, Next int
}

func (c *Console) directoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := storeContext(r)
	q := r.URL.Query()
	d := directoryData{
		Query:       truncate(strings.TrimSpace(q.Get("q")), maxSearchLen),
		Deactivated: q.Get("deactivated") == "1",
		Tab:         "users",
		Page:        1,
	}
	if q.Get("tab") == "groups" {
		d.Tab = "groups"
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 1_000_000 {
		d.Page = n
	}

	// Counts and the last change.
	all, err := c.users.List(ctx, &scim.Query{StartIndex: 1, Count: 1, SortBy: "meta.lastModified", SortDescending: true, ReadOptions: scim.ReadOptions{SkipMembership: true}})
	if err != nil {
		c.failed(w, r, "reading your users", err)
		return
	}
	d.UserCount = all.TotalResults
	if len(all.Resources) > 0 {
		d.LastChange = all.Resources[0].Meta.LastModified
	}
	inactive, err := c.users.List(ctx, &scim.Query{Filter: mustUserFilter(`active eq false`), StartIndex: 1, Count: 0, ReadOptions: scim.ReadOptions{SkipMembership: true}})
	if err != nil {
		c.failed(w, r, "reading your users", err)
		return
	}
	d.DeactivatedCount = inactive.TotalResults
	groups, err := c.groups.List(ctx, &scim.Query{StartIndex: 1, Count: 1, SortBy: "meta.lastModified", SortDescending: true, ReadOptions: scim.ReadOptions{SkipMembership: true}})
	if err != nil {
		c.failed(w, r, "reading your groups", err)
		return
	}
	d.GroupCount = groups.TotalResults
	if len(groups.Resources) > 0 && groups.Resources[0].Meta.LastModified.After(d.LastChange) {
		d.LastChange = groups.Resources[0].Meta.LastModified
	}

	start := (d.Page-1)*directoryPageSize + 1
	if d.Tab == "groups" {
		f, err := groupSearch(d.Query)
		if err != nil {
			c.failed(w, r, "searching your groups", err)
			return
		}
		page, err := c.groups.List(ctx, &scim.Query{Filter: f, SortBy: "displayName", StartIndex: start, Count: directoryPageSize})
		if err != nil {
			c.failed(w, r, "searching your groups", err)
			return
		}
		d.Groups, d.Matched = page.Resources, page.TotalResults
	} else {
		f, err := userSearch(d.Query, d.Deactivated)
		if err != nil {
			c.failed(w, r, "searching your users", err)
			return
		}
		page, err := c.users.List(ctx, &scim.Query{Filter: f, SortBy: "meta.lastModified", SortDescending: true, StartIndex: start, Count: directoryPageSize, ReadOptions: scim.ReadOptions{SkipMembership: true}})
		if err != nil {
			c.failed(w, r, "searching your users", err)
			return
		}
		d.Users, d.Matched = page.Resources, page.TotalResults
	}
	if d.Page > 1 {
		d.Prev = d.Page - 1
	}
	if d.Page*directoryPageSize < d.Matched {
		d.Next = d.Page + 1
	}
	c.render(w, r, http.StatusOK, "directory.html", c.newPage(w, r, "Directory", "directory", d))
}

// filterString returns s as a SCIM filter's string literal: a JSON string,
// so that quotes and backslashes in what the admin typed stay text.
func filterString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// userSearch returns the filter for users whose userName or displayName
// contains q (all users when q is empty), deactivated ones only if
// deactivated is set.
func userSearch(q string, deactivated bool) (*scim.Filter, error) {
	var parts []string
	if q != "" {
		parts = append(parts, "(userName co "+filterString(q)+" or displayName co "+filterString(q)+")")
	}
	if deactivated {
		parts = append(parts, "active eq false")
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return scim.ParseUserFilter(strings.Join(parts, " and "))
}

// groupSearch returns the filter for groups whose displayName contains q.
func groupSearch(q string) (*scim.Filter, error) {
	if q == "" {
		return nil, nil
	}
	return scim.ParseGroupFilter("displayName co " + filterString(q))
}

func mustUserFilter(expr string) *scim.Filter {
	f, err := scim.ParseUserFilter(expr)
	if err != nil {
		panic(err)
	}
	return f
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
