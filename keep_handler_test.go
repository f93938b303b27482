package scim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appUserAttributes are what a store over an accounts table keeps.
var appUserAttributes = []string{"externalId", "name.givenName", "name.familyName", `emails[type eq "work"].value`,
	"active", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}

// keepingUsers is memstore declaring appUserAttributes, recording what it
// is given, and returning a title it never keeps, as a store that maps
// one column too many would.
// keepingUsers embeds the Store interface, not memstore's type, so that
// memstore's UserLender does not pass through and its Get and List are the
// handler's only reads.
type keepingUsers struct {
	scim.UserStore
	mu      sync.Mutex
	written []*scim.User
	queries []scim.Query
}

func (s *keepingUsers) KeptAttributes() []string { return appUserAttributes }

func (s *keepingUsers) record(u *scim.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *u
	s.written = append(s.written, &c)
}

func (s *keepingUsers) last() *scim.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written[len(s.written)-1]
}

func (s *keepingUsers) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	s.record(u)
	got, err := s.UserStore.Create(ctx, u)
	if got != nil {
		got.Title = "leaked"
	}
	return got, err
}

func (s *keepingUsers) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	s.record(u)
	return s.UserStore.Replace(ctx, u, ifVersion)
}

func (s *keepingUsers) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	got, err := s.UserStore.Get(ctx, id, opts)
	if got != nil {
		got.Title = "leaked"
	}
	return got, err
}

func (s *keepingUsers) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	s.mu.Lock()
	s.queries = append(s.queries, *q)
	s.mu.Unlock()
	return s.UserStore.List(ctx, q)
}

func (s *keepingUsers) lastQuery() (scim.Query, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queries) == 0 {
		return scim.Query{}, 0
	}
	return s.queries[len(s.queries)-1], len(s.queries)
}

// memberIDGroups is memstore's group store keeping members as ids only,
// recording the queries it answers.
type memberIDGroups struct {
	*memstore.GroupStore
	mu      sync.Mutex
	queries []scim.Query
}

func (*memberIDGroups) KeptAttributes() []string { return []string{"members.value"} }

func (s *memberIDGroups) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	s.mu.Lock()
	s.queries = append(s.queries, *q)
	s.mu.Unlock()
	return s.GroupStore.List(ctx, q)
}

func newKeepingClient(t *testing.T, opts ...scim.Option) (*client, *keepingUsers, *memberIDGroups) {
	us, gs := memstore.New()
	users, groups := &keepingUsers{UserStore: us}, &memberIDGroups{GroupStore: gs}
	return newClientFor(t, users, groups, opts...), users, groups
}

const fullEntraUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"userName":"ada@example.com","externalId":"e-1","active":true,"title":"Countess","nickName":"Ada","password":"t1meMa$heen",
	"name":{"givenName":"Ada","familyName":"Lovelace","middleName":"King"},
	"emails":[{"value":"ada@example.com","type":"work","primary":true},{"value":"ada@home.example","type":"home"}],
	"phoneNumbers":[{"value":"555","type":"mobile"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Maths","employeeNumber":"1"}}`

func attrNames(schema map[string]any) []string {
	var names []string
	for _, a := range schema["attributes"].([]any) {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	return names
}

func subNames(schema map[string]any, attr string) []string {
	for _, a := range schema["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == attr {
			return attrNames(map[string]any{"attributes": m["subAttributes"]})
		}
	}
	return nil
}

func TestKeptAttributesAreAdvertised(t *testing.T) {
	c, _, _ := newKeepingClient(t)
	r := c.do("GET", "/Schemas/"+scim.UserSchema, "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, []string{"userName", "name", "active", "emails"}, attrNames(r.json))
	assert.Equal(t, []string{"familyName", "givenName"}, subNames(r.json, "name"))
	assert.Equal(t, []string{"value", "type"}, subNames(r.json, "emails"))
	assert.Contains(t, string(r.body), `"canonicalValues":["work"]`)
	assert.NotContains(t, string(r.body), "password")

	r = c.do("GET", "/Schemas/"+scim.EnterpriseUserSchema, "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, []string{"manager"}, attrNames(r.json))
	assert.Equal(t, []string{"value"}, subNames(r.json, "manager"))

	r = c.do("GET", "/Schemas/"+scim.GroupSchema, "")
	assert.Equal(t, []string{"displayName", "members"}, attrNames(r.json))
	assert.Equal(t, []string{"value"}, subNames(r.json, "members"))
	assert.Equal(t, 3.0, c.do("GET", "/Schemas", "").json["totalResults"])

	// A store that keeps nothing of the Enterprise User extension does not
	// list it.
	us, gs := memstore.New()
	c = newClientFor(t, us, gs, scim.WithUserAttributes("externalId", "active"))
	assert.Equal(t, 2.0, c.do("GET", "/Schemas", "").json["totalResults"])
	r = c.do("GET", "/ResourceTypes/User", "")
	assert.Empty(t, r.json["schemaExtensions"])
	r = c.do("GET", "/Schemas/"+scim.UserSchema, "")
	assert.Equal(t, []string{"userName", "active"}, attrNames(r.json))
	requireError(t, c.do("GET", "/Schemas/"+scim.EnterpriseUserSchema, ""), 404, "")
}

func TestUnkeptAttributesNeverReachTheStore(t *testing.T) {
	c, users, _ := newKeepingClient(t)
	r := c.do("POST", "/Users", fullEntraUser)
	require.Equal(t, 201, r.status, "%s", r.body)
	id := r.json["id"].(string)
	active := true
	assert.Equal(t, &scim.User{UserName: "ada@example.com", ExternalID: "e-1", Active: &active,
		Name:   &scim.Name{GivenName: "Ada", FamilyName: "Lovelace"},
		Emails: []scim.MultiValue{{Value: "ada@example.com", Type: "work"}}}, users.last())
	assert.NotContains(t, string(r.body), "leaked", "the response shows only what the store keeps")
	assert.NotContains(t, string(r.body), "primary")

	// PUT, PATCH and bulk alike.
	r = c.do("PUT", "/Users/"+id, strings.Replace(fullEntraUser, "Lovelace", "Byron", 1))
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, "Byron", users.last().Name.FamilyName)
	assert.Empty(t, users.last().Title)
	assert.Empty(t, users.last().PhoneNumbers)
	v := r.header.Get("ETag")
	r = c.do("PATCH", "/Users/"+id, patchOps(`{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"556"}`,
		`{"op":"replace","path":"title","value":"Lady"}`))
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, v, r.header.Get("ETag"), "a PATCH of attributes the store does not keep changes nothing")
	r = c.do("PATCH", "/Users/"+id, patchOps(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"ada@work.example"}`,
		`{"op":"replace","value":{"nickName":"A","name.givenName":"Augusta"}}`))
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, &scim.Name{GivenName: "Augusta", FamilyName: "Byron"}, users.last().Name)
	assert.Equal(t, []scim.MultiValue{{Value: "ada@work.example", Type: "work"}}, users.last().Emails)
	assert.Empty(t, users.last().NickName)
	r = c.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","title":"Sir"}}]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, "bob", users.last().UserName)
	assert.Empty(t, users.last().Title)
}

func patchOps(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func TestStrictAttributesRefuseUnkept(t *testing.T) {
	c, users, _ := newKeepingClient(t, scim.WithStrictAttributes())
	for body, detail := range map[string]string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","title":"x"}`:                                            `"title"`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":[{"value":"a@x","type":"home"}]}`:               "emails",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","name":{"formatted":"A"}}`:                               `"name.formatted"`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","password":"secret"}`:                                    "passwords",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","nosuch":"x"}`:                                           "nosuch",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":[{"value":"a@x","type":"work","display":"A"}]}`: "emails.display",
	} {
		r := c.do("POST", "/Users", body)
		requireError(t, r, 400, scim.ScimTypeInvalidValue)
		assert.Contains(t, r.json["detail"], detail, body)
	}
	assert.Empty(t, users.written, "nothing refused reached the store")
	r := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":false,"emails":[{"value":"a@x","type":"work"}]}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	id := r.json["id"].(string)
	r = c.do("PATCH", "/Users/"+id, patchOps(`{"op":"add","path":"nickName","value":"A"}`))
	requireError(t, r, 400, scim.ScimTypeInvalidValue)
	assert.Contains(t, r.json["detail"], "nickName")
	r = c.do("PATCH", "/Users/"+id, patchOps(`{"op":"replace","path":"active","value":"True"}`))
	require.Equal(t, 200, r.status, "what the store returns beyond what it keeps (its title) is not the client's doing: %s", r.body)
}

func TestFiltersOnUnkeptAttributes(t *testing.T) {
	c, users, _ := newKeepingClient(t)
	for _, u := range []string{"ada", "bob"} {
		require.Equal(t, 201, c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+u+`","title":"x"}`).status)
	}
	for _, tc := range []struct {
		filter string
		total  float64
		sent   string // the filter the store gets; "-" for no call
	}{
		{`title eq "x"`, 0, "-"},
		{`title pr or phoneNumbers pr`, 0, "-"},
		{`title ne "x"`, 2, ""},
		{`userName eq "ada" or title eq "x"`, 1, `userName eq "ada"`},
		{`userName eq "ada" and not (nickName pr)`, 1, `userName eq "ada"`},
		{`emails[type eq "work" and display eq "x"]`, 0, "-"},
		{`name.middleName eq "x" or name.givenName pr`, 0, `name.givenName pr`},
	} {
		_, before := users.lastQuery()
		r := c.do("GET", "/Users?filter="+urlQuery(tc.filter), "")
		require.Equal(t, 200, r.status, "%s: %s", tc.filter, r.body)
		assert.Equal(t, tc.total, r.json["totalResults"], tc.filter)
		q, after := users.lastQuery()
		if tc.sent == "-" {
			assert.Equal(t, before, after, "%s: the store is not asked", tc.filter)
			continue
		}
		require.Equal(t, before+1, after, tc.filter)
		assert.Equal(t, tc.sent, q.Filter.String(), tc.filter)
	}
	r := c.do("GET", "/Users?sortBy=title", "")
	require.Equal(t, 200, r.status)
	q, _ := users.lastQuery()
	assert.Empty(t, q.SortBy, "a sort by an attribute the store does not keep is no sort")
	r = c.do("GET", "/Users?sortBy=name.familyName", "")
	require.Equal(t, 200, r.status)
	q, _ = users.lastQuery()
	assert.Equal(t, "name.familyName", q.SortBy)
	r = c.do("GET", "/?filter="+urlQuery(`title eq "x"`), "")
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, 0.0, r.json["totalResults"])
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "+", `"`, "%22", "[", "%5B", "]", "%5D").Replace(s)
}

