package console_test

import (
	"strings"
	"testing"

	"github.com/scimkit/scim/console"
)

func TestHint(t *testing.T) {
	for _, c := range []struct {
		rec  console.Record
		want string
	}{
		{console.Record{Status: 201, Action: "user.create"}, ""},
		{console.Record{Status: 409, ScimType: "uniqueness", Action: "user.create", Path: "/Users"}, "a user with this userName already exists"},
		{console.Record{Status: 409, ScimType: "uniqueness", Action: "group.create", Path: "/Groups"}, "a group with this displayName already exists"},
		{console.Record{Status: 401}, "token was missing, wrong, revoked or expired"},
		{console.Record{Status: 403}, "connection is disabled"},
		{console.Record{Status: 404, Path: "/Users/x"}, "user no longer exists"},
		{console.Record{Status: 400, ScimType: "invalidFilter"}, "search we could not read"},
		{console.Record{Status: 400, ScimType: "invalidPath"}, "attribute we do not keep"},
		{console.Record{Status: 400, ScimType: "invalidValue"}, "value we cannot accept"},
		{console.Record{Status: 500}, "not your configuration"},
	} {
		got := console.Hint(c.rec)
		if c.want == "" && got != "" || !strings.Contains(strings.ToLower(got), strings.ToLower(c.want)) {
			t.Errorf("Hint(%+v) = %q, want it to say %q", c.rec, got, c.want)
		}
	}
}
