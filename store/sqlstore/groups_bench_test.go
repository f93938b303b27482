package sqlstore_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkGroupCreate creates groups of 3 members through the handler,
// with events and without: on PostgreSQL one statement each.
//
//	go test ./store/sqlstore -run '^$' -bench BenchmarkGroupCreate -benchtime 2000x
func BenchmarkGroupCreate(b *testing.B) {
	for _, dl := range benchDialects {
		for _, events := range []bool{false, true} {
			b.Run(dl.name+"/"+onOff(events), func(b *testing.B) {
				h, _ := benchHandler(b, dl.name, dl.d, events)
				var members []string
				for i := range 3 {
					w := serveOK(b, h, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"m`+strconv.Itoa(i)+`"}`)
					loc := w.Header().Get("Location")
					members = append(members, `{"value":"`+loc[strings.LastIndexByte(loc, '/')+1:]+`"}`)
				}
				list := strings.Join(members, ",")
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					serveOK(b, h, http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g`+strconv.Itoa(i)+`","members":[`+list+`]}`)
				}
			})
		}
	}
}
