package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// fullUser sets every attribute a User has.
func fullUser(userName string) *scim.User {
	return &scim.User{
		ExternalID: "ext-" + userName, UserName: userName,
		Name: &scim.Name{Formatted: "Ms. Barbara J Jensen III", FamilyName: "Jensen", GivenName: "Barbara",
			MiddleName: "Jane", HonorificPrefix: "Ms.", HonorificSuffix: "III"},
		DisplayName: "Babs Jensen", NickName: "Babs", ProfileURL: "https://login.example.com/bjensen",
		Title: "Tour Guide", UserType: "Employee", PreferredLanguage: "en-US", Locale: "en-US",
		Timezone: "America/Los_Angeles", Active: ptr(false), Password: "t1meMa$heen",
		Emails: []scim.MultiValue{{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home", Display: "<home> & \"private\""}},
		PhoneNumbers: []scim.MultiValue{{Value: "555-555-5555", Type: "work"}},
		IMs:          []scim.MultiValue{{Value: "someaimhandle", Type: "aim"}},
		Photos:       []scim.MultiValue{{Value: "https://photos.example.com/profilephoto/72930000000Ccne/F", Type: "photo"}},
		Addresses: []scim.Address{{Formatted: "100 Universal City Plaza\nHollywood, CA 91608 USA",
			StreetAddress: "100 Universal City Plaza", Locality: "Hollywood", Region: "CA", PostalCode: "91608",
			Country: "USA", Type: "work", Primary: true}},
		Entitlements:     []scim.MultiValue{{Value: "Full Access"}},
		Roles:            []scim.MultiValue{{Value: "Manager", Primary: true}},
		X509Certificates: []scim.MultiValue{{Value: "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: "701984", CostCenter: "4130", Organization: "Universal Studios",
			Division: "Theme Park", Department: "Tour Operations",
			Manager: &scim.Manager{Value: "26118915-6090-4610-87e4-49d8ca9f808d", Ref: "../Users/26118915", DisplayName: "John Smith"}},
		Extensions: scim.Extensions{"urn:ietf:params:scim:schemas:extension:acme:2.0:User": {
			"badge":    "B-12",
			"level":    json.Number("1e3"),
			"ratio":    json.Number("1.50"),
			"big":      json.Number("123456789012345678901234567890"),
			"negZero":  json.Number("-0"),
			"verified": true,
			"tags":     []any{"a", json.Number("2"), false},
			"desk":     map[string]any{"building": "B1", "floor": json.Number("3")},
			"empty":    map[string]any{},
		}},
	}
}

func TestUserRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, _ := newStores(db, d)
		in := fullUser("bjensen")
		in.ID = "client-chosen-id-is-ignored"
		in.Groups = []scim.MultiValue{{Value: "read-only"}}
		created := must[*scim.User](t)(users.Create(ctx, in))
		assert.NotEqual(t, "client-chosen-id-is-ignored", created.ID)
		assert.Equal(t, `W/"1"`, created.Meta.Version)
		assert.False(t, created.Meta.Created.IsZero())
		assert.Equal(t, created.Meta.Created, created.Meta.LastModified)

		want := fullUser("bjensen")
		want.ID, want.Meta = created.ID, created.Meta
		assert.Equal(t, want, created, "Create returns the user as stored")
		got := must[*scim.User](t)(users.Get(ctx, created.ID, scim.ReadOptions{}))
		assert.Equal(t, want, got, "every field, extension numbers included, round-trips exactly")

		ext := got.Extensions["urn:ietf:params:scim:schemas:extension:acme:2.0:User"]
		assert.Equal(t, json.Number("1e3"), ext["level"])
		assert.Equal(t, json.Number("123456789012345678901234567890"), ext["big"])

		// Create must not keep the caller's value.
		in.Emails[0].Value = "changed@example.com"
		got = must[*scim.User](t)(users.Get(ctx, created.ID, scim.ReadOptions{}))
		assert.Equal(t, "bjensen@example.com", got.Emails[0].Value)

		// A minimal user round-trips with nothing made up.
		minimal := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "min"}))
		got = must[*scim.User](t)(users.Get(ctx, minimal.ID, scim.ReadOptions{}))
		assert.Equal(t, &scim.User{ID: minimal.ID, UserName: "min", Meta: minimal.Meta}, got)
	})
}

