package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// Writes through the handler, with events and without, on both dialects
// (on PostgreSQL these are the one-statement writes): a PATCH that
// changes, adds and drops multi-valued rows leaves exactly the new ones
// findable; the response and the event's snapshot show the user's groups
// and the version written; a stale If-Match writes nothing and records
// nothing.
func TestUserWritesThroughTheHandler(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		for _, events := range []bool{true, false} {
			t.Run(onOffName(events), func(t *testing.T) {
				var opts []sqlstore.Option
				if !events {
					opts = append(opts, sqlstore.WithEventRetention(0))
				}
				users, groups := newStores(db, d, opts...)
				h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
				do := func(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
					t.Helper()
					r := httptest.NewRequest(method, path, strings.NewReader(body))
					for i := 0; i+1 < len(hdr); i += 2 {
						r.Header.Set(hdr[i], hdr[i+1])
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					return w
				}
				decode := func(w *httptest.ResponseRecorder) map[string]any {
					t.Helper()
					var m map[string]any
					require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
					return m
				}
				found := func(filter string) int {
					t.Helper()
					w := do(http.MethodGet, "/Users?filter="+url.QueryEscape(filter), "")
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					return int(decode(w)["totalResults"].(float64))
				}

				w := do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada",
					"emails":[{"value":"ada@work.example","type":"work","primary":true},{"value":"ada@home.example","type":"home"}],
					"phoneNumbers":[{"value":"+1 555 0100"}]}`)
				require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
				id := decode(w)["id"].(string)
				assert.Equal(t, 1, found(`emails.value eq "ada@home.example"`))
				assert.Equal(t, 1, found(`phoneNumbers.value eq "+1 555 0100"`))

				w = do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"`+id+`"}]}`)
				require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
				gid := decode(w)["id"].(string)

				// Replace the work address, drop the home one, add another,
				// and drop the phone.
				w = do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
					{"op":"replace","path":"emails","value":[{"value":"ada@new.example","type":"work","primary":true},{"value":"ada@other.example","type":"other"}]},
					{"op":"remove","path":"phoneNumbers"},
					{"op":"replace","path":"active","value":false}]}`)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				res := decode(w)
				assert.Equal(t, false, res["active"])
				assert.Len(t, res["emails"], 2)
				assert.Nil(t, res["phoneNumbers"])
				require.Len(t, res["groups"], 1, "the response shows the user's groups")
				assert.Equal(t, gid, res["groups"].([]any)[0].(map[string]any)["value"])
				version := res["meta"].(map[string]any)["version"].(string)
				assert.Equal(t, w.Header().Get("ETag"), version)

				for filter, n := range map[string]int{
					`emails.value eq "ada@work.example"`:                                    0,
					`emails.value eq "ada@home.example"`:                                    0,
					`emails.value eq "ada@new.example"`:                                     1,
					`emails.value eq "ada@other.example"`:                                   1,
					`emails[type eq "work" and primary eq true].value eq "ada@new.example"`: 1,
					`phoneNumbers pr`:                                                       0,
					`active eq false`:                                                       1,
				} {
					assert.Equal(t, n, found(filter), filter)
				}
				w = do(http.MethodGet, "/Users/"+id, "")
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, res, decode(w), "a read shows what the PATCH answered")

				if events {
					evs, err := users.Events(context.Background(), 0, 100)
					require.NoError(t, err)
					var types []scim.EventType
					for _, e := range evs {
						types = append(types, e.Type)
					}
					assert.Equal(t, []scim.EventType{scim.EventUserCreated, scim.EventGroupCreated, scim.EventGroupMembersAdded,
						scim.EventUserDeactivated, scim.EventUserUpdated}, types)
					last := evs[len(evs)-1]
					assert.Equal(t, version, last.Version)
					assert.Contains(t, last.ChangedAttributes, "emails")
					var snap map[string]any
					require.NoError(t, json.Unmarshal(last.Snapshot, &snap))
					assert.Equal(t, res, snap, "the snapshot is the resource as the API returns it")
					for i := 1; i < len(evs); i++ {
						assert.Greater(t, evs[i].Cursor, evs[i-1].Cursor)
					}
				}

				// A stale If-Match changes nothing and records nothing.
				w = do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`,
					"If-Match", `W/"1"`)
				assert.Equal(t, http.StatusPreconditionFailed, w.Code, w.Body.String())
				w = do(http.MethodPut, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`, "If-Match", `W/"1"`)
				assert.Equal(t, http.StatusPreconditionFailed, w.Code, w.Body.String())
				assert.Equal(t, 0, found(`active eq true`))
				if events {
					after, err := users.Events(context.Background(), 0, 100)
					require.NoError(t, err)
					assert.Len(t, after, 5)
				}

				// A PUT that takes userName another user has is a conflict,
				// and writes nothing.
				w = do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}`)
				require.Equal(t, http.StatusCreated, w.Code)
				w = do(http.MethodPut, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"BOB"}`)
				assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
				assert.Equal(t, 1, found(`userName eq "ada"`))
				w = do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Ada","emails":[{"value":"x@example.com"}]}`)
				assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
				assert.Equal(t, 0, found(`emails.value eq "x@example.com"`), "a create that conflicts leaves no rows")
			})
		}
	})
}

func onOffName(events bool) string {
	if events {
		return "events"
	}
	return "no-events"
}
