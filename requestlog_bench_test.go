package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// BenchmarkRequestLogRecord measures what making the record costs the
// handler, on memstore (where that cost shows most): a create and a PATCH
// as an identity provider sends them, with no request log and with a
// logger that discards the record. With the log off, the handler must
// allocate nothing more than before the log existed.
func BenchmarkRequestLogRecord(b *testing.B) {
	discard := scim.RequestLoggerFunc(func(context.Context, *scim.RequestRecord) {})
	for _, tc := range []struct {
		name string
		opts []scim.Option
	}{{"log=off", nil}, {"log=on", []scim.Option{scim.WithRequestLog(discard)}}} {
		b.Run(tc.name, func(b *testing.B) {
			users, groups := memstore.New()
			h := scim.NewHandler(users, groups, append([]scim.Option{scim.WithoutAuthentication()}, tc.opts...)...)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				name := "user" + strconv.Itoa(i) + "@example.com"
				r := httptest.NewRequest("POST", "/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+
					`","name":{"givenName":"Bench","familyName":"User"},"emails":[{"primary":true,"value":"`+name+`","type":"work"}],"active":true}`))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 201 {
					b.Fatal(w.Code, w.Body)
				}
				loc := w.Header().Get("Location")
				r = httptest.NewRequest("PATCH", "/Users/"+loc[strings.LastIndexByte(loc, '/')+1:], strings.NewReader(
					`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`))
				w = httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkRequestLogReads measures what the record costs the reads of
// the comparison (issue 15) on memstore: GET by id, the userName filter
// and a page of 100 users, with no request log and with a logger that
// discards the record.
func BenchmarkRequestLogReads(b *testing.B) {
	discard := scim.RequestLoggerFunc(func(context.Context, *scim.RequestRecord) {})
	for _, log := range []string{"off", "on"} {
		var opts []scim.Option
		if log == "on" {
			opts = append(opts, scim.WithRequestLog(discard))
		}
		f := newFleet(b, 10000, opts...)
		w := newDiscard()
		for _, tc := range []struct{ name, target string }{
			{"get", "/Users/" + f.userIDs[5000]},
			{"filter", "/Users?filter=" + url.QueryEscape(`userName eq "`+f.names[5000]+`"`)},
			{"list", "/Users?startIndex=5001&count=100"},
		} {
			reqs := gets([]string{tc.target})
			b.Run(tc.name+"/log="+log, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.serveReq(b, w, reqs[0], http.StatusOK)
				}
			})
		}
	}
}
