package sqlstore

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
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

// appendEventFields writes what json.Marshal writes for eventData without
// the snapshot, byte for byte, whatever the strings hold.
func TestAppendEventFieldsIsJSONMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	parts := []string{"", "a", `W/"3"`, `\`, "é", "\x00", "\n", "<&>", "\u2028", "\xff", "name.givenName", "😀", "\x7f"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		return b.String()
	}
	list := func() []string {
		var l []string
		for range r.IntN(3) {
			l = append(l, str())
		}
		return l
	}
	for range 5000 {
		e := scim.Event{ExternalID: str(), Version: str(), ChangedAttributes: list(), MemberIDs: list()}
		want, err := json.Marshal(&eventData{ExternalID: e.ExternalID, Version: e.Version, ChangedAttributes: e.ChangedAttributes, MemberIDs: e.MemberIDs})
		require.NoError(t, err)
		got, err := appendEventFields(nil, &e)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
}
