package scim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/scimkit/scim"
)

// FuzzBulk sends arbitrary BulkRequest bodies: the handler must never panic
// or answer 500, neither for the request nor for any of its operations, and
// must always answer with a SCIM error or a well-formed BulkResponse. The
// seed corpus is in testdata/fuzz/FuzzBulk.
func FuzzBulk(f *testing.F) {
	f.Add([]byte(bulkRequest(userOp("a", "alice"),
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:a"},{"value":"bulkId:g"}]}}`,
		`{"method":"PATCH","path":"/Groups/bulkId:g","version":"W/\"1\"","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"bulkId:a\"]"}]}}`,
		`{"method":"DELETE","path":"Users/bulkId:a"}`)))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[null,{},{"method":"PUT","path":"/Users/%zz"}]}`))
	f.Add([]byte(bulkRequest(`{"method":"DELETE","path":"/Users/ab%00cd"}`, `{"method":"PATCH","path":"/Groups/%FF","data":{}}`)))
	// NUL and invalid UTF-8 in every string of a request.
	for _, v := range scim.BadTextVariants(bulkRequest(userOp("a", "alice"),
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:a"}]}}`,
		`{"method":"PATCH","path":"/Users/bulkId:a","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"w@x"}]}}`)) {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := newTestHandler(scim.WithBulk(16, 16<<10))
		req := httptest.NewRequest(http.MethodPost, "/Bulk", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			checkStoredText(t, h, body)
		}
		if rec.Code != http.StatusOK {
			var e struct {
				Schemas []string
				Status  string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Schemas) != 1 || e.Schemas[0] != scim.ErrorSchema || e.Status != strconv.Itoa(rec.Code) {
				t.Fatalf("status %d with a body that is not its SCIM error: %s", rec.Code, rec.Body)
			}
			return
		}
		var resp struct {
			Schemas    []string
			Operations []bulkOp
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("BulkResponse is not JSON: %v: %s", err, rec.Body)
		}
		if len(resp.Schemas) != 1 || resp.Schemas[0] != scim.BulkResponseSchema || len(resp.Operations) > 16 {
			t.Fatalf("not a BulkResponse: %s", rec.Body)
		}
		for _, op := range resp.Operations {
			status, err := strconv.Atoi(op.Status)
			if err != nil || status < 200 || status >= 500 {
				t.Fatalf("operation status %q: %s", op.Status, rec.Body)
			}
			if (status >= 400) != (op.Response != nil) {
				t.Fatalf("operation with status %d and response %v", status, op.Response)
			}
			if status >= 400 && op.Response["status"] != op.Status {
				t.Fatalf("operation error %v does not carry its status %s", op.Response, op.Status)
			}
		}
	})
}
