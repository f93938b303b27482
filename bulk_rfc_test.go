package scim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

// The examples of RFC 7644 §3.7 (bulk operations), with their request
// bodies as the RFC gives them.

// RFC 7644 §3.7.2: a User and a Group with the User as a member, in one
// request.
func TestBulkRFC7644BulkIDTemporaryIdentifiers(t *testing.T) {
	h := newTestHandler()
	ops := postBulk(t, h, `{
     "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
     "Operations": [
       {
         "method": "POST",
         "path": "/Users",
         "bulkId": "qwerty",
         "data": {
           "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "userName": "Alice"
         }
       },
       {
         "method": "POST",
         "path": "/Groups",
         "bulkId": "ytrewq",
         "data": {
           "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
           "displayName": "Tour Guides",
           "members": [
             {
               "type": "User",
               "value": "bulkId:qwerty"
             }
           ]
         }
       }
     ]
   }`)
	require.Len(t, ops, 2)
	for i, bulkID := range []string{"qwerty", "ytrewq"} {
		assert.Equal(t, "POST", ops[i].Method)
		assert.Equal(t, bulkID, ops[i].BulkID)
		assert.Equal(t, "201", ops[i].Status)
		assert.Nil(t, ops[i].Response)
	}
	require.True(t, strings.HasPrefix(ops[0].Location, "http://example.com/Users/"), ops[0].Location)
	require.True(t, strings.HasPrefix(ops[1].Location, "http://example.com/Groups/"), ops[1].Location)
	aliceID := idOf(t, ops[0].Location)

	group := getResource(t, h, "/Groups/"+idOf(t, ops[1].Location))
	assert.Equal(t, "Tour Guides", group["displayName"])
	assert.Equal(t, []string{aliceID}, memberValues(group))
	assert.Equal(t, ops[1].Version, group["meta"].(map[string]any)["version"], "version is the resource's ETag")
	assert.Equal(t, ops[1].Location, group["meta"].(map[string]any)["location"])

	alice := getResource(t, h, "/Users/"+aliceID)
	assert.Equal(t, "Alice", alice["userName"])
	assert.Equal(t, ops[0].Version, alice["meta"].(map[string]any)["version"])
	groups := alice["groups"].([]any)
	require.Len(t, groups, 1)
	assert.Equal(t, idOf(t, ops[1].Location), groups[0].(map[string]any)["value"])
}

// RFC 7644 §3.7.2: references inside an extension. The RFC's example
// spells the reference "batchId:qwerty" (an erratum), which is accepted for
// bulkIds the request defines, as is the correct "bulkId:qwerty".
func TestBulkRFC7644ReferenceInExtension(t *testing.T) {
	for _, prefix := range []string{"batchId:", "bulkId:"} {
		t.Run(prefix, func(t *testing.T) {
			h := newTestHandler()
			ops := postBulk(t, h, `{
     "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
     "Operations": [
       {
         "method": "POST",
         "path": "/Users",
         "bulkId": "qwerty",
         "data": {
           "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "userName": "Alice"
         }
       },
       {
         "method": "POST",
         "path": "/Users",
         "bulkId": "ytrewq",
         "data": {
           "schemas": [
             "urn:ietf:params:scim:schemas:core:2.0:User",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
           ],
           "userName": "Bob",
           "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
             "employeeNumber": "11250",
             "manager": {
               "value": "`+prefix+`qwerty"
             }
           }
         }
       }
     ]
   }`)
			require.Len(t, ops, 2)
			require.Equal(t, "201", ops[0].Status)
			require.Equal(t, "201", ops[1].Status)
			bob := getResource(t, h, "/Users/"+idOf(t, ops[1].Location))
			ent := bob[scim.EnterpriseUserSchema].(map[string]any)
			assert.Equal(t, "11250", ent["employeeNumber"])
			assert.Equal(t, idOf(t, ops[0].Location), ent["manager"].(map[string]any)["value"])
		})
	}
}

