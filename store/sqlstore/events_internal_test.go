package sqlstore

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

// Every field of scim.Event is in an event row once: in a column of its
// own or in eventData, with the same name, type and JSON tag, so that a
// field added to scim.Event is not silently dropped by the outbox.
func TestEventDataCoversEvent(t *testing.T) {
	columns := map[string]bool{"ID": true, "Cursor": true, "Time": true, "Type": true, "Tenant": true, "ResourceType": true, "ResourceID": true}
	et, dt := reflect.TypeFor[scim.Event](), reflect.TypeFor[eventData]()
	n := 0
	for f := range et.Fields() {
		if columns[f.Name] {
			_, inData := dt.FieldByName(f.Name)
			assert.False(t, inData, "%s has a column and is not in data", f.Name)
			continue
		}
		n++
		df, ok := dt.FieldByName(f.Name)
		require.True(t, ok, "scim.Event.%s is neither in a column nor in eventData", f.Name)
		assert.Equal(t, f.Type, df.Type, f.Name)
		assert.Equal(t, f.Tag, df.Tag, f.Name)
	}
	assert.Equal(t, dt.NumField(), n, "eventData has only scim.Event's fields")
}
