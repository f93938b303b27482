package connectionstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

// RunTenantIsolation checks, over HTTP, that the SCIM handler h keeps two
// tenants apart: tokenA and tokenB are bearer credentials of two
// connections of different tenants, and h's root is the SCIM base URL
// (serve /Users at /Users). Both tenants must start empty, and h must have
// /Bulk enabled.
//
// Each tenant provisions users and groups, then tries every way to reach
// the other's: GET, PUT, PATCH and DELETE by id (with and without
// If-Match and If-None-Match), every filter form identity providers send
// (eq, co, sw, ew, pr, value paths, members eq, id eq … and members eq …,
// or, not, groups.value, meta.lastModified) on GET and on POST /.search,
// sorting and paging, PATCH and POST of groups whose members are the
// other tenant's users, /Bulk with bulkId references, and the same
// userName as the other tenant's users. A request that names another
// tenant's resource must get exactly the response (status, scimType,
// detail, with the id swapped) that it gets for an id that exists nowhere,
// no response may contain anything of the other tenant's, and nothing of
// the other tenant's may change.
func RunTenantIsolation(t *testing.T, h http.Handler, tokenA, tokenB string) {
	t.Helper()
	a := &tenantClient{h: h, token: tokenA, name: "A"}
	b := &tenantClient{h: h, token: tokenB, name: "B"}
	da := provision(t, a, "a")
	db := provision(t, b, "b")
	t.Run("BAttacksA", func(t *testing.T) { attack(t, b, db, a, da) })
	t.Run("AAttacksB", func(t *testing.T) { attack(t, a, da, b, db) })
}

// tenantClient sends requests with one tenant's credential.
type tenantClient struct {
	h     http.Handler
	token string
	name  string
}

type scimResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r scimResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body %s", r.body)
	return m
}

