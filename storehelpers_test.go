package scim

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyQueryPaging(t *testing.T) {
	all := filterTestUsers()
	tests := []struct {
		name         string
		start, count int
		want         []string
	}{
		{"first page", 1, 2, []string{"a1", "b2"}},
		{"second page", 3, 2, []string{"c3", "d4"}},
		{"partial last page", 4, 10, []string{"d4"}},
		{"start past the end", 5, 10, []string{}},
		{"far past the end", 1 << 40, 1 << 40, []string{}},
		{"count 0", 1, 0, []string{}},
		{"negative count", 1, -3, []string{}},
		{"start below 1", 0, 1, []string{"a1"}},
		{"huge count", 2, 1 << 62, []string{"b2", "c3", "d4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sortBy := range []string{"", "id"} {
				p := ApplyQuery(all, &Query{StartIndex: tt.start, Count: tt.count, SortBy: sortBy})
				require.NotNil(t, p.Resources, "Resources is never nil")
				assert.Equal(t, tt.want, userIDs(p.Resources), "sortBy %q", sortBy)
				assert.Equal(t, 4, p.TotalResults, "sortBy %q", sortBy)
			}
		})
	}
}

func TestApplyQueryFilterSortPage(t *testing.T) {
	all := filterTestUsers()
	before := slices.Clone(all)
	f, err := filterUserType.parseFilter(`userName pr`)
	require.NoError(t, err)

	// Descending with missing values last, then paged.
	p := ApplyQuery(all, &Query{Filter: f, SortBy: "name.familyName", SortDescending: true, StartIndex: 2, Count: 2})
	assert.Equal(t, []string{"b2", "c3"}, userIDs(p.Resources))
	assert.Equal(t, 4, p.TotalResults)
	assert.Equal(t, before, all, "ApplyQuery must not reorder its input")

	// The filter's resource type knows the custom extension's types.
	p = ApplyQuery(all, &Query{Filter: f, SortBy: filterAcmeURN + ":level", SortDescending: true, StartIndex: 1, Count: 10})
	assert.Equal(t, []string{"a1", "b2", "c3", "d4"}, userIDs(p.Resources))

	f, err = filterUserType.parseFilter(`active pr`)
	require.NoError(t, err)
	p = ApplyQuery(all, &Query{Filter: f, StartIndex: 1, Count: 0})
	assert.Empty(t, p.Resources)
	assert.Equal(t, 3, p.TotalResults, "count 0 still counts the matches")
	p = ApplyQuery(all, &Query{Filter: f, SortBy: "userName", SortDescending: true, StartIndex: 1, Count: 2})
	assert.Equal(t, []string{"d4", "b2"}, userIDs(p.Resources))
	assert.Equal(t, 3, p.TotalResults)

	// nil entries are skipped; a nil query selects everything.
	p = ApplyQuery(append([]*User{nil}, all...), nil)
	assert.Equal(t, []string{"a1", "b2", "c3", "d4"}, userIDs(p.Resources))
	assert.Equal(t, 4, p.TotalResults)
	p = ApplyQuery([]*User(nil), &Query{StartIndex: 1, Count: 10})
	require.NotNil(t, p.Resources)
	assert.Empty(t, p.Resources)
}

func TestApplyQueryGroups(t *testing.T) {
	f, err := ParseGroupFilter(`members eq "a1"`)
	require.NoError(t, err)
	p := ApplyQuery(filterTestGroups(), &Query{Filter: f, StartIndex: 1, Count: 10})
	require.Len(t, p.Resources, 1)
	assert.Equal(t, "g1", p.Resources[0].ID)
	p = ApplyQuery(filterTestGroups(), &Query{SortBy: "displayName", SortDescending: true, StartIndex: 1, Count: 10})
	assert.Equal(t, "g2", p.Resources[0].ID)
	assert.Equal(t, 2, p.TotalResults)
}

func TestNewID(t *testing.T) {
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !uuid4.MatchString(id) {
			t.Fatalf("NewID() = %q, not a lower-case version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
