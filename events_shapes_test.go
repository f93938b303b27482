package scim_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventcase"
	"github.com/scimkit/scim/store/memstore"
)

// Every shape in which identity providers deactivate and reactivate a
// user yields exactly one event; failed, refused and no-op writes none;
// user.updated names the changed paths; groups have their own events; the
// member fast path yields member events without reading the group. The
// cases are shared with store/sqlstore (TestEventShapesSQL), which runs
// them on SQLite and PostgreSQL.
func TestEventShapes(t *testing.T) {
	eventcase.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		users, groups := memstore.New()
		return users, groups
	})
}
