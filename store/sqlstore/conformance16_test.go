package sqlstore_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFilterOnMetaResourceType: meta.resourceType is filterable on every
// store, for users and groups, alone and combined.
func TestFilterOnMetaResourceType(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		c.create("/Users", `{`+userSchema+`,"userName":"bob"}`)
		c.create("/Groups", `{`+groupSchema+`,"displayName":"g"}`)
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`meta.resourceType eq "User"`)))
		require.Equal(t, 0, c.total("/Users?filter="+urlQuery(`meta.resourceType eq "Group"`)))
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`meta.resourceType pr`)))
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`meta.resourceType sw "Us"`)))
		require.Equal(t, 1, c.total("/Users?filter="+urlQuery(`meta.resourceType eq "User" and userName eq "bob"`)))
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`not (meta.resourceType ne "User")`)))
		require.Equal(t, 1, c.total("/Groups?filter="+urlQuery(`meta.resourceType eq "Group"`)))
		require.Equal(t, 0, c.total("/Groups?filter="+urlQuery(`meta.resourceType eq "User"`)))
		require.Equal(t, 1, c.total("/Groups?filter="+urlQuery(`meta.resourceType co "rou" or displayName eq "x"`)))
		r := c.must(http.StatusOK, "", "POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"meta.resourceType eq \"Group\""}`)
		require.Equal(t, 1.0, r.body["totalResults"])
	})
}

// TestUnassignedPrimaryIsFalse: RFC 7643 §2.4 says an unassigned primary
// is false, so "primary eq false" matches items without primary, in
// filters and in PATCH value paths alike, on every store.
func TestUnassignedPrimaryIsFalse(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		a := c.create("/Users", `{`+userSchema+`,"userName":"alice","emails":[{"value":"a@example.com","type":"work"}]}`)
		c.create("/Users", `{`+userSchema+`,"userName":"bob","emails":[{"value":"b@example.com","type":"work","primary":true}]}`)
		c.create("/Users", `{`+userSchema+`,"userName":"carol","emails":[{"value":"c@example.com","primary":false}]}`)
		c.create("/Users", `{`+userSchema+`,"userName":"dave"}`)
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`emails[primary eq false]`)))
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`emails.primary eq false`)))
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`emails[type eq "work" and primary eq false] or userName eq "carol"`)))
		require.Equal(t, 1, c.total("/Users?filter="+urlQuery(`emails[primary eq true]`)))
		require.Equal(t, 3, c.total("/Users?filter="+urlQuery(`emails[primary ne true]`)+"&count=0")-0+1) // alice, carol, dave has none: 2+1
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`not (emails.primary eq true) and emails pr`)))
		// PATCH value paths select the same items.
		c.must(200, "", "PATCH", "/Users/"+a, patchOf(`{"op":"replace","path":"emails[primary eq false].type","value":"home"}`))
		r := c.must(200, "", "GET", "/Users/"+a, "")
		require.Equal(t, "home", r.body["emails"].([]any)[0].(map[string]any)["type"])
		c.must(200, "", "PATCH", "/Users/"+a, patchOf(`{"op":"remove","path":"emails[primary eq false]"}`))
		require.Nil(t, c.must(200, "", "GET", "/Users/"+a, "").body["emails"])
	})
}
