package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// A list that would read more rows into Go than WithMaxScan allows is
// refused with 400 tooMany; narrowed by an indexed condition, or within the
// bound, it is answered.
func TestMaxScan(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, _ := sqlstore.New(db, d, byTenant(uniquePrefix()), sqlstore.WithMaxScan(3))
		for i := range 5 {
			_, err := users.Create(ctx, &scim.User{UserName: fmt.Sprintf("u%d", i),
				Emails: []scim.MultiValue{{Value: fmt.Sprintf("e%d@example.com", 5-i)}}})
			require.NoError(t, err)
		}
		list := func(filter, sortBy string) (*scim.Page[scim.User], error) {
			q := &scim.Query{StartIndex: 1, Count: 10, SortBy: sortBy}
			if filter != "" {
				f, err := scim.ParseUserFilter(filter)
				require.NoError(t, err)
				q.Filter = f
			}
			return users.List(ctx, q)
		}
		tooMany := func(err error) {
			t.Helper()
			var se *scim.Error
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, http.StatusBadRequest, se.Status)
			assert.Equal(t, scim.ScimTypeTooMany, se.ScimType)
			assert.Contains(t, se.Detail, "more than 3")
		}
		const untranslatable = `x509Certificates.value pr or userName sw "u"`

		_, err := list(untranslatable, "")
		tooMany(err)
		_, err = list("", "emails.value")
		tooMany(err)

		page, err := list(`userName le "u1" and (`+untranslatable+`)`, "")
		require.NoError(t, err, "narrowed to 2 rows by an indexed condition")
		assert.Equal(t, 2, page.TotalResults)
		page, err = list(`userName ge "u2"`, "emails.value")
		require.NoError(t, err)
		require.Len(t, page.Resources, 3)
		assert.Equal(t, "u4", page.Resources[0].UserName, "sorted by email")

		page, err = list("", "userName")
		require.NoError(t, err, "a sort in SQL reads only its page")
		assert.Equal(t, 5, page.TotalResults)
	})
}
