package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
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
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`emails[primary ne true]`)+"&count=0"), "alice and carol; dave has no email")
		require.Equal(t, 2, c.total("/Users?filter="+urlQuery(`not (emails.primary eq true) and emails pr`)))
		// PATCH value paths select the same items.
		c.must(200, "", "PATCH", "/Users/"+a, patchOf(`{"op":"replace","path":"emails[primary eq false].type","value":"home"}`))
		r := c.must(200, "", "GET", "/Users/"+a, "")
		require.Equal(t, "home", r.body["emails"].([]any)[0].(map[string]any)["type"])
		c.must(200, "", "PATCH", "/Users/"+a, patchOf(`{"op":"remove","path":"emails[primary eq false]"}`))
		require.Nil(t, c.must(200, "", "GET", "/Users/"+a, "").body["emails"])
	})
}

// TestGroupDisplayNamesAreUnique: by default a group's displayName is
// unique per tenant (case-insensitively) on POST, PUT, PATCH and /Bulk,
// on every store; a group may keep (or recase) its own name, and a deleted
// group's name is free again.
func TestGroupDisplayNamesAreUnique(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		g1 := c.create("/Groups", `{`+groupSchema+`,"displayName":"Sales"}`)
		g2 := c.create("/Groups", `{`+groupSchema+`,"displayName":"Marketing"}`)
		c.must(409, "uniqueness", "POST", "/Groups", `{`+groupSchema+`,"displayName":"Sales"}`)
		c.must(409, "uniqueness", "POST", "/Groups", `{`+groupSchema+`,"displayName":"sALES"}`)
		c.must(409, "uniqueness", "PUT", "/Groups/"+g2, `{`+groupSchema+`,"displayName":"SALES"}`)
		c.must(409, "uniqueness", "PATCH", "/Groups/"+g2, patchOf(`{"op":"replace","path":"displayName","value":"sales"}`))
		c.must(409, "uniqueness", "PATCH", "/Groups/"+g2, patchOf(`{"op":"replace","value":{"displayName":"Sales"}}`))
		r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[
			{"method":"POST","path":"/Groups","bulkId":"a","data":{`+groupSchema+`,"displayName":"Sales"}},
			{"method":"PATCH","path":"/Groups/`+g2+`","data":`+patchOf(`{"op":"replace","path":"displayName","value":"Sales"}`)+`}]}`)
		for _, op := range r.body["Operations"].([]any) {
			require.Equal(t, "409", op.(map[string]any)["status"])
		}
		c.must(200, "", "PATCH", "/Groups/"+g1, patchOf(`{"op":"replace","path":"displayName","value":"SALES"}`))
		c.must(200, "", "PUT", "/Groups/"+g1, `{`+groupSchema+`,"displayName":"SALES","externalId":"x"}`)
		require.Equal(t, 2, c.total("/Groups"))
		c.must(204, "", "DELETE", "/Groups/"+g1, "")
		c.create("/Groups", `{`+groupSchema+`,"displayName":"Sales"}`)
		c.must(200, "", "PATCH", "/Groups/"+g2, patchOf(`{"op":"replace","path":"displayName","value":"Marketing EU"}`))
		c.create("/Groups", `{`+groupSchema+`,"displayName":"Marketing"}`)

		s := c.must(200, "", "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", "")
		require.Equal(t, "server", s.body["attributes"].([]any)[0].(map[string]any)["uniqueness"])
	})
}

// TestGroupDisplayNamesMayRepeatWhenAllowed: with
// WithoutUniqueGroupDisplayNames duplicates are stored, on every store.
func TestGroupDisplayNamesMayRepeatWhenAllowed(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		c.create("/Groups", `{`+groupSchema+`,"displayName":"Sales"}`)
		c.create("/Groups", `{`+groupSchema+`,"displayName":"sales"}`)
		g := c.create("/Groups", `{`+groupSchema+`,"displayName":"Other"}`)
		c.must(200, "", "PATCH", "/Groups/"+g, patchOf(`{"op":"replace","path":"displayName","value":"Sales"}`))
		require.Equal(t, 3, c.total("/Groups?filter="+urlQuery(`displayName eq "sales"`)))
		s := c.must(200, "", "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", "")
		require.Equal(t, "none", s.body["attributes"].([]any)[0].(map[string]any)["uniqueness"])
	}, scim.WithoutUniqueGroupDisplayNames())
}

// TestGroupDisplayNameRace: concurrent creates and renames to one name,
// through two handlers over two store instances on one database (as two
// processes would run), leave exactly one group with that name.
func TestGroupDisplayNameRace(t *testing.T) {
	race := func(t *testing.T, a, b *badClient) {
		const n = 16
		ids := make([]string, n)
		for i := range ids {
			ids[i] = a.create("/Groups", fmt.Sprintf(`{`+groupSchema+`,"displayName":"g%d"}`, i))
		}
		var wg sync.WaitGroup
		statuses := make([]int, 2*n)
		for i := 0; i < n; i++ {
			wg.Add(2)
			c := a
			if i%2 == 1 {
				c = b
			}
			go func(i int) {
				defer wg.Done()
				statuses[i] = c.do("POST", "/Groups", `{`+groupSchema+`,"displayName":"Race"}`).status
			}(i)
			go func(i int) {
				defer wg.Done()
				statuses[n+i] = c.do("PATCH", "/Groups/"+ids[i], patchOf(`{"op":"replace","path":"displayName","value":"RACE"}`)).status
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			require.Contains(t, []int{200, 201, 409}, s)
			if s != 409 {
				ok++
			}
		}
		require.Equal(t, 1, ok, "%v", statuses)
		require.Equal(t, 1, a.total("/Groups?filter="+urlQuery(`displayName eq "race"`)))
		require.Equal(t, 1, b.total("/Groups?filter="+urlQuery(`displayName eq "race"`)))
	}
	serve := func(t *testing.T, users scim.UserStore, groups scim.GroupStore) *badClient {
		c := &badClient{t: t}
		c.srv = httptest.NewServer(scim.NewHandler(users, groups, scim.WithoutAuthentication()))
		t.Cleanup(c.srv.Close)
		return c
	}
	t.Run("memstore", func(t *testing.T) {
		users, groups := memstore.New()
		race(t, serve(t, users, groups), serve(t, users, groups))
	})
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		prefix := uniquePrefix()
		u1, g1 := sqlstore.New(db, d, byTenant(prefix))
		u2, g2 := sqlstore.New(db, d, byTenant(prefix))
		race(t, serve(t, u1, g1), serve(t, u2, g2))
	})
}

// TestPatchThroughUnmatchedFilterCreatesOnlyWhatItNames: add and replace
// through a value filter that matches nothing create the item the filter
// names; a value that contradicts the filter is 400 noTarget (RFC 7644
// §3.5.2), on every store.
func TestPatchThroughUnmatchedFilterCreatesOnlyWhatItNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		u := c.create("/Users", `{`+userSchema+`,"userName":"alice","emails":[{"value":"w@example.com","type":"work"}]}`)
		for _, op := range []string{
			`{"op":"add","path":"emails[type eq \"home\"]","value":{"type":"other","value":"h@example.com"}}`,
			`{"op":"replace","path":"emails[type eq \"home\"]","value":{"type":"work","value":"h@example.com"}}`,
			`{"op":"add","path":"emails[type eq \"home\"].type","value":"other"}`,
			`{"op":"replace","path":"emails[value eq \"x@example.com\"].value","value":"y@example.com"}`,
			`{"op":"add","path":"phoneNumbers[type eq \"mobile\"]","value":[{"type":"work","value":"555"}]}`,
			`{"op":"add","path":"addresses[type eq \"home\"].type","value":"work"}`,
			`{"op":"add","path":"emails[type eq \"home\" and primary eq true]","value":{"value":"h@example.com","primary":false}}`,
			`{"op":"replace","path":"ims[type eq \"aim\"]","value":{"type":"xmpp","value":"a"}}`,
		} {
			c.must(400, "noTarget", "PATCH", "/Users/"+u, patchOf(op))
		}
		r := c.must(200, "", "GET", "/Users/"+u, "")
		require.Len(t, r.body["emails"], 1)
		require.Nil(t, r.body["phoneNumbers"])
		require.Nil(t, r.body["addresses"])
		// What Entra ID sends creates the item.
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"Add","path":"emails[type eq \"home\"].value","value":"h@example.com"},
			{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"555"},
			{"op":"add","path":"addresses[type eq \"work\"]","value":{"type":"work","locality":"Paris"}}`))
		r = c.must(200, "", "GET", "/Users/"+u, "")
		require.Len(t, r.body["emails"], 2)
		require.Equal(t, map[string]any{"type": "mobile", "value": "555"}, r.body["phoneNumbers"].([]any)[0])
		require.Equal(t, "Paris", r.body["addresses"].([]any)[0].(map[string]any)["locality"])
	})
}

