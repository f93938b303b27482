package storetest

import (
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// testCaseFolding checks that userName uniqueness and lookup follow one
// rule, [scim.FoldKey] (simple case folding, no normalisation): a userName
// that conflicts with a stored one is found by a filter on it, and one that
// is found by no filter does not conflict. A store that lower-cases
// instead merges "İvan" and "ivan" for uniqueness while the filter keeps
// them apart, and the second user can then never be provisioned.
func testCaseFolding(t *testing.T, e *env) {
	for _, c := range []struct{ stored, other string }{
		{"İvan", "ivan"},              // İ lower-cases to i but does not fold to it
		{"ivan2", "İVAN2"},            // the other way round
		{"straße", "strasse"},         // ß folds to ss only under full folding
		{"andr\u00e9", "andre\u0301"}, // NFC and NFD are not normalised
		{"\u212Aelvin", "kelvin"},     // the Kelvin sign folds to k
		{"ſam", "SAM"},                // the long s folds to s
		{"ΣΊΣΥΦΟΣ", "σίσυφος"},        // final sigma
		{"Alice@Example.COM", "alice@example.com"},
	} {
		same := strings.EqualFold(c.stored, c.other)
		stored := e.createUser(t, e.user(c.stored))
		found := e.listUsers(t, &scim.Query{Filter: userFilter(t, `userName eq "`+c.other+`"`), StartIndex: 1, Count: 10})
		_, err := e.users.Create(e.ctx, e.user(c.other))
		if same {
			require.ErrorIs(t, err, scim.ErrConflict, "%q after %q: they are equal under simple case folding", c.other, c.stored)
			require.Equal(t, []string{stored.ID}, userIDs(found.Resources), "userName eq %q finds %q", c.other, c.stored)
			continue
		}
		require.NoError(t, err, "%q after %q: they differ under simple case folding, and no filter finds one by the other", c.other, c.stored)
		require.Equal(t, 0, found.TotalResults, "userName eq %q before it was created finds nothing, not %q", c.other, c.stored)
		again := e.listUsers(t, &scim.Query{Filter: userFilter(t, `userName eq "`+c.other+`"`), StartIndex: 1, Count: 10})
		require.Equal(t, []string{c.other}, userNames(again.Resources), "userName eq %q", c.other)
		again = e.listUsers(t, &scim.Query{Filter: userFilter(t, `userName eq "`+c.stored+`"`), StartIndex: 1, Count: 10})
		require.Equal(t, []string{c.stored}, userNames(again.Resources), "userName eq %q", c.stored)
	}
}
