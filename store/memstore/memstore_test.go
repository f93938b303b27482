package memstore_test

import (
	"context"
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
	a := context.WithValue(context.Background(), tenantKey{}, "a")
	b := context.WithValue(context.Background(), tenantKey{}, "b")
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		return memstore.New(memstore.WithPartition(tenantOf))
	}, storetest.WithTenants(a, b))
}

func TestConformanceOnePartition(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		return memstore.New()
	})
}