// RFC 7644 §3.7.1: two groups that are members of each other. The service
// provider resolves the cycle.
func TestBulkRFC7644CircularReference(t *testing.T) {
	h := newTestHandler()
	ops := postBulk(t, h, `{
     "failOnErrors":1,
     "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
     "Operations": [
       {
         "method": "POST",
         "path": "/Groups",
         "bulkId": "qwerty",
         "data": {
           "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
           "displayName": "Group A",
           "members": [
             {
               "type": "Group",
               "value": "bulkId:ytrewq"
             }
           ]
         }
       },
       {
         "method": "POST",
         "path": "/Groups",
         "bulkId": "ytrewq",
         "data": {
           "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
           "displayName": "Group B",
           "members": [
             {
               "type": "Group",
               "value": "bulkId:qwerty"
             }
           ]
         }
       }
     ]
   }`)
	require.Len(t, ops, 2)
	require.Equal(t, "201", ops[0].Status, "%+v", ops[0])
	require.Equal(t, "201", ops[1].Status, "%+v", ops[1])
	a, b := idOf(t, ops[0].Location), idOf(t, ops[1].Location)
	groupA := getResource(t, h, "/Groups/"+a)
	groupB := getResource(t, h, "/Groups/"+b)
	assert.Equal(t, []string{b}, memberValues(groupA))
	assert.Equal(t, []string{a}, memberValues(groupB))
	assert.Equal(t, ops[0].Version, groupA["meta"].(map[string]any)["version"], "the version after the cycle was completed")
	assert.Equal(t, ops[1].Version, groupB["meta"].(map[string]any)["version"])

	list := getResource(t, h, `/Groups?filter=displayName+sw+%22Group%22`)
	assert.Equal(t, 2.0, list["totalResults"])
}

// rfcResponseRequest is the BulkRequest of RFC 7644 §3.7.3 with the ids and
// versions of resources created for it.
func rfcResponseRequest(putID, putVersion, patchID, patchVersion, deleteID, deleteVersion string) string {
	return fmt.Sprintf(`{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
  "Operations":[
    {
      "method":"POST",
      "path":"/Users",
      "bulkId":"qwerty",
      "data":{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName":"Alice"
      }
    },
    {
      "method":"PUT",
      "path":"/Users/%s",
      "version":%q,
      "data":{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id":"%s",
        "userName":"Bob"
      }
    },
    {
      "method": "PATCH",
      "path": "/Users/%s",
      "version": %q,
      "data": {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
          {
            "op": "remove",
            "path": "nickName"
          },
          {
            "op": "replace",
            "path": "userName",
            "value": "Dave"
          }
        ]
      }
    },
    {
      "method":"DELETE",
      "path":"/Users/%s",
      "version":%q
    }
  ]
}`, putID, putVersion, putID, patchID, patchVersion, deleteID, deleteVersion)
}

// RFC 7644 §3.7.3: POST, PUT, PATCH and DELETE, all successful.
func TestBulkRFC7644ResponseAllSucceed(t *testing.T) {
	h := newTestHandler()
	putID, putVer := createUser(t, h, "bjensen")
	patchID, patchVer := createUser(t, h, "dnick")
	deleteID, deleteVer := createUser(t, h, "gone")

	ops := postBulk(t, h, rfcResponseRequest(putID, putVer, patchID, patchVer, deleteID, deleteVer))
	require.Len(t, ops, 4)
	want := []struct{ method, status, id string }{
		{"POST", "201", ""}, {"PUT", "200", putID}, {"PATCH", "200", patchID}, {"DELETE", "204", deleteID},
	}
	for i, w := range want {
		assert.Equal(t, w.method, ops[i].Method)
		assert.Equal(t, w.status, ops[i].Status, "%+v", ops[i])
		assert.Nil(t, ops[i].Response)
		if w.id != "" {
			assert.Equal(t, "http://example.com/Users/"+w.id, ops[i].Location)
		}
	}
	assert.Equal(t, "qwerty", ops[0].BulkID)
	assert.Empty(t, ops[3].Version, "a deleted resource has no version")

	bob := getResource(t, h, "/Users/"+putID)
	assert.Equal(t, "Bob", bob["userName"])
	assert.Equal(t, ops[1].Version, bob["meta"].(map[string]any)["version"])
	assert.NotEqual(t, putVer, ops[1].Version)
	dave := getResource(t, h, "/Users/"+patchID)
	assert.Equal(t, "Dave", dave["userName"])
	assert.Equal(t, ops[2].Version, dave["meta"].(map[string]any)["version"])
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+deleteID, ""), http.StatusNotFound)
	assert.Equal(t, "Alice", getResource(t, h, "/Users/"+idOf(t, ops[0].Location))["userName"])
}

