package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request sequences of Microsoft Entra ID and Okta, as their
// documentation shows them, replayed against the application over HTTP,
// on SQLite and (when SCIMKIT_POSTGRES_DSN is set) PostgreSQL, checking
// the answers and what lands in the application's tables.

const token = "T0k3n"

// app is the application serving on a loopback port, with its database.
type app struct {
	t    *testing.T
	base string
	db   *DB
}

func startApp(t *testing.T, dsn string) *app {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, token, dsn, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop")
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)
	sqlDB, postgres := openDB(t, dsn)
	return &app{t: t, base: "http://" + ln.Addr().String() + "/scim/v2", db: &DB{DB: sqlDB, pg: postgres}}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a request as an identity provider does; query strings are
// given as they would be typed, and encoded here (spaces as +, as Entra
// ID sends them). headers are pairs of a name and a value.
func (a *app) call(method, path, body string, headers ...string) answer {
	a.t.Helper()
	if p, q, ok := strings.Cut(path, "?"); ok {
		v := url.Values{}
		for _, kv := range strings.Split(q, "&") {
			k, val, _ := strings.Cut(kv, "=")
			v.Set(k, val)
		}
		path = p + "?" + v.Encode()
	}
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	ans := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 {
		require.NoError(a.t, json.Unmarshal(b, &ans.body), "%s", b)
		assert.Equal(a.t, "application/scim+json", resp.Header.Get("Content-Type"))
	}
	return ans
}

func (a *app) want(status int, ans answer) answer {
	a.t.Helper()
	require.Equal(a.t, status, ans.status, "%s", ans.raw)
	return ans
}

func (a *app) total(path string) float64 {
	a.t.Helper()
	return a.want(200, a.call("GET", path, "")).body["totalResults"].(float64)
}

// row reads one value from the application's tables.
func (a *app) row(query string, args ...any) string {
	a.t.Helper()
	var v sql.NullString
	require.NoError(a.t, a.db.QueryRow(a.db.q(query), args...).Scan(&v))
	return v.String
}

func (a *app) exec(query string, args ...any) {
	a.t.Helper()
	_, err := a.db.Exec(a.db.q(query), args...)
	require.NoError(a.t, err)
}

func patchOp(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func TestEntraID(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) { replayEntra(t, startApp(t, dsn)) })
	}
}

