package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// With events, a write's response in the default projection is the user's
// snapshot, rendered once for both: it must be byte for byte what a GET
// of the same version answers, for a store that records events and for
// one whose events the handler builds.
func TestEventsWriteResponseIsTheResource(t *testing.T) {
	for name, opts := range map[string][]scim.Option{
		"recorded": nil,
		"sink":     {scim.WithEventSink(func(context.Context, []scim.Event) {})},
	} {
		t.Run(name, func(t *testing.T) {
			users, groups := memstore.New()
			var us scim.UserStore = users
			if name == "sink" {
				us = plainUsers{users} // records nothing: the handler builds the events
			}
			h := scim.NewHandler(us, groups, append(opts, scim.WithoutAuthentication())...)
			do := func(method, path, body string) *httptest.ResponseRecorder {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
				require.Less(t, w.Code, 300, "%s %s: %s", method, path, w.Body)
				return w
			}
			same := func(w *httptest.ResponseRecorder, path string) {
				t.Helper()
				g := do(http.MethodGet, path, "")
				require.Equal(t, g.Body.String(), w.Body.String())
				require.Equal(t, g.Header().Get("ETag"), w.Header().Get("ETag"))
				require.Equal(t, g.Header().Get("Content-Type"), w.Header().Get("Content-Type"))
			}
			w := do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","password":"s3cret-Pass","name":{"givenName":"Ada"},"emails":[{"value":"ada@example.com","primary":true}]}`)
			loc := w.Header().Get("Location")
			require.NotEmpty(t, loc)
			path := loc[strings.Index(loc, "/Users/"):]
			same(w, path)
			require.NotContains(t, w.Body.String(), "s3cret")
			id := path[len("/Users/"):]
			do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"`+id+`"}]}`)
			w = do(http.MethodPatch, path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ada L"}]}`)
			same(w, path)
			require.Contains(t, w.Body.String(), `"groups"`)
			w = do(http.MethodPut, path, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","active":false}`)
			same(w, path)
			// Another projection is rendered for the response.
			w = do(http.MethodPatch, path+"?attributes=userName", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Dr"}]}`)
			require.NotContains(t, w.Body.String(), "Dr")
			require.Contains(t, w.Body.String(), `"userName":"ada"`)
		})
	}
}

// plainUsers hides the store's EventRecorder.
type plainUsers struct{ scim.UserStore }