func TestUserNameUniqueness(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, _ := newStores(db, d)
		a := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "Émile.Zola@example.com"}))
		for _, name := range []string{"Émile.Zola@example.com", "émile.zola@EXAMPLE.com", "ÉMILE.ZOLA@EXAMPLE.COM"} {
			_, err := users.Create(ctx, &scim.User{UserName: name})
			assert.ErrorIs(t, err, scim.ErrConflict, name)
		}
		b := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "other"}))
		_, err := users.Replace(ctx, &scim.User{ID: b.ID, UserName: "émile.ZOLA@example.com"}, "")
		assert.ErrorIs(t, err, scim.ErrConflict)
		got := must[*scim.User](t)(users.Get(ctx, b.ID, scim.ReadOptions{}))
		assert.Equal(t, "other", got.UserName, "a conflicting replace changes nothing")

		// Changing only the case of one's own userName is no conflict.
		r := must[*scim.User](t)(users.Replace(ctx, &scim.User{ID: a.ID, UserName: "emile.zola@example.com"}, ""))
		assert.Equal(t, "emile.zola@example.com", r.UserName)
		// Deleting frees the name.
		require.NoError(t, users.Delete(ctx, b.ID, ""))
		must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "OTHER"}))
	})
}

func TestVersions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, _ := newStores(db, d)
		u := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "v"}))
		u.DisplayName = "two"
		u2 := must[*scim.User](t)(users.Replace(ctx, u, `W/"1"`))
		assert.Equal(t, `W/"2"`, u2.Meta.Version)
		assert.Equal(t, u.Meta.Created, u2.Meta.Created)
		assert.False(t, u2.Meta.LastModified.Before(u.Meta.LastModified))

		for _, stale := range []string{`W/"1"`, `"2"x`, `W/"3"`, "garbage"} {
			u.DisplayName = "stale"
			_, err := users.Replace(ctx, u, stale)
			assert.ErrorIs(t, err, scim.ErrPreconditionFailed, stale)
			assert.ErrorIs(t, users.Delete(ctx, u.ID, stale), scim.ErrPreconditionFailed, stale)
		}
		got := must[*scim.User](t)(users.Get(ctx, u.ID, scim.ReadOptions{}))
		assert.Equal(t, "two", got.DisplayName)
		assert.Equal(t, `W/"2"`, got.Meta.Version)

		// Strong and weak forms of the current tag both match.
		u3 := must[*scim.User](t)(users.Replace(ctx, got, `"2"`))
		assert.Equal(t, `W/"3"`, u3.Meta.Version)

		_, err := users.Replace(ctx, &scim.User{ID: "nope", UserName: "x"}, "")
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = users.Replace(ctx, &scim.User{ID: "nope", UserName: "x"}, `W/"1"`)
		assert.ErrorIs(t, err, scim.ErrNotFound)
		assert.ErrorIs(t, users.Delete(ctx, "nope", `W/"1"`), scim.ErrNotFound)

		require.NoError(t, users.Delete(ctx, u.ID, `W/"3"`))
		_, err = users.Get(ctx, u.ID, scim.ReadOptions{})
		assert.ErrorIs(t, err, scim.ErrNotFound)
		assert.ErrorIs(t, users.Delete(ctx, u.ID, ""), scim.ErrNotFound)
	})
}