func replayEntra(t *testing.T, a *app) {
	// Test Connection: a user and a group that do not exist.
	assert.Equal(t, 0.0, a.total(`/Users?filter=userName eq "3d0c0fb9-5f4a-4b4e-8c8c-0f1d63d7f0a1"`))
	assert.Equal(t, 0.0, a.total(`/Groups?excludedAttributes=members&filter=displayName eq "a5c2d0f2-3c8b-4f7e-9f7e-0d3b8c2e1f00"`))

	// Schema discovery offers the attributes the application keeps.
	schemas := a.want(200, a.call("GET", "/Schemas", ""))
	assert.Equal(t, 3.0, schemas.body["totalResults"])
	user := a.want(200, a.call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", ""))
	var names []string
	for _, attr := range user.body["attributes"].([]any) {
		names = append(names, attr.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"userName", "name", "active", "emails", "groups"}, names)
	assert.NotContains(t, schemas.raw, "password")

	// U1: create, with what Entra adds (readOnly meta, empty roles, nulls).
	created := a.want(201, a.call("POST", "/Users?aadOptscim062020", `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "userName": "Test_User_ab6490ee@contoso.com", "active": true,
		"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
		"meta": {"resourceType": "User"},
		"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"roles": [], "addresses": null, "phoneNumbers": null, "preferredLanguage": null, "title": null, "displayName": "Test User"}`))
	id := created.body["id"].(string)
	assert.NotEmpty(t, created.header.Get("Location"))
	assert.Equal(t, map[string]any{"familyName": "familyName", "givenName": "givenName"}, created.body["name"])
	assert.Equal(t, []any{map[string]any{"type": "work", "value": "Test_User_fd0ea19b@testuser.com"}}, created.body["emails"])
	assert.Equal(t, true, created.body["active"])
	assert.NotContains(t, created.raw, "displayName", "the application keeps no display name")
	assert.Equal(t, "Test_User_ab6490ee@contoso.com", a.row("SELECT email FROM accounts WHERE id = ?", id))
	assert.Equal(t, "Test_User_fd0ea19b@testuser.com", a.row("SELECT contact_email FROM accounts WHERE id = ?", id))

	// U3, U5: the matching queries, each one indexed query.
	assert.Equal(t, 1.0, a.total(`/Users?filter=userName eq "test_user_AB6490EE@contoso.com"`))
	assert.Equal(t, 1.0, a.total(`/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`))
	assert.Equal(t, 0.0, a.total(`/Users?filter=externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"`))
	assert.Equal(t, 1.0, a.total(`/Users?filter=emails[type eq "work"].value eq "test_user_fd0ea19b@testuser.com"`))
	got := a.want(200, a.call("GET", "/Users/"+id, ""))
	assert.Equal(t, created.body["meta"].(map[string]any)["version"], got.body["meta"].(map[string]any)["version"])

	// U6, U7, U9, U10: updates, one operation per attribute and path-less.
	a.want(200, a.call("PATCH", "/Users/"+id, patchOp(
		`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"}`,
		`{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`)))
	assert.Equal(t, "updatedEmail@microsoft.com", a.row("SELECT contact_email FROM accounts WHERE id = ?", id))
	assert.Equal(t, "updatedFamilyName", a.row("SELECT last_name FROM accounts WHERE id = ?", id))
	a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","path":"userName","value":"5b50642d@contoso.com"}`)))
	assert.Equal(t, "5b50642d@contoso.com", a.row("SELECT email FROM accounts WHERE id = ?", id))
	v := a.want(200, a.call("GET", "/Users/"+id, "")).header.Get("ETag")
	r := a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"Add","path":"nickName","value":"Babs"}`)))
	assert.Equal(t, v, r.header.Get("ETag"), "a nickName the application does not keep changes nothing")
	a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom",
		"name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`)))
	assert.Equal(t, "Kkom Unua", a.row("SELECT first_name || ' ' || last_name FROM accounts WHERE id = ?", id))

	// U12: the manager, written in a second pass as a plain id, then
	// checked the way Entra checks it.
	mgr := a.want(201, a.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"boss@contoso.com","active":true}`)).body["id"].(string)
	a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mgr+`"}`)))
	assert.Equal(t, mgr, a.row("SELECT manager_id FROM accounts WHERE id = ?", id))
	got = a.want(200, a.call("GET", "/Users/"+id, ""))
	assert.Equal(t, map[string]any{"value": mgr}, got.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["manager"])
	check := a.want(200, a.call("GET", `/Users?filter=id eq "`+id+`" and manager eq "`+mgr+`"&attributes=id`, ""))
	assert.Equal(t, 1.0, check.body["totalResults"])
	assert.Equal(t, id, check.body["Resources"].([]any)[0].(map[string]any)["id"])
	assert.NotContains(t, check.raw, "userName", "attributes=id")
	r = a.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","path":"manager","value":"26118915-6090-4610-87e4-49d8ca9f808d"}`))
	a.want(400, r)
	assert.Equal(t, "invalidValue", r.body["scimType"], "a manager who is not a user of the organisation")

	// U8: disabling ends the user's sessions; the string "False" is how
	// Entra sends it without the aadOptscim062020 flag.
	a.exec("INSERT INTO sessions (id, account_id, created_at) VALUES ('s1', ?, ?)", id, time.Now().UTC())
	r = a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","path":"active","value":"False"}`)))
	assert.Equal(t, false, r.body["active"])
	assert.Equal(t, "0", a.row("SELECT count(*) FROM sessions WHERE account_id = ?", id))
	assert.NotEmpty(t, a.row("SELECT deactivated_at FROM accounts WHERE id = ?", id))
	assert.Equal(t, "1", a.row("SELECT count(*) FROM audit_log WHERE action = 'account.deactivated' AND account_id = ?", id))
	assert.Equal(t, 1.0, a.total(`/Users?filter=userName eq "5b50642d@contoso.com"`), "a disabled user is still found")
	r = a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"active","value":true}`)))
	assert.Equal(t, true, r.body["active"])
	assert.Empty(t, a.row("SELECT deactivated_at FROM accounts WHERE id = ?", id))

	// G1-G8: a group, created empty, then members one PATCH at a time.
	g := a.want(201, a.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
		"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Sales","meta":{"resourceType":"Group"}}`))
	gid := g.body["id"].(string)
	assert.Equal(t, []any{}, g.body["members"])
	list := a.want(200, a.call("GET", `/Groups?excludedAttributes=members&filter=displayName eq "sales"`, ""))
	assert.Equal(t, 1.0, list.body["totalResults"])
	assert.NotContains(t, list.raw, `"members"`)
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"},{"$ref":null,"value":"`+mgr+`"}]}`)))
	member := func(uid string) float64 {
		return a.total(`/Groups?filter=id eq "` + gid + `" and members eq "` + uid + `"&excludedAttributes=members`)
	}
	assert.Equal(t, 1.0, member(id))
	assert.Equal(t, 1.0, member(mgr))
	assert.Equal(t, 0.0, member("12345"))
	assert.Equal(t, 0.0, member("not-an-id"))
	check = a.want(200, a.call("GET", `/Groups?filter=id eq "`+gid+`" and members eq "`+mgr+`"&attributes=id`, ""))
	assert.Equal(t, 1.0, check.body["totalResults"], "the same check with attributes=id")
	assert.NotContains(t, check.raw, "displayName")
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+mgr+`"}]}`)))
	assert.Equal(t, 0.0, member(mgr))
	assert.Equal(t, 1.0, member(id), "only the listed member goes")
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"remove","path":"members[value eq \"`+id+`\"]"}`)))
	assert.Equal(t, 0.0, member(id))
	r = a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Add","path":"members","value":[{"value":"424242"}]}`))
	a.want(400, r)
	assert.Equal(t, "invalidValue", r.body["scimType"], "a member who is not a user of the organisation")
	a.want(200, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Replace","path":"displayName","value":"Sales EMEA"}`)))
	assert.Equal(t, "Sales EMEA", a.row("SELECT name FROM teams WHERE id = ?", gid))
	assert.Equal(t, "2", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_added' AND team_id = ?", gid))
	assert.Equal(t, "2", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ?", gid))

	// The user's groups.
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Add","path":"members","value":[{"value":"`+id+`"}]}`)))
	got = a.want(200, a.call("GET", "/Users/"+id, ""))
	assert.Equal(t, []any{map[string]any{"value": gid, "display": "Sales EMEA", "type": "direct", "$ref": a.base + "/Groups/" + gid}}, got.body["groups"])

	// U14, G8: deletes, with the account's removal from its team in the
	// audit log; ids the application never issued are 404.
	a.want(204, a.call("DELETE", "/Users/"+id, ""))
	a.want(404, a.call("GET", "/Users/"+id, ""))
	assert.Equal(t, 0.0, member(id))
	assert.Equal(t, "0", a.row("SELECT count(*) FROM team_members WHERE team_id = ?", gid))
	assert.Equal(t, "1", a.row("SELECT count(*) FROM audit_log WHERE action = 'account.deleted' AND account_id = ?", id))
	assert.Equal(t, "3", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ?", gid))
	assert.Equal(t, "2", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ? AND account_id = ?", gid, id), "removed, added back, deleted")
	a.want(204, a.call("DELETE", "/Groups/"+gid, ""))
	a.want(404, a.call("GET", "/Groups/"+gid, ""))
	assert.Equal(t, "1", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.deleted' AND team_id = ?", gid))
	for _, bad := range []string{"/Users/2819c223-7f76-453a-919d-413861904646", "/Users/007", "/Groups/-1", "/Groups/99999999"} {
		a.want(404, a.call("GET", bad, ""))
	}
}

func TestOkta(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) { replayOkta(t, startApp(t, dsn)) })
	}
}

func replayOkta(t *testing.T, a *app) {
	// Connection test and existence check.
	r := a.want(200, a.call("GET", "/Users?startIndex=1&count=2", ""))
	assert.Equal(t, 0.0, r.body["totalResults"])
	assert.Equal(t, 1.0, r.body["startIndex"])
	assert.Equal(t, 0.0, a.total(`/Users?filter=userName eq "isabella.andersen@example.com"&startIndex=1&count=100`))

	// Create, with Okta's password and empty groups, in plain JSON as
	// Okta's client sends it.
	okta := []string{"User-Agent", "Okta SCIM Client 1.0.0", "Content-Type", "application/json"}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isabella.andersen@example.com",
		"name":{"givenName":"Isabella","familyName":"Andersen"},"emails":[{"primary":true,"value":"isabella.andersen@example.com","type":"work"}],
		"displayName":"Isabella Andersen","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`
	created := a.want(201, a.call("POST", "/Users", body, okta...))
	id := created.body["id"].(string)
	assert.Equal(t, true, created.body["active"])
	assert.Equal(t, "Isabella", created.body["name"].(map[string]any)["givenName"])
	assert.NotContains(t, created.raw, "1mz050nq")
	r = a.want(409, a.call("POST", "/Users", body))
	assert.Equal(t, "uniqueness", r.body["scimType"])
	assert.Equal(t, 1.0, a.total(`/Users?filter=userName eq "ISABELLA.ANDERSEN@example.com"`))

	// Update by PUT of what it read.
	got := a.want(200, a.call("GET", "/Users/"+id, "", okta...))
	got.body["name"].(map[string]any)["familyName"] = "Andersen-Berg"
	put, _ := json.Marshal(got.body)
	r = a.want(200, a.call("PUT", "/Users/"+id, string(put), okta...))
	assert.Equal(t, "Andersen-Berg", r.body["name"].(map[string]any)["familyName"])
	assert.Equal(t, "00ujl29u0le5T6Aj10h7", r.body["externalId"])
	deactivations := func() string {
		return a.row("SELECT count(*) FROM audit_log WHERE action = 'account.deactivated' AND account_id = ?", id)
	}

	// AIW apps deactivate by a PUT of what they read, with active false:
	// the sessions end. A second PUT of the inactive user changes nothing.
	a.exec("INSERT INTO sessions (id, account_id, created_at) VALUES ('okta-s1', ?, ?)", id, time.Now().UTC())
	got = a.want(200, a.call("GET", "/Users/"+id, "", okta...))
	got.body["active"] = false
	put, _ = json.Marshal(got.body)
	r = a.want(200, a.call("PUT", "/Users/"+id, string(put), okta...))
	assert.Equal(t, false, r.body["active"])
	assert.Equal(t, "0", a.row("SELECT count(*) FROM sessions WHERE account_id = ?", id))
	assert.NotEmpty(t, a.row("SELECT deactivated_at FROM accounts WHERE id = ?", id))
	assert.Equal(t, "1", deactivations())
	a.want(200, a.call("PUT", "/Users/"+id, string(put), okta...))
	assert.Equal(t, "1", deactivations(), "already inactive")

	// Reactivation, then deactivation, path-less PATCH (SCIM 2.0 apps).
	r = a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","value":{"active":true}}`), okta...))
	assert.Equal(t, true, r.body["active"])
	assert.Empty(t, a.row("SELECT deactivated_at FROM accounts WHERE id = ?", id))
	assert.Equal(t, "1", a.row("SELECT count(*) FROM audit_log WHERE action = 'account.reactivated' AND account_id = ?", id))
	a.exec("INSERT INTO sessions (id, account_id, created_at) VALUES ('okta-s2', ?, ?)", id, time.Now().UTC())
	r = a.want(200, a.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","value":{"active":false}}`), okta...))
	assert.Equal(t, false, r.body["active"])
	assert.Equal(t, "0", a.row("SELECT count(*) FROM sessions WHERE account_id = ?", id))
	assert.Equal(t, "2", deactivations())

	// A PUT without userName is refused, and changes nothing.
	r = a.want(400, a.call("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, okta...))
	assert.Equal(t, "invalidValue", r.body["scimType"])
	assert.Equal(t, "isabella.andersen@example.com", a.row("SELECT email FROM accounts WHERE id = ?", id))

	// Group push: create, membership PATCHes mixing remove and add, rename
	// with the id inside the value, full replace, PUT, delete.
	second := a.want(201, a.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"john.doe@example.com"}`)).body["id"].(string)
	g := a.want(201, a.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`))
	gid := g.body["id"].(string)
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"remove","path":"members[value eq \"nobody\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"`+id+`","display":"isabella.andersen@example.com"}]}`), okta...))
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"remove","path":"members[value eq \"`+id+`\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"`+second+`","display":"john.doe@example.com"}]}`)))
	members := func() []any {
		return a.want(200, a.call("GET", "/Groups/"+gid, "")).body["members"].([]any)
	}
	assert.Equal(t, []any{map[string]any{"value": second}}, members())
	a.want(200, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}`)))
	assert.Equal(t, "Test SCIMv2 renamed", a.row("SELECT name FROM teams WHERE id = ?", gid))
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"replace","path":"members","value":[{"value":"`+id+`"},{"value":"`+second+`"}]}`)))
	assert.Len(t, members(), 2)
	r = a.want(200, a.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+gid+`",
		"displayName":"Test SCIMv2","members":[{"value":"`+second+`","display":"john.doe@example.com"}]}`))
	assert.Equal(t, []any{map[string]any{"value": second}}, r.body["members"])
	assert.Equal(t, "1", a.row("SELECT count(*) FROM team_members WHERE team_id = ?", gid))
	// Every membership change left its audit row: added Isabella, then John
	// and Isabella again; removed Isabella twice.
	assert.Equal(t, "3", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_added' AND team_id = ?", gid))
	assert.Equal(t, "2", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ? AND account_id = ?", gid, id))
	assert.Equal(t, "2", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ?", gid))

	// Every member out, then a PUT without members.
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"replace","path":"members","value":[]}`), okta...))
	assert.Equal(t, []any{}, members())
	assert.Equal(t, "3", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ?", gid))
	a.want(204, a.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+second+`"}]}`), okta...))
	r = a.want(200, a.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2 again"}`, okta...))
	assert.Equal(t, []any{}, r.body["members"])
	assert.Equal(t, "0", a.row("SELECT count(*) FROM team_members WHERE team_id = ?", gid))
	assert.Equal(t, "4", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.member_removed' AND team_id = ?", gid))

	// Import: pages of users and groups until totalResults.
	var seen []string
	for start := 1; ; start++ {
		p := a.want(200, a.call("GET", "/Users?startIndex="+itoa(start)+"&count=1", ""))
		for _, u := range p.body["Resources"].([]any) {
			seen = append(seen, u.(map[string]any)["id"].(string))
		}
		if float64(start) >= p.body["totalResults"].(float64) {
			break
		}
	}
	assert.ElementsMatch(t, []string{id, second}, seen)
	assert.Equal(t, 1.0, a.total("/Groups?startIndex=1&count=100"))

	a.want(204, a.call("DELETE", "/Groups/"+gid, ""))
	assert.Equal(t, 0.0, a.total("/Groups"))
	assert.Equal(t, "1", a.row("SELECT count(*) FROM audit_log WHERE action = 'team.deleted' AND team_id = ?", gid))

	// The SPEC test's unknown ids and bad token.
	r = a.want(404, a.call("GET", "/Users/010101001010101011001010101011", ""))
	assert.Equal(t, "404", r.body["status"])
	assert.NotEmpty(t, r.body["detail"])
	req, _ := http.NewRequest("GET", a.base+"/Users", nil)
	req.Header.Set("Authorization", "non-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
