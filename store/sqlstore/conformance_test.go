package sqlstore_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/store/storetest"
)

// TestConformance runs the store conformance suite on both dialects, on
// one database each: every subtest works in fresh tenants.
func TestConformance(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			db := dl.open(t)
			storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
				return sqlstore.New(db, dl.d)
			}, storetest.WithTenants(storetest.FreshTenants))
		})
	}
}
