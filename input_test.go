package scim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every reference the encoder builds from an id ($ref of members, groups
// and the manager, meta.location) escapes it as one path segment.
func TestRefsEscapeIDsAsPathSegments(t *testing.T) {
	odd := "a b/c?d#e%f"
	want := "https://x/scim/Users/a%20b%2Fc%3Fd%23e%25f"
	g := &Group{ID: odd, DisplayName: "g", Members: []MultiValue{{Value: odd}, {Value: odd, Type: "Group"}}}
	e := encoder{rt: newResourceType("Group", nil), base: "https://x/scim"}
	var doc struct {
		Members []struct {
			Ref string `json:"$ref"`
		}
		Meta struct{ Location string }
	}
	require.NoError(t, json.Unmarshal(appendResource(&e, nil, g), &doc))
	require.Equal(t, want, doc.Members[0].Ref)
	require.Equal(t, "https://x/scim/Groups/a%20b%2Fc%3Fd%23e%25f", doc.Members[1].Ref)
	require.Equal(t, "https://x/scim/Groups/a%20b%2Fc%3Fd%23e%25f", doc.Meta.Location)

	u := &User{ID: odd, UserName: "u", Groups: []MultiValue{{Value: odd}}, Enterprise: &EnterpriseUser{Manager: &Manager{Value: odd}}}
	e = encoder{rt: newResourceType("User", nil), base: "https://x/scim"}
	var udoc map[string]any
	require.NoError(t, json.Unmarshal(appendResource(&e, nil, u), &udoc))
	require.Equal(t, want, udoc["meta"].(map[string]any)["location"])
	require.Equal(t, "https://x/scim/Groups/a%20b%2Fc%3Fd%23e%25f", udoc["groups"].([]any)[0].(map[string]any)["$ref"])
	ent := udoc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	require.Equal(t, want, ent["manager"].(map[string]any)["$ref"])

	require.Equal(t, "2819c223-7f76-453a-919d-413861904646", pathSegment("2819c223-7f76-453a-919d-413861904646"))
}

// unescapedText agrees with url.QueryUnescape followed by validText.
func TestUnescapedTextAgreesWithQueryUnescape(t *testing.T) {
	for _, v := range []string{"", "a+b", "%22x%22", "%zz", "%2", "%", "a%00b", "%FF", "%C3%A9", "%e2%82", "%ED%A0%80",
		strings.Repeat("%41", 300), strings.Repeat("%41", 300) + "%00", "caf%C3%A9+%F0%9F%98%80"} {
		u, err := url.QueryUnescape(v)
		valid, escOK := unescapedText(v)
		require.Equal(t, err == nil, escOK, v)
		if err == nil {
			require.Equal(t, validText(u), valid, v)
		}
	}
}