// TestPatchReplaceOfComplexKeepsUnnamedSubAttributes: replace of a
// complex attribute (singular, or items selected by a filter) changes the
// sub-attributes it names only; {} changes nothing; a sub-attribute given
// as null becomes unassigned.
func TestPatchReplaceOfComplexKeepsUnnamedSubAttributes(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		ent := `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
		u := c.create("/Users", `{`+userSchema+`,"userName":"alice","name":{"givenName":"Alice","familyName":"Smith","formatted":"Alice Smith"},
			"emails":[{"value":"w@example.com","type":"work","primary":true}],"`+ent+`":{"manager":{"value":"m1"},"department":"R&D"}}`)
		get := func() map[string]any { return c.must(200, "", "GET", "/Users/"+u, "").body }
		before := get()
		for _, op := range []string{
			`{"op":"replace","path":"name","value":{}}`,
			`{"op":"add","path":"name","value":{}}`,
			`{"op":"replace","value":{"name":{}}}`,
			`{"op":"replace","path":"` + ent + `:manager","value":{}}`,
			`{"op":"replace","path":"emails[type eq \"work\"]","value":{}}`,
			`{"op":"replace","path":"` + ent + `","value":{}}`,
		} {
			c.must(200, "", "PATCH", "/Users/"+u, patchOf(op))
			after := get()
			require.Equal(t, before["name"], after["name"], op)
			require.Equal(t, before["emails"], after["emails"], op)
			require.Equal(t, before[ent], after[ent], op)
			require.Equal(t, before["meta"].(map[string]any)["version"], after["meta"].(map[string]any)["version"], "%s changes nothing", op)
		}
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"replace","path":"name","value":{"givenName":"Alicia"}}`))
		require.Equal(t, map[string]any{"givenName": "Alicia", "familyName": "Smith", "formatted": "Alice Smith"}, get()["name"])
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"replace","value":{"name":{"formatted":null,"middleName":"J"}}}`))
		require.Equal(t, map[string]any{"givenName": "Alicia", "familyName": "Smith", "middleName": "J"}, get()["name"])
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"new@example.com"}}`))
		require.Equal(t, []any{map[string]any{"value": "new@example.com", "type": "work", "primary": true}}, get()["emails"])
	})
}

