package scim_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Versioning (RFC 7644 §3.14): ETag headers, meta.version, If-Match and
// If-None-Match.

const userSchemaJSON = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`

func patchOp(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// requireETag checks that a single-resource response has a weak ETag equal
// to its meta.version, and returns it.
func requireETag(t *testing.T, rec interface {
	Header() http.Header
}, body map[string]any) string {
	t.Helper()
	etag := rec.Header().Get("ETag")
	require.True(t, strings.HasPrefix(etag, `W/"`) && strings.HasSuffix(etag, `"`), "weak ETag, got %q", etag)
	assert.Equal(t, etag, body["meta"].(map[string]any)["version"], "ETag equals meta.version")
	return etag
}

func TestETagOnEverySingleResourceResponse(t *testing.T) {
	h := newTestHandler()
	rec := doReq(h, http.MethodPost, "/Users", `{`+userSchemaJSON+`,"userName":"alice"}`)
	requireStatus(t, rec, http.StatusCreated)
	body := jsonBody(t, rec)
	id := body["id"].(string)
	v1 := requireETag(t, rec, body)

	rec = doReq(h, http.MethodGet, "/Users/"+id, "")
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, v1, requireETag(t, rec, jsonBody(t, rec)), "a read does not change the version")

	rec = doReq(h, http.MethodPut, "/Users/"+id, `{`+userSchemaJSON+`,"userName":"alice","nickName":"al"}`)
	requireStatus(t, rec, http.StatusOK)
	v2 := requireETag(t, rec, jsonBody(t, rec))
	assert.NotEqual(t, v1, v2)

	rec = doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"nickName","value":"ally"}`))
	requireStatus(t, rec, http.StatusOK)
	v3 := requireETag(t, rec, jsonBody(t, rec))
	assert.NotEqual(t, v2, v3)

	// With a projection that leaves meta out, the header is still there.
	rec = doReq(h, http.MethodGet, "/Users/"+id+"?attributes=userName", "")
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, v3, rec.Header().Get("ETag"))

	gid, gv := createGroup(t, h, "team", id)
	rec = doReq(h, http.MethodGet, "/Groups/"+gid, "")
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, gv, requireETag(t, rec, jsonBody(t, rec)))

	// Lists carry versions in meta but no ETag header.
	rec = doReq(h, http.MethodGet, "/Users", "")
	requireStatus(t, rec, http.StatusOK)
	assert.Empty(t, rec.Header().Get("ETag"))
	res := jsonBody(t, rec)["Resources"].([]any)
	require.Len(t, res, 1)
	assert.Equal(t, v3, res[0].(map[string]any)["meta"].(map[string]any)["version"])

	spc := getResource(t, h, "/ServiceProviderConfig")
	assert.Equal(t, map[string]any{"supported": true}, spc["etag"])
}

