package storetest

import (
	"testing"

	"github.com/scimkit/scim"
)

// testCaseFolding checks that userName uniqueness and lookup follow one
// rule: a userName conflicts with a stored one exactly when a filter on it
// finds the stored one. scimkit's rule is [scim.FoldKey] (simple case
// folding, no normalisation); a store that lower-cases for its unique
// index and compares with strings.EqualFold in its filters merges "İvan"
// and "ivan" for uniqueness while the filter keeps them apart, and the
// second user can then never be provisioned.
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
		stored := e.createUser(t, e.user(c.stored))
		byOther := func() *scim.Page[scim.User] {
			return e.listUsers(t, &scim.Query{Filter: userFilter(t, `userName eq "`+c.other+`"`), StartIndex: 1, Count: 10})
		}
		found := byOther()
		_, err := e.users.Create(e.ctx, e.user(c.other))
		if found.TotalResults > 0 {
			require.Equal(t, []string{stored.ID}, userIDs(found.Resources), "userName eq %q", c.other)
			require.ErrorIs(t, err, scim.ErrConflict, "%q after %q: userName eq %q finds %q, so they are the same userName", c.other, c.stored, c.other, c.stored)
			continue
		}
		require.NoError(t, err, "%q after %q: userName eq %q does not find %q, so they are different userNames", c.other, c.stored, c.other, c.stored)
		require.Equal(t, []string{c.other}, userNames(byOther().Resources), "userName eq %q", c.other)
		again := e.listUsers(t, &scim.Query{Filter: userFilter(t, `userName eq "`+c.stored+`"`), StartIndex: 1, Count: 10})
		require.Equal(t, []string{c.stored}, userNames(again.Resources), "userName eq %q", c.stored)
	}
}