// RFC 7644 §3.7.3: every operation fails (POST invalid, PUT and PATCH with
// stale versions, DELETE of a missing resource); the others still run.
func TestBulkRFC7644ResponseAllFail(t *testing.T) {
	h := newTestHandler()
	createUser(t, h, "Alice")
	putID, putVer := createUser(t, h, "bjensen")
	patchID, patchVer := createUser(t, h, "dnick")
	// Change both so that the versions the request carries are stale.
	requireStatus(t, doReq(h, http.MethodPut, "/Users/"+putID, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen2"}`), http.StatusOK)
	requireStatus(t, doReq(h, http.MethodPut, "/Users/"+patchID, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dnick2"}`), http.StatusOK)

	ops := postBulk(t, h, rfcResponseRequest(putID, putVer, patchID, patchVer, "e9025315-6bea-44e1-899c-1e07454e468b", `W/"0ee8add0a938e1a"`))
	require.Len(t, ops, 4)
	requireOpError(t, ops[0], http.StatusConflict, scim.ScimTypeUniqueness)
	assert.Empty(t, ops[0].Location, "a failed POST has no location")
	requireOpError(t, ops[1], http.StatusPreconditionFailed, "")
	assert.Equal(t, "http://example.com/Users/"+putID, ops[1].Location)
	requireOpError(t, ops[2], http.StatusPreconditionFailed, "")
	assert.Equal(t, "http://example.com/Users/"+patchID, ops[2].Location)
	requireOpError(t, ops[3], http.StatusNotFound, "")
	assert.Equal(t, "http://example.com/Users/e9025315-6bea-44e1-899c-1e07454e468b", ops[3].Location)

	assert.Equal(t, "bjensen2", getResource(t, h, "/Users/"+putID)["userName"])
	assert.Equal(t, "dnick2", getResource(t, h, "/Users/"+patchID)["userName"])
}

// RFC 7644 §3.7.3: with failOnErrors 1, processing stops at the first
// error and the response holds what ran.
func TestBulkRFC7644FailOnErrorsStops(t *testing.T) {
	h := newTestHandler()
	putID, putVer := createUser(t, h, "bjensen")
	patchID, patchVer := createUser(t, h, "dnick")
	deleteID, deleteVer := createUser(t, h, "gone")
	body := strings.Replace(rfcResponseRequest(putID, putVer, patchID, patchVer, deleteID, deleteVer),
		`"userName":"Alice"`, `"name":{"givenName":"Alice"}`, 1) // no userName: 400
	body = strings.Replace(body, `"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],`,
		`"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": 1,`, 1)

	ops := postBulk(t, h, body)
	require.Len(t, ops, 1)
	assert.Equal(t, "POST", ops[0].Method)
	assert.Equal(t, "qwerty", ops[0].BulkID)
	requireOpError(t, ops[0], http.StatusBadRequest, "")
	assert.Equal(t, "bjensen", getResource(t, h, "/Users/"+putID)["userName"], "later operations did not run")
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+deleteID, ""), http.StatusOK)
}

// RFC 7644 §3.7.4: the payload and operation limits.
func TestBulkRFC7644Limits(t *testing.T) {
	h := newTestHandler()
	big := bulkRequest(`{"method":"POST","path":"/Users","bulkId":"x","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` +
		strings.Repeat("a", 1<<20) + `"}}`)
	m := requireSCIMError(t, doReq(h, http.MethodPost, "/Bulk", big), http.StatusRequestEntityTooLarge, "")
	assert.Equal(t, "The size of the bulk operation exceeds the maxPayloadSize (1048576).", m["detail"])

	// A Content-Length over the limit is refused before the body is read.
	req := httptest.NewRequest(http.MethodPost, "/Bulk", strings.NewReader(bulkRequest()))
	req.ContentLength = 4294967296
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	m = requireSCIMError(t, rec, http.StatusRequestEntityTooLarge, "")
	assert.Equal(t, "The size of the bulk operation exceeds the maxPayloadSize (1048576).", m["detail"])

	small := newTestHandler(scim.WithBulk(3, 2048))
	m = requireSCIMError(t, doReq(small, http.MethodPost, "/Bulk", bulkRequest(userOp("a", "a"), userOp("b", "b"), userOp("c", "c"), userOp("d", "d"))),
		http.StatusRequestEntityTooLarge, "")
	assert.Contains(t, m["detail"], "maxOperations (3)")
	list := getResource(t, small, "/Users")
	assert.Equal(t, 0.0, list["totalResults"], "nothing ran")
	ops := postBulk(t, small, bulkRequest(userOp("a", "a"), userOp("b", "b"), userOp("c", "c")))
	assert.Len(t, ops, 3)
	m = requireSCIMError(t, doReq(small, http.MethodPost, "/Bulk", bulkRequest(userOp("e", strings.Repeat("e", 2048)))), http.StatusRequestEntityTooLarge, "")
	assert.Equal(t, "The size of the bulk operation exceeds the maxPayloadSize (2048).", m["detail"])
}
