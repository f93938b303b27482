package scim

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// paramsByURLValues is how the handler read query parameters before
// parseQueryArgs: url.ParseQuery, then the exact name or else any spelling
// of it (one of them, when several spellings are present).
func paramsByURLValues(raw string, name string) []string {
	q, _ := url.ParseQuery(raw)
	if v, ok := q[name]; ok && len(v) > 0 {
		return []string{v[0]}
	}
	var any []string
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			any = append(any, v[0])
		}
	}
	if len(any) == 0 {
		return []string{""}
	}
	return any
}

func TestParseQueryArgsReadsAsURLValues(t *testing.T) {
	queries := []string{
		"", "filter=userName+eq+%22bjensen%22", "FILTER=a&filter=b", "Filter=a&FILTER=b", "filter=a&filter=b",
		"count=10&startIndex=5", "count=&count=3", "count", "=x&&count=2&", "count=%zz&count=4", "co%75nt=7",
		"attributes=userName,emails&excludedAttributes=groups", "excludedattributes=members", "a=1;count=2&count=3",
		"sortBy=name.familyName&sortOrder=descending&SORTBY=x", "filter=%22%C3%A9%22", "filter=a%2Bb+c",
		"startindex=2&startIndex=3", "startIndex=3&startindex=2", "unknown=1&filter", "filter=x=y",
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"filter", "Filter", "count", "COUNT", "startIndex", "attributes", "excludedAttributes", "sortBy", "sortOrder", "x", "%63ount", "filt;er"}
	vals := []string{"", "1", "a+b", "%41", "%zz", "userName%20eq%20%22x%22", "=", ";"}
	for range 2000 {
		var b strings.Builder
		for j := range rng.IntN(6) {
			if j > 0 {
				b.WriteByte('&')
			}
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(5) > 0 {
				b.WriteByte('=')
				b.WriteString(vals[rng.IntN(len(vals))])
			}
		}
		queries = append(queries, b.String())
	}
	for _, raw := range queries {
		a := parseQueryArgs(raw)
		for i, name := range argNames {
			require.Contains(t, paramsByURLValues(raw, name), a.vals[i], "%s in %q", name, raw)
		}
	}
}

func TestParseQueryArgsPrefersExactNameThenFirstSpelling(t *testing.T) {
	a := parseQueryArgs("FILTER=a&Filter=b&filter=c&filter=d&COUNT=1&Count=2")
	require.Equal(t, "c", a.vals[argFilter])
	require.Equal(t, "1", a.vals[argCount])
}

func TestParseQueryArgsLimit(t *testing.T) {
	raw := "filter=x" + strings.Repeat("&a=1", MaxQueryParameters)
	require.Error(t, checkQuery(raw), "checkQuery refuses this many parameters")
	require.Equal(t, "", parseQueryArgs(raw).vals[argFilter], "and parseQueryArgs reads none of them")
	raw = "filter=x" + strings.Repeat("&a=1", MaxQueryParameters-1)
	require.NoError(t, checkQuery(raw))
	require.Equal(t, "x", parseQueryArgs(raw).vals[argFilter])
}