func (c *tenantClient) do(t *testing.T, method, path, body string, header ...string) scimResponse {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return scimResponse{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// tenantData is what one tenant provisioned, and the strings that must
// never appear in a response to the other.
type tenantData struct {
	userIDs, groupIDs []string
	userETag          string
	groupETag         string
	secrets           []string // ids and values unique to this tenant
	user, group       string   // the first user's and group's bodies as first read
}

const userURN = "urn:ietf:params:scim:schemas:core:2.0:User"
const groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"

// provision creates two users and a group of both in the tenant of c;
// every value carries the tag, so the other tenant's responses can be
// searched for it.
func provision(t *testing.T, c *tenantClient, tag string) *tenantData {
	t.Helper()
	d := &tenantData{}
	for i, who := range []string{"ann", "bob"} {
		userName := fmt.Sprintf("%s.%s@example.com", who, tag)
		body := fmt.Sprintf(`{"schemas":[%q],"userName":%q,"externalId":"ext-%s-%d","displayName":"%s %s",`+
			`"name":{"givenName":%q,"familyName":"Tenant%s"},"active":true,`+
			`"emails":[{"value":%q,"type":"work","primary":true}]}`,
			userURN, userName, tag, i, who, tag, who, tag, userName)
		res := c.do(t, http.MethodPost, "/Users", body)
		require.Equal(t, http.StatusCreated, res.status, "tenant %s creating %s: %s", c.name, userName, res.body)
		m := res.json(t)
		d.userIDs = append(d.userIDs, m["id"].(string))
		d.secrets = append(d.secrets, m["id"].(string), userName, fmt.Sprintf("ext-%s-%d", tag, i), "Tenant"+tag)
		if i == 0 {
			d.userETag = res.header.Get("ETag")
		}
	}
	gbody := fmt.Sprintf(`{"schemas":[%q],"displayName":"Admins %s","externalId":"gext-%s","members":[{"value":%q},{"value":%q}]}`,
		groupURN, tag, tag, d.userIDs[0], d.userIDs[1])
	res := c.do(t, http.MethodPost, "/Groups", gbody)
	require.Equal(t, http.StatusCreated, res.status, "tenant %s creating a group: %s", c.name, res.body)
	m := res.json(t)
	d.groupIDs = append(d.groupIDs, m["id"].(string))
	d.groupETag = res.header.Get("ETag")
	d.secrets = append(d.secrets, m["id"].(string), "Admins "+tag, "gext-"+tag)
	d.user = string(c.do(t, http.MethodGet, "/Users/"+d.userIDs[0], "").body)
	d.group = string(c.do(t, http.MethodGet, "/Groups/"+d.groupIDs[0], "").body)
	return d
}

// noLeak fails if res holds anything of victim's but what the request
// itself named (sent, which the response may echo).
func noLeak(t *testing.T, res scimResponse, victim *tenantData, what string, sent ...string) {
	t.Helper()
	for _, s := range victim.secrets {
		if slices.Contains(sent, s) {
			continue
		}
		require.NotContains(t, string(res.body), s, "%s: the response shows the other tenant's %q", what, s)
		for k, vs := range res.header {
			for _, v := range vs {
				require.NotContains(t, v, s, "%s: header %s shows the other tenant's %q", what, k, s)
			}
		}
	}
}

// sameAsMissing sends a request naming the victim's resource id and the
// same request naming an id that exists nowhere, and requires the same
// answer to both, with the ids swapped (and, for a success, without the
// id and meta of the resource written). reset, if not nil, runs before
// each request, to give both the same starting point.
func sameAsMissing(t *testing.T, c *tenantClient, victim *tenantData, reset func(), method, pathFmt, bodyFmt, id string, header ...string) scimResponse {
	t.Helper()
	missing := scim.NewID()
	fill := func(f, id string) string { return strings.ReplaceAll(f, "{id}", id) }
	if reset != nil {
		reset()
	}
	got := c.do(t, method, fill(pathFmt, id), fill(bodyFmt, id), header...)
	if reset != nil {
		reset()
	}
	want := c.do(t, method, fill(pathFmt, missing), fill(bodyFmt, missing), header...)
	what := method + " " + pathFmt + " " + bodyFmt
	require.Equal(t, want.status, got.status, "%s: the status tells the other tenant's id from a missing one: %s", what, got.body)
	require.Equal(t, normalize(t, want), strings.ReplaceAll(normalize(t, got), id, missing),
		"%s: the body tells the other tenant's id from a missing one", what)
	noLeak(t, got, victim, what, id)
	return got
}

// normalize returns a response's body, without the top-level id and meta
// of a success (which differ between two writes).
func normalize(t *testing.T, res scimResponse) string {
	t.Helper()
	if res.status/100 != 2 || len(res.body) == 0 {
		return string(res.body)
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(res.body, &m), "%s", res.body)
	delete(m, "id")
	delete(m, "meta")
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

// unchanged requires the victim's first user and group to read as they
// did after provisioning, version included.
func unchanged(t *testing.T, owner *tenantClient, victim *tenantData, after string) {
	t.Helper()
	require.Equal(t, victim.user, string(owner.do(t, http.MethodGet, "/Users/"+victim.userIDs[0], "").body),
		"the other tenant's user changed after %s", after)
	require.Equal(t, victim.group, string(owner.do(t, http.MethodGet, "/Groups/"+victim.groupIDs[0], "").body),
		"the other tenant's group changed after %s", after)
	res := owner.do(t, http.MethodGet, "/Users/"+victim.userIDs[1], "")
	require.Equal(t, http.StatusOK, res.status, "the other tenant's second user is gone after %s", after)
}

func attack(t *testing.T, c *tenantClient, own *tenantData, owner *tenantClient, victim *tenantData) {
	uid, gid := victim.userIDs[0], victim.groupIDs[0]
	// The victim's resources as they are now (its own earlier attack may
	// have written its own group).
	res := owner.do(t, http.MethodGet, "/Users/"+uid, "")
	victim.user, victim.userETag = string(res.body), res.header.Get("ETag")
	res = owner.do(t, http.MethodGet, "/Groups/"+gid, "")
	victim.group, victim.groupETag = string(res.body), res.header.Get("ETag")

	t.Run("ByID", func(t *testing.T) {
		replaceUser := `{"schemas":["` + userURN + `"],"id":"{id}","userName":"hijacked","displayName":"hijacked"}`
		replaceGroup := `{"schemas":["` + groupURN + `"],"id":"{id}","displayName":"hijacked","members":[]}`
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`
		patchGroup := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`
		for _, r := range []struct{ method, path, body, id string }{
			{http.MethodGet, "/Users/{id}", "", uid},
			{http.MethodGet, "/Users/{id}?attributes=userName", "", uid},
			{http.MethodGet, "/Groups/{id}", "", gid},
			{http.MethodGet, "/Groups/{id}?excludedAttributes=members", "", gid},
			{http.MethodPut, "/Users/{id}", replaceUser, uid},
			{http.MethodPut, "/Groups/{id}", replaceGroup, gid},
			{http.MethodPatch, "/Users/{id}", patch, uid},
			{http.MethodPatch, "/Groups/{id}", patchGroup, gid},
			{http.MethodPatch, "/Groups/{id}?excludedAttributes=members", patchGroup, gid},
			{http.MethodDelete, "/Users/{id}", "", uid},
			{http.MethodDelete, "/Groups/{id}", "", gid},
		} {
			res := sameAsMissing(t, c, victim, nil, r.method, r.path, r.body, r.id)
			require.Equal(t, http.StatusNotFound, res.status, "%s %s", r.method, r.path)
		}
		unchanged(t, owner, victim, "requests by id")
	})

	t.Run("Preconditions", func(t *testing.T) {
		replaceUser := `{"schemas":["` + userURN + `"],"id":"{id}","userName":"hijacked"}`
		for _, r := range []struct{ method, path, body, id, header, etag string }{
			// The owner's current tag must not answer 304 or 412 to the
			// other tenant, and neither must a wrong tag.
			{http.MethodGet, "/Users/{id}", "", uid, "If-None-Match", victim.userETag},
			{http.MethodGet, "/Groups/{id}", "", gid, "If-None-Match", victim.groupETag},
			{http.MethodGet, "/Users/{id}", "", uid, "If-Match", `W/"no-such-version"`},
			{http.MethodPut, "/Users/{id}", replaceUser, uid, "If-Match", victim.userETag},
			{http.MethodPut, "/Users/{id}", replaceUser, uid, "If-Match", `W/"no-such-version"`},
			{http.MethodDelete, "/Users/{id}", "", uid, "If-Match", victim.userETag},
			{http.MethodDelete, "/Groups/{id}", "", gid, "If-Match", `W/"no-such-version"`},
			{http.MethodDelete, "/Groups/{id}", "", gid, "If-Match", "*"},
			{http.MethodPatch, "/Users/{id}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`,
				uid, "If-Match", victim.userETag},
		} {
			res := sameAsMissing(t, c, victim, nil, r.method, r.path, r.body, r.id, r.header, r.etag)
			require.Equal(t, http.StatusNotFound, res.status, "%s %s with %s: %s", r.method, r.path, r.header, r.etag)
		}
		unchanged(t, owner, victim, "conditional requests")
	})

	t.Run("Filters", func(t *testing.T) {
		vu := victim.secrets[1] // the first user's userName
		prefix, suffix := vu[:5], vu[strings.Index(vu, "@")-1:]
		userFilters := []string{
			`id eq "` + uid + `"`,
			`userName eq "` + vu + `"`,
			`userName eq "` + strings.ToUpper(vu) + `"`,
			`userName co "` + vu[1:len(vu)-1] + `"`,
			`userName sw "` + prefix + `"`,
			`userName ew "` + suffix + `"`,
			`externalId eq "` + victim.secrets[2] + `"`,
			`name.familyName eq "` + victim.secrets[3] + `"`,
			`emails.value eq "` + vu + `"`,
			`emails[type eq "work" and value eq "` + vu + `"]`,
			`emails[value co "` + vu[1:] + `"]`,
			`groups.value eq "` + gid + `"`,
			`groups[value eq "` + gid + `"]`,
			`userName eq "nobody" or id eq "` + uid + `"`,
			`not (id ne "` + uid + `")`,
			`id pr and userName eq "` + vu + `"`,
		}
		groupFilters := []string{
			`id eq "` + gid + `"`,
			`displayName eq "` + victim.secrets[len(victim.secrets)-2] + `"`,
			`externalId eq "` + victim.secrets[len(victim.secrets)-1] + `"`,
			`members eq "` + uid + `"`,
			`members.value eq "` + uid + `"`,
			`members[value eq "` + uid + `"]`,
			`id eq "` + gid + `" and members eq "` + uid + `"`,
			`id eq "` + gid + `" and members[value eq "` + uid + `"]`,
			`displayName sw "Admins"`,
		}
		for _, f := range userFilters {
			for _, extra := range []string{"", "&excludedAttributes=groups", "&attributes=id"} {
				res := c.do(t, http.MethodGet, "/Users?filter="+url.QueryEscape(f)+extra, "")
				requireEmptyList(t, res, victim, "GET /Users?filter="+f+extra)
			}
			res := c.do(t, http.MethodPost, "/Users/.search", searchBody(f))
			requireEmptyList(t, res, victim, "POST /Users/.search "+f)
			res = c.do(t, http.MethodPost, "/.search", searchBody(f))
			noLeak(t, res, victim, "POST /.search "+f)
		}
		for _, f := range groupFilters {
			for _, extra := range []string{"", "&excludedAttributes=members"} {
				res := c.do(t, http.MethodGet, "/Groups?filter="+url.QueryEscape(f)+extra, "")
				if strings.Contains(f, "Admins") {
					// Matches the attacker's own group, and only it.
					requireOwnOnly(t, res, own.groupIDs, victim, "GET /Groups?filter="+f)
					continue
				}
				requireEmptyList(t, res, victim, "GET /Groups?filter="+f+extra)
			}
			res := c.do(t, http.MethodPost, "/Groups/.search", searchBody(f))
			if !strings.Contains(f, "Admins") {
				requireEmptyList(t, res, victim, "POST /Groups/.search "+f)
			}
		}
		// Every list, sorted and paged, holds only the caller's own.
		for _, p := range []string{
			"/Users", "/Users?sortBy=userName", "/Users?sortBy=userName&sortOrder=descending&startIndex=1&count=1",
			"/Users?filter=" + url.QueryEscape(`userName pr`), "/Users?filter=" + url.QueryEscape(`meta.lastModified gt "2000-01-01T00:00:00Z"`),
			"/Users?filter=" + url.QueryEscape(`active eq true`), "/Users?count=0",
		} {
			requireOwnOnly(t, c.do(t, http.MethodGet, p, ""), own.userIDs, victim, "GET "+p)
		}
		for _, p := range []string{"/Groups", "/Groups?sortBy=displayName", "/Groups?filter=" + url.QueryEscape(`members pr`)} {
			requireOwnOnly(t, c.do(t, http.MethodGet, p, ""), own.groupIDs, victim, "GET "+p)
		}
		res := c.do(t, http.MethodPost, "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`)
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		noLeak(t, res, victim, "POST /.search everything")
		require.EqualValues(t, len(own.userIDs)+len(own.groupIDs), res.json(t)["totalResults"], "POST /.search counts only the caller's")
	})

	t.Run("MembersFromTheOtherTenant", func(t *testing.T) {
		// A group of the attacker naming the victim's user answers as one
		// naming a user that exists nowhere, and does not reach the victim.
		own0 := own.groupIDs[0]
		var ownGroup map[string]any
		require.NoError(t, json.Unmarshal(c.do(t, http.MethodGet, "/Groups/"+own0, "").body, &ownGroup))
		restore := fmt.Sprintf(`{"schemas":[%q],"displayName":%q,"externalId":%q,"members":[{"value":%q},{"value":%q}]}`,
			groupURN, ownGroup["displayName"], ownGroup["externalId"], own.userIDs[0], own.userIDs[1])
		reset := func() {
			res := c.do(t, http.MethodPut, "/Groups/"+own0, restore)
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		}
		create := `{"schemas":["` + groupURN + `"],"displayName":"grab {id}","members":[{"value":"{id}"}]}`
		sameAsMissing(t, c, victim, nil, http.MethodPost, "/Groups", create, uid)
		res := c.do(t, http.MethodGet, "/Groups?filter="+url.QueryEscape(`displayName sw "grab "`), "")
		rs, _ := res.json(t)["Resources"].([]any)
		for _, r := range rs {
			c.do(t, http.MethodDelete, "/Groups/"+r.(map[string]any)["id"].(string), "")
		}
		add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{id}"}]}]}`
		remove := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{id}\"]"}]}`
		removeValue := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members","value":[{"value":"{id}"}]}]}`
		replace := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"` + own.userIDs[0] + `"},{"value":"{id}"}]}]}`
		for _, body := range []string{add, remove, removeValue, replace} {
			for _, q := range []string{"", "?excludedAttributes=members"} {
				sameAsMissing(t, c, victim, reset, http.MethodPatch, "/Groups/"+own0+q, body, uid)
			}
		}
		put := `{"schemas":["` + groupURN + `"],"displayName":"Admins put","members":[{"value":"{id}"}]}`
		sameAsMissing(t, c, victim, reset, http.MethodPut, "/Groups/"+own0, put, uid)
		reset()
		unchanged(t, owner, victim, "groups naming its users")
		// The victim's user lists only its own tenant's group.
		res = owner.do(t, http.MethodGet, "/Users/"+uid+"?attributes=groups", "")
		require.Equal(t, http.StatusOK, res.status)
		groups, _ := res.json(t)["groups"].([]any)
		require.Len(t, groups, 1, "the victim's user is in one group: %s", res.body)
		require.Equal(t, gid, groups[0].(map[string]any)["value"])
	})

	t.Run("Bulk", func(t *testing.T) {
		bulk := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
{"method":"POST","path":"/Users","bulkId":"u1","data":{"schemas":["` + userURN + `"],"userName":"bulk-{id}@example.com"}},
{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["` + groupURN + `"],"displayName":"bulk {id}","members":[{"value":"bulkId:u1"},{"value":"{id}"}]}},
{"method":"PATCH","path":"/Groups/bulkId:g1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{id}"}]}]}},
{"method":"PUT","path":"/Users/{id}","data":{"schemas":["` + userURN + `"],"userName":"hijacked"}},
{"method":"PATCH","path":"/Users/{id}","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}},
{"method":"DELETE","path":"/Users/{id}"},
{"method":"DELETE","path":"/Groups/` + gid + `"},
{"method":"PATCH","path":"/Groups/` + gid + `","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:u1"}]}]}}
]}`
		got := c.do(t, http.MethodPost, "/Bulk", strings.ReplaceAll(bulk, "{id}", uid))
		missing := scim.NewID()
		want := c.do(t, http.MethodPost, "/Bulk", strings.ReplaceAll(strings.ReplaceAll(bulk, "{id}", missing), gid, scim.NewID()))
		require.Equal(t, http.StatusOK, got.status, "%s", got.body)
		require.Equal(t, want.status, got.status)
		noLeak(t, got, victim, "POST /Bulk", uid, gid)
		require.Equal(t, bulkStatuses(t, want), bulkStatuses(t, got),
			"each bulk operation on the other tenant's resources answers as on missing ones")
		unchanged(t, owner, victim, "a bulk request")
	})

	t.Run("UniquenessDoesNotLeak", func(t *testing.T) {
		// The victim's userName is free in the attacker's tenant: taking
		// it must not answer 409, which would reveal that it exists.
		vu := victim.secrets[1]
		res := c.do(t, http.MethodPost, "/Users", `{"schemas":["`+userURN+`"],"userName":"`+vu+`"}`)
		require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
		id := res.json(t)["id"].(string)
		require.NotContains(t, victim.userIDs, id)
		res = c.do(t, http.MethodPatch, "/Users/"+own.userIDs[1], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"`+strings.ToUpper(victim.secrets[5])+`"}]}`)
		require.Equal(t, http.StatusOK, res.status, "renaming to the other tenant's second userName: %s", res.body)
		res = c.do(t, http.MethodDelete, "/Users/"+id, "")
		require.Equal(t, http.StatusNoContent, res.status)
		unchanged(t, owner, victim, "taking its userNames")
	})
}

func searchBody(filter string) string {
	b, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": filter})
	return string(b)
}

// requireEmptyList requires a 200 ListResponse with no resources, or the
// error the handler gives every tenant for the filter.
func requireEmptyList(t *testing.T, res scimResponse, victim *tenantData, what string) {
	t.Helper()
	noLeak(t, res, victim, what)
	require.Equal(t, http.StatusOK, res.status, "%s: %s", what, res.body)
	m := res.json(t)
	require.EqualValues(t, 0, m["totalResults"], "%s: %s", what, res.body)
}

// requireOwnOnly requires a 200 ListResponse whose resources are all among
// own, and that shows nothing of the victim's.
func requireOwnOnly(t *testing.T, res scimResponse, own []string, victim *tenantData, what string) {
	t.Helper()
	noLeak(t, res, victim, what)
	require.Equal(t, http.StatusOK, res.status, "%s: %s", what, res.body)
	m := res.json(t)
	total, _ := m["totalResults"].(float64)
	require.LessOrEqual(t, int(total), len(own), "%s counts only the caller's resources: %s", what, res.body)
	rs, _ := m["Resources"].([]any)
	for _, r := range rs {
		id, _ := r.(map[string]any)["id"].(string)
		require.Contains(t, own, id, "%s returned a resource that is not the caller's", what)
	}
}

// bulkStatuses returns the status of each operation of a BulkResponse.
func bulkStatuses(t *testing.T, res scimResponse) []string {
	t.Helper()
	var br struct {
		Operations []struct {
			Status   json.RawMessage `json:"status"`
			Response json.RawMessage `json:"response"`
		}
	}
	require.NoError(t, json.NewDecoder(bytes.NewReader(res.body)).Decode(&br), "%s", res.body)
	out := make([]string, len(br.Operations))
	for i, op := range br.Operations {
		out[i] = string(op.Status)
		var e struct {
			ScimType string `json:"scimType"`
		}
		if json.Unmarshal(op.Response, &e) == nil && e.ScimType != "" {
			out[i] += " " + e.ScimType
		}
	}
	assert.NotEmpty(t, out)
	return out
}
