package connections_test

import (
	"testing"

	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/connections/connectionstest"
	"github.com/scimkit/scim/store/memstore"
)

func TestMemstoreConformance(t *testing.T) {
	connectionstest.Run(t, func(t *testing.T) connections.Store { return memstore.NewConnections() })
}
