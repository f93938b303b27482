package sqlstore_test

import (
	"context"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

// TestConformance runs the store conformance suite on both dialects, each
// subtest on stores of its own tenant space.
func TestConformance(t *testing.T) {
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			db := dl.open(t)
			a := withTenant(context.Background(), "a")
			b := withTenant(context.Background(), "b")
			storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
				return newStores(db, dl.d)
			}, storetest.WithTenants(a, b))
		})
	}
}