func TestIfMatchMismatchIs412(t *testing.T) {
	h := newTestHandler()
	id, v1 := createUser(t, h, "alice")
	gid, gv1 := createGroup(t, h, "team")
	stale := `W/"not-the-version"`
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"PUT user", http.MethodPut, "/Users/" + id, `{` + userSchemaJSON + `,"userName":"mallory"}`},
		{"PATCH user", http.MethodPatch, "/Users/" + id, patchOp(`{"op":"replace","path":"userName","value":"mallory"}`)},
		{"DELETE user", http.MethodDelete, "/Users/" + id, ""},
		{"PUT group", http.MethodPut, "/Groups/" + gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"x"}`},
		{"PATCH group members", http.MethodPatch, "/Groups/" + gid, patchOp(`{"op":"add","path":"members","value":[{"value":"` + id + `"}]}`)},
		{"PATCH group name", http.MethodPatch, "/Groups/" + gid, patchOp(`{"op":"replace","path":"displayName","value":"x"}`)},
		{"DELETE group", http.MethodDelete, "/Groups/" + gid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ifMatch := range []string{stale, `"not-the-version"`, stale + `, W/"other"`} {
				rec := doReq(h, tc.method, tc.path, tc.body, "If-Match", ifMatch)
				requireSCIMError(t, rec, http.StatusPreconditionFailed, "")
				assert.Empty(t, rec.Header().Get("ETag"), "an error has no ETag")
			}
		})
	}
	// Nothing changed.
	rec := doReq(h, http.MethodGet, "/Users/"+id, "")
	assert.Equal(t, v1, rec.Header().Get("ETag"))
	assert.Equal(t, "alice", jsonBody(t, rec)["userName"])
	rec = doReq(h, http.MethodGet, "/Groups/"+gid, "")
	assert.Equal(t, gv1, rec.Header().Get("ETag"))
	assert.Empty(t, memberValues(jsonBody(t, rec)))
}

func TestIfMatchCurrentVersionSucceeds(t *testing.T) {
	h := newTestHandler()
	id, v := createUser(t, h, "alice")
	strong := strings.TrimPrefix(v, "W/")

	rec := doReq(h, http.MethodPut, "/Users/"+id, `{`+userSchemaJSON+`,"userName":"alice","nickName":"a"}`, "If-Match", v)
	requireStatus(t, rec, http.StatusOK)
	v = rec.Header().Get("ETag")

	// Weak comparison: the opaque tag without W/ matches too, as does a list
	// that holds it.
	rec = doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"nickName","value":"b"}`), "If-Match", strings.TrimPrefix(v, "W/"))
	requireStatus(t, rec, http.StatusOK)
	v = rec.Header().Get("ETag")
	rec = doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"nickName","value":"c"}`), "If-Match", `W/"other", `+v)
	requireStatus(t, rec, http.StatusOK)
	v = rec.Header().Get("ETag")
	assert.NotEqual(t, strong, strings.TrimPrefix(v, "W/"))

	gid, gv := createGroup(t, h, "team")
	rec = doReq(h, http.MethodPatch, "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`), "If-Match", `W/"other", `+gv)
	requireStatus(t, rec, http.StatusNoContent)
	assert.Equal(t, []string{id}, memberValues(getResource(t, h, "/Groups/"+gid)))
	rec = doReq(h, http.MethodDelete, "/Groups/"+gid, "", "If-Match", strings.TrimPrefix(rec.Header().Get("ETag"), "W/"))
	requireStatus(t, rec, http.StatusNoContent)

	rec = doReq(h, http.MethodDelete, "/Users/"+id, "", "If-Match", `W/"other", `+v)
	requireStatus(t, rec, http.StatusNoContent)
	requireStatus(t, doReq(h, http.MethodGet, "/Users/"+id, ""), http.StatusNotFound)
}

func TestIfMatchStar(t *testing.T) {
	h := newTestHandler()
	id, _ := createUser(t, h, "alice")
	gid, _ := createGroup(t, h, "team")

	requireStatus(t, doReq(h, http.MethodPut, "/Users/"+id, `{`+userSchemaJSON+`,"userName":"alice","nickName":"a"}`, "If-Match", "*"), http.StatusOK)
	requireStatus(t, doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"nickName","value":"b"}`), "If-Match", "*"), http.StatusOK)
	requireStatus(t, doReq(h, http.MethodPatch, "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`), "If-Match", "*"), http.StatusNoContent)
	assert.Equal(t, []string{id}, memberValues(getResource(t, h, "/Groups/"+gid)))
	requireStatus(t, doReq(h, http.MethodDelete, "/Users/"+id, "", "If-Match", "*"), http.StatusNoContent)

	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPut, "/Users/" + id, `{` + userSchemaJSON + `,"userName":"alice"}`},
		{http.MethodPatch, "/Users/" + id, patchOp(`{"op":"replace","path":"nickName","value":"b"}`)},
		{http.MethodDelete, "/Users/" + id, ""},
		{http.MethodPatch, "/Groups/missing", patchOp(`{"op":"add","path":"members","value":[{"value":"x"}]}`)},
		{http.MethodDelete, "/Groups/missing", ""},
	} {
		requireSCIMError(t, doReq(h, tc.method, tc.path, tc.body, "If-Match", "*"), http.StatusNotFound, "")
	}
}

