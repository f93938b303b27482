package memstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/storetest"
)

type tenantKey struct{}

func tenantOf(ctx context.Context) string {
	s, _ := ctx.Value(tenantKey{}).(string)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		return memstore.New()
	}, storetest.WithTenants(storetest.FreshTenants))
}

// The same with a partition function of the application's own, which the
// suite's tenants reach through WithTenants.
func TestConformanceOwnPartition(t *testing.T) {
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		return memstore.New(memstore.WithPartition(tenantOf))
	}, storetest.WithTenants(func(t *testing.T) (a, b context.Context) {
		i := strconv.FormatInt(n.Add(1), 10)
		return context.WithValue(t.Context(), tenantKey{}, "a"+i), context.WithValue(t.Context(), tenantKey{}, "b"+i)
	}))
}

func TestConformanceOnePartition(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		return memstore.New()
	})
}