// The store is asked for memberships whenever the filter tests them, even
// when the response excludes them, as Entra ID's membership check does.
func TestSkipMembershipFollowsTheFilter(t *testing.T) {
	c, _, groups := newKeepingClient(t)
	uid := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`).json["id"].(string)
	r := c.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Admins","members":[{"value":"`+uid+`","display":"Ada","type":"User"}]}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	gid := r.json["id"].(string)
	assert.Equal(t, []any{map[string]any{"value": uid}}, r.json["members"], "members as ids only, as /Schemas says")

	last := func() scim.Query {
		groups.mu.Lock()
		defer groups.mu.Unlock()
		return groups.queries[len(groups.queries)-1]
	}
	r = c.do("GET", "/Groups?excludedAttributes=members&filter="+urlQuery(`id eq "`+gid+`" and members eq "`+uid+`"`), "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, 1.0, r.json["totalResults"])
	assert.False(t, last().SkipMembership, "the filter needs the members")
	r = c.do("GET", "/Groups?excludedAttributes=members&filter="+urlQuery(`displayName eq "admins"`), "")
	require.Equal(t, 200, r.status)
	assert.True(t, last().SkipMembership, "neither the filter nor the response needs them")

	// Members added one PATCH at a time (memstore's MemberPatcher) are ids
	// only too.
	bob := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}`).json["id"].(string)
	r = c.do("PATCH", "/Groups/"+gid, patchOps(`{"op":"add","path":"members","value":[{"value":"`+bob+`","display":"Bob"}]}`))
	require.Equal(t, 204, r.status, "%s", r.body)
	g, err := groups.GroupStore.Get(context.Background(), gid, scim.ReadOptions{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []scim.MultiValue{{Value: uid}, {Value: bob}}, g.Members)
}

func TestDeclaringTwiceOrBadly(t *testing.T) {
	us, gs := memstore.New()
	assert.PanicsWithValue(t, "scim: the User store declares its attributes (KeptAttributes); WithUserAttributes is for a store that does not",
		func() {
			scim.NewHandler(&keepingUsers{UserStore: us}, gs, scim.WithoutAuthentication(), scim.WithUserAttributes("active"))
		})
	assert.Panics(t, func() { scim.NewHandler(us, gs, scim.WithoutAuthentication(), scim.WithGroupAttributes("nosuch")) })
	assert.Panics(t, func() {
		scim.NewHandler(us, gs, scim.WithoutAuthentication(), scim.WithUserAttributes(`emails[type eq`))
	})
}