func TestMembership(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, groups := newStores(db, d)
		alice := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "alice"}))
		bob := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "bob"}))
		g := must[*scim.Group](t)(groups.Create(ctx, &scim.Group{DisplayName: "Tour Guides", ExternalID: "tg",
			Members: []scim.MultiValue{{Value: alice.ID, Display: "Alice", Type: "User"}, {Value: bob.ID},
				{Value: alice.ID, Display: "again"}}}))
		wantMembers := []scim.MultiValue{{Value: alice.ID, Display: "Alice", Type: "User"}, {Value: bob.ID}}
		assert.Equal(t, wantMembers, g.Members, "repeated members are stored once")
		got := must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Equal(t, g, got)
		got = must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{SkipMembership: true}))
		assert.Nil(t, got.Members)

		ua := must[*scim.User](t)(users.Get(ctx, alice.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: g.ID, Display: "Tour Guides", Type: "direct"}}, ua.Groups)
		ua = must[*scim.User](t)(users.Get(ctx, alice.ID, scim.ReadOptions{SkipMembership: true}))
		assert.Nil(t, ua.Groups)

		// Adding a member that is there and removing one that is not
		// changes nothing, not even the version.
		p := must[*scim.Group](t)(groups.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: bob.ID}}, []string{"ghost"}, ""))
		assert.Equal(t, `W/"1"`, p.Meta.Version)
		assert.Equal(t, g.Meta.LastModified, p.Meta.LastModified)

		carol := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "carol"}))
		p = must[*scim.Group](t)(groups.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: carol.ID, Display: "Carol"}}, []string{bob.ID}, `W/"1"`))
		assert.Equal(t, `W/"2"`, p.Meta.Version)
		assert.Equal(t, "Tour Guides", p.DisplayName)
		got = must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: alice.ID, Display: "Alice", Type: "User"}, {Value: carol.ID, Display: "Carol"}}, got.Members)

		_, err := groups.PatchMembers(ctx, g.ID, []scim.MultiValue{{Value: bob.ID}}, nil, `W/"1"`)
		assert.ErrorIs(t, err, scim.ErrPreconditionFailed)
		_, err = groups.PatchMembers(ctx, "nope", []scim.MultiValue{{Value: bob.ID}}, nil, "")
		assert.ErrorIs(t, err, scim.ErrNotFound)
		got = must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Len(t, got.Members, 2, "a failed patch changes nothing")

		// Deleting a user removes it from its groups, with a new version.
		require.NoError(t, users.Delete(ctx, alice.ID, ""))
		got = must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: carol.ID, Display: "Carol"}}, got.Members)
		assert.Equal(t, `W/"3"`, got.Meta.Version)

		// Replace sets the members exactly, in order.
		got.Members = []scim.MultiValue{{Value: bob.ID, Type: "User"}, {Value: carol.ID}}
		r := must[*scim.Group](t)(groups.Replace(ctx, got, `W/"3"`))
		assert.Equal(t, `W/"4"`, r.Meta.Version)
		got = must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: bob.ID, Type: "User"}, {Value: carol.ID}}, got.Members)

		// Nested groups: deleting a group removes it from its parents.
		parent := must[*scim.Group](t)(groups.Create(ctx, &scim.Group{DisplayName: "Parent",
			Members: []scim.MultiValue{{Value: g.ID, Type: "Group"}, {Value: bob.ID}}}))
		ub := must[*scim.User](t)(users.Get(ctx, bob.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: g.ID, Display: "Tour Guides", Type: "direct"},
			{Value: parent.ID, Display: "Parent", Type: "direct"}}, ub.Groups)
		require.NoError(t, groups.Delete(ctx, g.ID, ""))
		got = must[*scim.Group](t)(groups.Get(ctx, parent.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: bob.ID}}, got.Members)
		assert.Equal(t, `W/"2"`, got.Meta.Version)
		ub = must[*scim.User](t)(users.Get(ctx, bob.ID, scim.ReadOptions{}))
		assert.Equal(t, []scim.MultiValue{{Value: parent.ID, Display: "Parent", Type: "direct"}}, ub.Groups)
		assert.ErrorIs(t, groups.Delete(ctx, g.ID, ""), scim.ErrNotFound)
	})
}