func TestIfNoneMatchOnGet(t *testing.T) {
	h := newTestHandler()
	id, v := createUser(t, h, "alice")
	for _, inm := range []string{v, strings.TrimPrefix(v, "W/"), `W/"x", ` + v, "*"} {
		rec := doReq(h, http.MethodGet, "/Users/"+id, "", "If-None-Match", inm)
		require.Equal(t, http.StatusNotModified, rec.Code, "If-None-Match: %s", inm)
		assert.Empty(t, rec.Body.Bytes())
		assert.Equal(t, v, rec.Header().Get("ETag"))
	}
	rec := doReq(h, http.MethodGet, "/Users/"+id, "", "If-None-Match", `W/"old"`)
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "alice", jsonBody(t, rec)["userName"])

	requireStatus(t, doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"add","path":"nickName","value":"al"}`)), http.StatusOK)
	rec = doReq(h, http.MethodGet, "/Users/"+id, "", "If-None-Match", v)
	requireStatus(t, rec, http.StatusOK)
	assert.NotEqual(t, v, rec.Header().Get("ETag"), "the resource changed")

	requireSCIMError(t, doReq(h, http.MethodGet, "/Users/missing", "", "If-None-Match", "*"), http.StatusNotFound, "")
}

// The version changes on every real change, and not on a PATCH that
// changes nothing.
func TestVersionChangesOnlyOnRealChanges(t *testing.T) {
	h := newTestHandler()
	uid, _ := createUser(t, h, "alice")
	gid, _ := createGroup(t, h, "team")
	version := func(path string) string {
		rec := doReq(h, http.MethodGet, path, "")
		requireStatus(t, rec, http.StatusOK)
		return rec.Header().Get("ETag")
	}
	patch := func(path, body string) string {
		t.Helper()
		rec := doReq(h, http.MethodPatch, path, body)
		if rec.Code != http.StatusNoContent { // member changes of a group
			requireStatus(t, rec, http.StatusOK)
		}
		return rec.Header().Get("ETag")
	}
	seen := map[string]bool{version("/Users/" + uid): true, version("/Groups/" + gid): true}
	changed := func(v string) {
		t.Helper()
		assert.False(t, seen[v], "version %s was seen before", v)
		seen[v] = true
	}

	v := patch("/Users/"+uid, patchOp(`{"op":"replace","path":"active","value":true}`))
	changed(v)
	assert.Equal(t, v, patch("/Users/"+uid, patchOp(`{"op":"replace","path":"active","value":true}`)), "same active")
	assert.Equal(t, v, patch("/Users/"+uid, patchOp(`{"op":"replace","path":"active","value":"True"}`)), "same active, as Entra ID sends it")
	assert.Equal(t, v, patch("/Users/"+uid, patchOp(`{"op":"replace","path":"userName","value":"alice"}`)), "same userName")
	assert.Equal(t, v, patch("/Users/"+uid, patchOp(`{"op":"remove","path":"nickName"}`)), "removing what is not there")
	assert.Equal(t, v, version("/Users/"+uid))
	v = patch("/Users/"+uid, patchOp(`{"op":"replace","path":"active","value":false}`))
	changed(v)
	v = patch("/Users/"+uid, patchOp(`{"op":"add","path":"emails","value":[{"value":"a@example.com","type":"work"}]}`))
	changed(v)
	assert.Equal(t, v, patch("/Users/"+uid, patchOp(`{"op":"add","path":"emails","value":[{"value":"a@example.com","type":"work"}]}`)), "same email")

	gv := patch("/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`))
	changed(gv)
	assert.Equal(t, gv, patch("/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`)), "member already present")
	assert.Equal(t, gv, patch("/Groups/"+gid, patchOp(`{"op":"remove","path":"members[value eq \"nobody\"]"}`)), "removing a non-member")
	assert.Equal(t, gv, patch("/Groups/"+gid, patchOp(`{"op":"replace","path":"displayName","value":"team"}`)), "same displayName")
	assert.Equal(t, gv, version("/Groups/"+gid))
	gv = patch("/Groups/"+gid, patchOp(`{"op":"remove","path":"members[value eq \"`+uid+`\"]"}`))
	changed(gv)

	rec := doReq(h, http.MethodPut, "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"renamed"}`)
	requireStatus(t, rec, http.StatusOK)
	changed(rec.Header().Get("ETag"))
}

// Of N writers that send the same If-Match at once, exactly one wins; the
// others get 412. Without If-Match, concurrent PATCHes lose no update.
func TestConcurrentWritersWithIfMatch(t *testing.T) {
	const n = 16
	run := func(t *testing.T, write func(i int) int) map[int]int {
		var wg sync.WaitGroup
		codes := make([]int, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				codes[i] = write(i)
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for _, c := range codes {
			count[c]++
		}
		return count
	}

	t.Run("PUT", func(t *testing.T) {
		h := newTestHandler()
		id, v := createUser(t, h, "alice")
		count := run(t, func(i int) int {
			return doReq(h, http.MethodPut, "/Users/"+id, `{`+userSchemaJSON+`,"userName":"alice","nickName":"n`+strconv.Itoa(i)+`"}`, "If-Match", v).Code
		})
		assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusPreconditionFailed: n - 1}, count)
	})
	t.Run("PATCH", func(t *testing.T) {
		h := newTestHandler()
		id, v := createUser(t, h, "alice")
		count := run(t, func(i int) int {
			return doReq(h, http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"nickName","value":"n`+strconv.Itoa(i)+`"}`), "If-Match", v).Code
		})
		assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusPreconditionFailed: n - 1}, count)
	})
	t.Run("PATCH members", func(t *testing.T) {
		h := newTestHandler()
		gid, v := createGroup(t, h, "team")
		ids := make([]string, n)
		for i := range ids {
			ids[i], _ = createUser(t, h, "u"+strconv.Itoa(i))
		}
		count := run(t, func(i int) int {
			return doReq(h, http.MethodPatch, "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+ids[i]+`"}]}`), "If-Match", v).Code
		})
		assert.Equal(t, map[int]int{http.StatusNoContent: 1, http.StatusPreconditionFailed: n - 1}, count)
		assert.Len(t, memberValues(getResource(t, h, "/Groups/"+gid)), 1)
	})
	t.Run("DELETE", func(t *testing.T) {
		h := newTestHandler()
		id, v := createUser(t, h, "alice")
		count := run(t, func(int) int {
			return doReq(h, http.MethodDelete, "/Users/"+id, "", "If-Match", v).Code
		})
		assert.Equal(t, 1, count[http.StatusNoContent])
		assert.Equal(t, n-1, count[http.StatusPreconditionFailed]+count[http.StatusNotFound], "%v", count)
	})
	t.Run("PATCH without If-Match", func(t *testing.T) {
		h := newTestHandler()
		id, _ := createUser(t, h, "alice")
		gid, _ := createGroup(t, h, "team")
		ids := make([]string, n)
		for i := range ids {
			ids[i], _ = createUser(t, h, "u"+strconv.Itoa(i))
		}
		count := run(t, func(i int) int {
			email := `{"op":"add","path":"emails","value":[{"value":"e` + strconv.Itoa(i) + `@example.com"}]}`
			if c := doReq(h, http.MethodPatch, "/Users/"+id, patchOp(email)).Code; c != http.StatusOK {
				return c
			}
			if c := doReq(h, http.MethodPatch, "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+ids[i]+`"}]}`)).Code; c != http.StatusNoContent {
				return c
			}
			return http.StatusOK
		})
		assert.Equal(t, map[int]int{http.StatusOK: n}, count)
		assert.Len(t, getResource(t, h, "/Users/"+id)["emails"], n, "no lost update")
		assert.ElementsMatch(t, ids, memberValues(getResource(t, h, "/Groups/"+gid)))
	})
}