func TestPasswordsAreDroppedByDefault(t *testing.T) {
	us, gs := memstore.New()
	c := newClientFor(t, us, gs)
	r := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","password":"t1meMa$heen"}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	u, err := us.Get(context.Background(), r.json["id"].(string), scim.ReadOptions{})
	require.NoError(t, err)
	assert.Empty(t, u.Password, "no store receives a password without a password handler")
	r = c.do("PATCH", "/Users/"+u.ID, patchOps(`{"op":"replace","path":"password","value":"n3w"}`))
	require.Equal(t, 200, r.status)
	u, _ = us.Get(context.Background(), u.ID, scim.ReadOptions{})
	assert.Empty(t, u.Password)
	assert.NotContains(t, string(c.do("GET", "/Schemas/"+scim.UserSchema, "").body), "password")
	assert.Equal(t, false, c.do("GET", "/ServiceProviderConfig", "").json["changePassword"].(map[string]any)["supported"])
}

func TestPasswordHandler(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hash := func(_ context.Context, u *scim.User, password string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, u.UserName+":"+password)
		switch password {
		case "short":
			return "", scim.NewError(400, scim.ScimTypeInvalidValue, "the password is too short")
		case "broken":
			return "", errors.New("the hashing service is down")
		}
		return "hash(" + password + ")", nil
	}
	us, gs := memstore.New()
	c := newClientFor(t, us, gs, scim.WithPasswordHandler(hash))
	stored := func(id string) string {
		u, err := us.Get(context.Background(), id, scim.ReadOptions{})
		require.NoError(t, err)
		return u.Password
	}
	r := c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","password":"t1meMa$heen"}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	id := r.json["id"].(string)
	assert.Equal(t, "hash(t1meMa$heen)", stored(id), "the store keeps what the handler returns")
	assert.NotContains(t, string(r.body), "hash", "returned: never")
	assert.NotContains(t, string(c.do("GET", "/Users/"+id, "").body), "password")

	// A PUT without a password keeps it; PATCH and PUT with one hash it.
	require.Equal(t, 200, c.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","title":"x"}`).status)
	assert.Equal(t, "hash(t1meMa$heen)", stored(id))
	require.Equal(t, 200, c.do("PATCH", "/Users/"+id, patchOps(`{"op":"replace","path":"title","value":"y"}`)).status)
	assert.Equal(t, "hash(t1meMa$heen)", stored(id), "a PATCH that leaves the password alone does not hash again")
	require.Equal(t, 200, c.do("PATCH", "/Users/"+id, patchOps(`{"op":"replace","path":"password","value":"n3w"}`)).status)
	assert.Equal(t, "hash(n3w)", stored(id))
	require.Equal(t, 200, c.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","password":"p2"}`).status)
	assert.Equal(t, "hash(p2)", stored(id))
	mu.Lock()
	assert.Equal(t, []string{"ada:t1meMa$heen", "ada:n3w", "ada:p2"}, got)
	mu.Unlock()

	// Refusals.
	r = c.do("PATCH", "/Users/"+id, patchOps(`{"op":"replace","path":"password","value":"short"}`))
	requireError(t, r, 400, scim.ScimTypeInvalidValue)
	assert.Equal(t, "the password is too short", r.json["detail"])
	assert.Equal(t, "hash(p2)", stored(id), "nothing written")
	r = c.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","password":"broken"}`)
	requireError(t, r, 500, "")
	assert.NotContains(t, string(r.body), "hashing service")
	assert.Equal(t, 0.0, c.do("GET", "/Users?filter=userName+eq+%22bob%22", "").json["totalResults"])

	assert.Contains(t, string(c.do("GET", "/Schemas/"+scim.UserSchema, "").body), `"name":"password"`)
	assert.Equal(t, true, c.do("GET", "/ServiceProviderConfig", "").json["changePassword"].(map[string]any)["supported"])

	// A store that does not keep passwords gets none; the handler still
	// sees them.
	c2, users, _ := newKeepingClient(t, scim.WithPasswordHandler(hash))
	r = c2.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol","password":"pw"}`)
	require.Equal(t, 201, r.status, "%s", r.body)
	assert.Empty(t, users.last().Password)
	mu.Lock()
	assert.Contains(t, got, "carol:pw")
	mu.Unlock()
}
