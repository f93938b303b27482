package scim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimkit/scim"
)

// checkStoredText fails t if anything h serves from /Users and /Groups
// holds invalid UTF-8, NUL or replaced text (see scim.HasBadText): the
// invariant of the fuzz targets that store, after every 2xx answer to sent.
func checkStoredText(t *testing.T, h http.Handler, sent []byte) {
	t.Helper()
	for _, path := range []string{"/Users?count=1000", "/Groups?count=1000"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		if scim.HasBadText(rec.Body.Bytes(), sent) {
			t.Fatalf("after %q, GET %s serves bad text: %q", sent, path, rec.Body)
		}
	}
}

func TestBadTextVariantsReachEveryString(t *testing.T) {
	v := scim.BadTextVariants(`{"a":"b\"c"}`)
	if len(v) != 9*5 {
		t.Fatalf("%d variants: %q", len(v), v)
	}
	if v[1] != "{\"\x00a\":\"b\\\"c\"}" || v[4] != "{\"a\":\"b\\\"c\x00\"}" {
		t.Fatalf("%q", v[:5])
	}
}
