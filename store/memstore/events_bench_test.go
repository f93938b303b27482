package memstore_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// BenchmarkEventsWrite compares POST and PATCH through the handler on
// memstore with events recorded and without (WithEventRetention(0)).
func BenchmarkEventsWrite(b *testing.B) {
	for _, op := range []string{"post", "patch"} {
		for _, events := range []bool{false, true} {
			name := op + "/no-events"
			var opts []memstore.Option
			if events {
				name = op + "/events"
			} else {
				opts = append(opts, memstore.WithEventRetention(0))
			}
			b.Run(name, func(b *testing.B) {
				users, groups := memstore.New(opts...)
				h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
				serve := func(method, path, body string) *httptest.ResponseRecorder {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
					if w.Code >= 300 {
						b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
					}
					return w
				}
				loc := serve(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p","active":true}`).Header().Get("Location")
				id := loc[strings.LastIndexByte(loc, '/')+1:]
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if op == "post" {
						serve(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+strconv.Itoa(i)+`","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"u`+strconv.Itoa(i)+`@example.com","type":"work"}],"active":true}`)
					} else {
						serve(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"n`+strconv.Itoa(i)+`"}]}`)
					}
				}
			})
		}
	}
}