// TestPatchPathToReadOnlyAttributeIsMutability: a PATCH path that names a
// read-only attribute is 400 mutability for every op, on users and groups.
func TestPatchPathToReadOnlyAttributeIsMutability(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		u := c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		g := c.create("/Groups", `{`+groupSchema+`,"displayName":"g"}`)
		for _, path := range []string{"id", "ID", "meta", "meta.created", "meta.lastModified", "meta.resourceType", "meta.location", "meta.version",
			"groups", "groups.value", `groups[value eq \"x\"]`, "urn:ietf:params:scim:schemas:core:2.0:User:id"} {
			for _, op := range []string{`"add","value":"x"`, `"replace","value":"x"`, `"remove"`} {
				c.must(400, "mutability", "PATCH", "/Users/"+u, patchOf(`{"op":`+op+`,"path":"`+path+`"}`))
			}
		}
		for _, path := range []string{"id", "meta", "meta.version", "urn:ietf:params:scim:schemas:core:2.0:Group:id"} {
			c.must(400, "mutability", "PATCH", "/Groups/"+g, patchOf(`{"op":"replace","path":"`+path+`","value":"x"}`))
		}
		// Okta's path-less rename repeats the id: ignored, as on PUT.
		c.must(200, "", "PATCH", "/Groups/"+g, patchOf(`{"op":"replace","value":{"id":"`+g+`","displayName":"h"}}`))
	})
}