func TestTenantIsolation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := newStores(db, d)
		a, b := withTenant(context.Background(), "a"), withTenant(context.Background(), "b")
		ua := must[*scim.User](t)(users.Create(a, &scim.User{UserName: "shared", ExternalID: "x"}))
		ga := must[*scim.Group](t)(groups.Create(a, &scim.Group{DisplayName: "G", Members: []scim.MultiValue{{Value: ua.ID}}}))

		// The same userName is free in another tenant.
		ub := must[*scim.User](t)(users.Create(b, &scim.User{UserName: "SHARED"}))

		_, err := users.Get(b, ua.ID, scim.ReadOptions{})
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = groups.Get(b, ga.ID, scim.ReadOptions{})
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = users.Replace(b, &scim.User{ID: ua.ID, UserName: "stolen"}, "")
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = users.Replace(b, &scim.User{ID: ua.ID, UserName: "stolen"}, `W/"1"`)
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = groups.Replace(b, &scim.Group{ID: ga.ID, DisplayName: "stolen"}, "")
		assert.ErrorIs(t, err, scim.ErrNotFound)
		_, err = groups.PatchMembers(b, ga.ID, []scim.MultiValue{{Value: ub.ID}}, []string{ua.ID}, "")
		assert.ErrorIs(t, err, scim.ErrNotFound)
		assert.ErrorIs(t, users.Delete(b, ua.ID, ""), scim.ErrNotFound)
		assert.ErrorIs(t, groups.Delete(b, ga.ID, ""), scim.ErrNotFound)

		// Tenant b adding a's user to its own group makes no a-visible change.
		gb := must[*scim.Group](t)(groups.Create(b, &scim.Group{DisplayName: "G", Members: []scim.MultiValue{{Value: ua.ID}}}))
		require.NoError(t, groups.Delete(b, gb.ID, ""))

		got := must[*scim.User](t)(users.Get(a, ua.ID, scim.ReadOptions{}))
		assert.Equal(t, "shared", got.UserName)
		assert.Equal(t, `W/"1"`, got.Meta.Version)
		assert.Equal(t, []scim.MultiValue{{Value: ga.ID, Display: "G", Type: "direct"}}, got.Groups)
		gg := must[*scim.Group](t)(groups.Get(a, ga.ID, scim.ReadOptions{}))
		assert.Equal(t, `W/"1"`, gg.Meta.Version)
		assert.Equal(t, []scim.MultiValue{{Value: ua.ID}}, gg.Members)

		// Deleting b's user does not touch a's memberships.
		require.NoError(t, users.Delete(b, ub.ID, ""))
		gg = must[*scim.Group](t)(groups.Get(a, ga.ID, scim.ReadOptions{}))
		assert.Equal(t, `W/"1"`, gg.Meta.Version)

		for _, f := range []string{"", `userName eq "shared"`, `externalId eq "x"`, `members eq "` + ua.ID + `"`} {
			q := &scim.Query{StartIndex: 1, Count: 10}
			if f != "" {
				if f[0] == 'm' {
					q.Filter = must[*scim.Filter](t)(scim.ParseGroupFilter(f))
					page := must[*scim.Page[scim.Group]](t)(groups.List(b, q))
					assert.Zero(t, page.TotalResults, f)
					assert.Empty(t, page.Resources, f)
					continue
				}
				q.Filter = must[*scim.Filter](t)(scim.ParseUserFilter(f))
			}
			page := must[*scim.Page[scim.User]](t)(users.List(b, q))
			assert.Zero(t, page.TotalResults, f)
			assert.Empty(t, page.Resources, f)
			page = must[*scim.Page[scim.User]](t)(users.List(a, q))
			assert.Equal(t, 1, page.TotalResults, f)
		}
	})
}

// TestConcurrentWrites checks that concurrent writers lose nothing and
// that every write gets its own version.
func TestConcurrentWrites(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		users, groups := newStores(db, d)
		g := must[*scim.Group](t)(groups.Create(ctx, &scim.Group{DisplayName: "big"}))
		u := must[*scim.User](t)(users.Create(ctx, &scim.User{UserName: "contended"}))
		const n = 16
		var wg sync.WaitGroup
		wins := make(chan string, n)
		for i := range n {
			wg.Go(func() {
				m := scim.MultiValue{Value: "member-" + string(rune('a'+i))}
				_, err := groups.PatchMembers(ctx, g.ID, []scim.MultiValue{m}, nil, "")
				assert.NoError(t, err)
				// Everyone tries to replace version 1: exactly one wins.
				r, err := users.Replace(ctx, &scim.User{ID: u.ID, UserName: "contended", Title: m.Value}, `W/"1"`)
				if err == nil {
					wins <- r.Meta.Version
				} else {
					assert.ErrorIs(t, err, scim.ErrPreconditionFailed)
				}
			})
		}
		wg.Wait()
		close(wins)
		var got []string
		for v := range wins {
			got = append(got, v)
		}
		assert.Equal(t, []string{`W/"2"`}, got)
		gg := must[*scim.Group](t)(groups.Get(ctx, g.ID, scim.ReadOptions{}))
		assert.Len(t, gg.Members, n)
		assert.Equal(t, `W/"17"`, gg.Meta.Version)
	})
}

// A value too long for the database's indexes is the client's error, not a
// 500.
func TestOverlongValuesAreClientErrors(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
		users, groups := sqlstore.New(db, d)
		srv := httptest.NewServer(scim.NewHandler(users, groups, scim.WithoutAuthentication()))
		defer srv.Close()
		// Incompressible, so that PostgreSQL cannot fit it in an index row.
		var sb strings.Builder
		for i := 0; sb.Len() < 10000; i++ {
			fmt.Fprintf(&sb, "%x", uint32(i)*2654435761)
		}
		long := sb.String()
		for _, body := range []string{
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + long + `"}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","externalId":"` + long + `","emails":[{"value":"` + long + `"}]}`,
		} {
			resp, err := http.Post(srv.URL+"/Users", "application/scim+json", strings.NewReader(body))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Contains(t, []int{201, 400}, resp.StatusCode)
			t.Logf("status %d", resp.StatusCode)
		}
	})
}
