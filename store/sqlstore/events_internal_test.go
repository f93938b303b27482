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

// encodeEventData writes what json.Marshal of eventData writes, as far as
// a reader can tell: every event decodes from both to the same fields.
func TestEncodeEventDataAgreesWithMarshal(t *testing.T) {
	snap := json.RawMessage(`{"id":"1","userName":"a\"<b>&\u2028","groups":[{"value":"g"}]}`)
	for i, e := range []scim.Event{
		{},
		{Snapshot: snap},
		{ExternalID: "x\"\\\n<&>", Version: `W/"3"`},
		{Version: `W/"1"`, ChangedAttributes: []string{"name.familyName", "emails"}, Snapshot: snap},
		{ExternalID: "e", MemberIDs: []string{"a", "b\u00e9"}},
		{ExternalID: "e", Version: `W/"2"`, ChangedAttributes: []string{"active"}, MemberIDs: []string{"m"}, Snapshot: snap},
	} {
		got, err := encodeEventData(&e)
		require.NoError(t, err)
		want, err := json.Marshal(&eventData{ExternalID: e.ExternalID, Version: e.Version, ChangedAttributes: e.ChangedAttributes, MemberIDs: e.MemberIDs, Snapshot: e.Snapshot})
		require.NoError(t, err)
		require.True(t, json.Valid([]byte(got)), "event %d: %s", i, got)
		var a, b scim.Event
		require.NoError(t, json.Unmarshal([]byte(got), &a))
		require.NoError(t, json.Unmarshal(want, &b))
		if len(e.Snapshot) > 0 {
			// json.Marshal escapes <, > and & in it; the snapshot is the
			// same JSON either way.
			assert.JSONEq(t, string(b.Snapshot), string(a.Snapshot))
		}
		a.Snapshot, b.Snapshot = nil, nil
		assert.Equal(t, b, a, "event %d: %s", i, got)
		var am, bm map[string]any
		require.NoError(t, json.Unmarshal([]byte(got), &am))
		require.NoError(t, json.Unmarshal(want, &bm))
		assert.Equal(t, bm, am, "event %d: the same keys", i)
	}
}