// TestMoreThanOnePrimaryIsInvalidValue: a multi-valued value with primary
// true on more than one item is 400 invalidValue on POST, PUT, PATCH and
// /Bulk, on every store.
func TestMoreThanOnePrimaryIsInvalidValue(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *badClient) {
		u := c.create("/Users", `{`+userSchema+`,"userName":"alice"}`)
		for _, attr := range []string{
			`"emails":[{"value":"a@x","primary":true},{"value":"b@x","primary":true}]`,
			`"emails":[{"value":"a@x","primary":"True"},{"value":"b@x","primary":true},{"value":"c@x"}]`,
			`"phoneNumbers":[{"value":"1","primary":true},{"value":"2","primary":true}]`,
			`"addresses":[{"locality":"a","primary":true},{"locality":"b","primary":true}]`,
			`"roles":[{"value":"a","primary":true},{"value":"b","primary":true}]`,
		} {
			c.must(400, "invalidValue", "POST", "/Users", `{`+userSchema+`,"userName":"bob",`+attr+`}`)
			c.must(400, "invalidValue", "PUT", "/Users/"+u, `{`+userSchema+`,"userName":"alice",`+attr+`}`)
			c.must(400, "invalidValue", "PATCH", "/Users/"+u, patchOf(`{"op":"add","value":{`+attr+`}}`))
			k, v, _ := strings.Cut(attr, ":")
			c.must(400, "invalidValue", "PATCH", "/Users/"+u, patchOf(`{"op":"replace","path":`+k+`,"value":`+v+`}`))
			r := c.must(200, "", "POST", "/Bulk", `{`+bulkSchema+`,"Operations":[{"method":"POST","path":"/Users","data":{`+userSchema+`,"userName":"bob",`+attr+`}}]}`)
			require.Equal(t, "400", r.body["Operations"].([]any)[0].(map[string]any)["status"])
		}
		require.Equal(t, 1, c.total("/Users"))
		require.Nil(t, c.must(200, "", "GET", "/Users/"+u, "").body["emails"])
		// One primary at a time: a new primary takes over.
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"add","path":"emails","value":[{"value":"a@x","primary":true}]}`))
		c.must(200, "", "PATCH", "/Users/"+u, patchOf(`{"op":"add","path":"emails","value":[{"value":"b@x","primary":true}]}`))
		emails := c.must(200, "", "GET", "/Users/"+u, "").body["emails"].([]any)
		require.Equal(t, []any{map[string]any{"value": "a@x"}, map[string]any{"value": "b@x", "primary": true}}, emails)
	})
}

// TestGroupNamesMigrationKeepsDuplicates: schema version 3 applies to a
// database whose groups already share names: the oldest group of each
// name joins the rule, the others keep their names, and a new group of
// that name is refused.
func TestGroupNamesMigrationKeepsDuplicates(t *testing.T) {
	fresh := map[string]func(t *testing.T) *sql.DB{
		"sqlite": func(t *testing.T) *sql.DB { return sqliteDB(t) },
		"postgres": func(t *testing.T) *sql.DB {
			dsn := os.Getenv(postgresEnv)
			if dsn == "" {
				t.Skipf("PostgreSQL tests skipped: set %s", postgresEnv)
			}
			db, _, cleanup, err := createPostgresDB(dsn)
			require.NoError(t, err)
			t.Cleanup(cleanup)
			return db
		},
	}
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			db := fresh[dl.name](t)
			ctx := context.Background()
			// Groups that share a name, written without the rule, and the
			// schema taken back to version 2.
			users, groups := sqlstore.New(db, dl.d)
			var ids []string
			for _, name := range []string{"Sales", "sales", "SALES", "Other"} {
				g, err := groups.Create(ctx, &scim.Group{DisplayName: name})
				require.NoError(t, err)
				ids = append(ids, g.ID)
			}
			for _, s := range []string{`DROP INDEX scim_groups_unique_name`, `ALTER TABLE scim_groups DROP COLUMN unique_name`,
				`DELETE FROM scim_schema_migrations WHERE version = 3`} {
				_, err := db.ExecContext(ctx, s)
				require.NoError(t, err, s)
			}
			require.NoError(t, sqlstore.Migrate(ctx, db, dl.d))
			c := &badClient{t: t}
			c.srv = httptest.NewServer(scim.NewHandler(users, groups, scim.WithoutAuthentication()))
			t.Cleanup(c.srv.Close)
			c.must(409, "uniqueness", "POST", "/Groups", `{`+groupSchema+`,"displayName":"Sales"}`)
			c.must(409, "uniqueness", "PATCH", "/Groups/"+ids[3], patchOf(`{"op":"replace","path":"displayName","value":"sALES"}`))
			for _, id := range ids[:3] {
				c.must(200, "", "PATCH", "/Groups/"+id, patchOf(`{"op":"replace","path":"externalId","value":"e`+id+`"}`))
			}
			c.must(200, "", "PATCH", "/Groups/"+ids[1], patchOf(`{"op":"replace","path":"displayName","value":"Sales 2"}`))
			c.must(409, "uniqueness", "POST", "/Groups", `{`+groupSchema+`,"displayName":"sales 2"}`)
			require.Equal(t, 2, c.total("/Groups?filter="+urlQuery(`displayName eq "sales"`)))
		})
	}
}
