package scim_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilterCost(t *testing.T) {
	for _, c := range []struct {
		group bool
		expr  string
		cost  int
	}{
		{false, `userName eq "a"`, 1},
		{false, `userName co "a"`, 10},
		{false, `userName sw "a" and not (title pr)`, 11},
		{false, `emails co "@x"`, 100},
		{false, `emails[type eq "work" and value ew "@x"]`, 110},
		{false, `emails[type eq "work"].value eq "a@x"`, 20},
		{false, `groups eq "g"`, 10},
		{true, `id eq "g" and members eq "u"`, 11},
		{true, `members.value co "u" or members.value co "v"`, 200},
		{true, `displayName eq "x" or externalId eq "y"`, 2},
	} {
		var f *scim.Filter
		var err error
		if c.group {
			f, err = scim.ParseGroupFilter(c.expr)
		} else {
			f, err = scim.ParseUserFilter(c.expr)
		}
		require.NoError(t, err, c.expr)
		assert.Equal(t, c.cost, f.Cost(), c.expr)
	}
	assert.Zero(t, (*scim.Filter)(nil).Cost())
}

func orTerms(n int, term func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = term(i)
	}
	return strings.Join(parts, " or ")
}

// A filter over the budget is refused with 400 invalidFilter, with a
// detail that says why, and the budget is advertised; filters that cost
// little, however many comparisons they have, are served.
func TestFilterBudget(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c, 2)
	expensive := orTerms(1000, func(i int) string { return `members.value co "x` + strings.Repeat("y", i%7) + `"` })
	r := c.do("GET", "/Groups?filter="+url.QueryEscape(expensive), "")
	require.Equal(t, 400, r.status, "%s", r.body)
	assert.Equal(t, "invalidFilter", r.json["scimType"])
	assert.Contains(t, r.json["detail"], "budget of 1000")
	r = c.do("POST", "/Groups/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":`+jsonString(expensive)+`}`)
	require.Equal(t, 400, r.status, "%s", r.body)

	cheap := orTerms(1000, func(i int) string { return `userName eq "user` + strings.Repeat("z", i%5) + `"` })
	r = c.do("GET", "/Users?filter="+url.QueryEscape(cheap), "")
	require.Equal(t, 200, r.status, "%s", r.body)

	r = c.do("GET", "/ServiceProviderConfig", "")
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 1000, r.json["filter"].(map[string]any)["maxCost"])

	// The budget is the application's to set.
	c = newClient(t, scim.WithMaxFilterCost(5))
	r = c.do("GET", "/Users?filter="+url.QueryEscape(`userName co "a"`), "")
	require.Equal(t, 400, r.status, "%s", r.body)
	r = c.do("GET", "/ServiceProviderConfig", "")
	assert.EqualValues(t, 5, r.json["filter"].(map[string]any)["maxCost"])
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
