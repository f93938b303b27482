package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

// copyingUsers hides memstore's UserLender by embedding the Store
// interface: the handler reads it through Get and List, as it reads any
// store without the capability.
type copyingUsers struct{ scim.UserStore }

// hidingUsers overrides Get, as an application wrapping memstore might,
// and embeds the Store interface so that no capability bypasses the
// override.
type hidingUsers struct {
	scim.UserStore
	hidden string
}

func (s hidingUsers) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	if id == s.hidden {
		return nil, scim.ErrNotFound
	}
	return s.UserStore.Get(ctx, id, opts)
}

// lendingOnly is memstore with Get and List broken: the handler can answer
// GET /Users/{id} and lists of /Users only through the UserLender that it
// passes on by embedding memstore's concrete type.
type lendingOnly struct{ *memstore.UserStore }

var errReadThroughStore = errors.New("the handler read through Get or List although the store lends")

func (lendingOnly) Get(context.Context, string, scim.ReadOptions) (*scim.User, error) {
	return nil, errReadThroughStore
}

func (lendingOnly) List(context.Context, *scim.Query) (*scim.Page[scim.User], error) {
	return nil, errReadThroughStore
}

func lendFixture(t *testing.T) (*memstore.UserStore, *memstore.GroupStore, []string) {
	t.Helper()
	ctx := context.Background()
	users, groups := memstore.New()
	var ids []string
	active := true
	for i := range 30 {
		u := &scim.User{UserName: fmt.Sprintf("user%02d@example.com", i), DisplayName: fmt.Sprintf("User \"%d\"", i), Active: &active,
			Name:   &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i)},
			Emails: []scim.MultiValue{{Value: fmt.Sprintf("u%d@example.com", i), Type: "work", Primary: true}}}
		if i%3 == 0 {
			u.Enterprise = &scim.EnterpriseUser{EmployeeNumber: fmt.Sprint(i), Manager: &scim.Manager{Value: "boss"}}
		}
		c, err := users.Create(ctx, u)
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	for g := range 3 {
		var ms []scim.MultiValue
		for i := g; i < len(ids); i += g + 2 {
			ms = append(ms, scim.MultiValue{Value: ids[i]})
		}
		_, err := groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("Group %d", g), Members: ms})
		require.NoError(t, err)
	}
	return users, groups, ids
}

// TestLentReadsMatchCopiedReads checks that reading memstore's users
// without copies (the handler's fast path) answers exactly as reading
// copies through the Store interface does.
func TestLentReadsMatchCopiedReads(t *testing.T) {
	users, groups, ids := lendFixture(t)
	lent := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	copied := scim.NewHandler(copyingUsers{users}, groups, scim.WithoutAuthentication())
	targets := []string{
		"/Users/" + ids[0], "/Users/" + ids[3], "/Users/" + ids[7] + "?attributes=userName,groups",
		"/Users/" + ids[9] + "?excludedAttributes=groups,emails", "/Users/nope",
		"/Users", "/Users?startIndex=5&count=7", "/Users?count=0", "/Users?startIndex=100",
		"/Users?filter=" + url.QueryEscape(`userName eq "USER04@example.com"`),
		"/Users?filter=" + url.QueryEscape(`groups.display eq "Group 1"`) + "&sortBy=name.familyName&sortOrder=descending",
		"/Users?sortBy=groups.value&count=5&attributes=groups",
		"/Users?filter=" + url.QueryEscape(`userName eq`),
	}
	for _, target := range targets {
		for _, inm := range []string{"", `W/"1"`, "*"} {
			a, b := httptest.NewRecorder(), httptest.NewRecorder()
			for _, hr := range []struct {
				h http.Handler
				w *httptest.ResponseRecorder
			}{{lent, a}, {copied, b}} {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				if inm != "" {
					req.Header.Set("If-None-Match", inm)
				}
				hr.h.ServeHTTP(hr.w, req)
			}
			require.Equal(t, b.Code, a.Code, "%s If-None-Match %q", target, inm)
			require.Equal(t, b.Header(), a.Header(), "%s If-None-Match %q", target, inm)
			require.Equal(t, b.Body.String(), a.Body.String(), "%s If-None-Match %q", target, inm)
		}
	}
}

// TestWrappedStoreIsReadThroughItsMethods checks that a type embedding
// the Store interface to override a read gets its override called.
func TestWrappedStoreIsReadThroughItsMethods(t *testing.T) {
	users, groups, ids := lendFixture(t)
	h := scim.NewHandler(hidingUsers{UserStore: users, hidden: ids[1]}, groups, scim.WithoutAuthentication())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Users/"+ids[1], nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Users/"+ids[2], nil))
	require.Equal(t, http.StatusOK, rec.Code)
}

// TestHandlerReadsUsersFromLender fails if the handler reads users through
// Get or List when the store is a UserLender: the store here answers only
// by lending, and memstore's lender reaches the handler through a wrapper
// that embeds it, as the package documentation says.
func TestHandlerReadsUsersFromLender(t *testing.T) {
	users, groups, ids := lendFixture(t)
	var log strings.Builder
	h := scim.NewHandler(lendingOnly{users}, groups, scim.WithoutAuthentication(),
		scim.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	for _, target := range []string{
		"/Users/" + ids[4], "/Users/" + ids[4] + "?attributes=userName", "/Users",
		"/Users?filter=" + url.QueryEscape(`userName sw "user1"`) + "&count=3",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusOK, rec.Code, "GET %s: %s", target, rec.Body)
		require.True(t, json.Valid(rec.Body.Bytes()), "GET %s", target)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/Users/.search", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"user07@example.com\""}`)))
	require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)
	require.Contains(t, rec.Body.String(), `"totalResults":1,`)
	require.Empty(t, log.String(), "no internal error was logged")
}

// brokenLender breaks the UserLender contract in the way its bug says.
type brokenLender struct {
	*memstore.UserStore
	bug string
}

func (b brokenLender) LendUser(ctx context.Context, id string, opts scim.ReadOptions, sink scim.UserSink) error {
	u := &scim.User{ID: id, UserName: "x", Meta: scim.Meta{Version: `W/"1"`}}
	switch b.bug {
	case "twice":
		sink.LentUser(u, nil)
		sink.LentUser(u, nil)
	case "page":
		sink.LentPage(1, 1)
		sink.LentUser(u, nil)
	}
	return nil // "none": returns without lending anything
}

func (b brokenLender) LendUsers(ctx context.Context, q *scim.Query, sink scim.UserSink) error {
	u := &scim.User{ID: "id", UserName: "x"}
	switch b.bug {
	case "twice":
		sink.LentPage(2, 1)
		sink.LentPage(2, 1)
		sink.LentUser(u, nil)
	case "page":
		sink.LentPage(2, 2)
		sink.LentUser(u, nil)
	case "none":
		sink.LentUser(u, nil)
	}
	return nil
}

// TestBrokenLenderIsAnInternalError checks that a lender calling its sink
// other than as documented costs the request a 500, never a malformed body.
func TestBrokenLenderIsAnInternalError(t *testing.T) {
	users, groups, ids := lendFixture(t)
	for _, bug := range []string{"twice", "page", "none"} {
		var log strings.Builder
		h := scim.NewHandler(brokenLender{users, bug}, groups, scim.WithoutAuthentication(),
			scim.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
		for _, target := range []string{"/Users/" + ids[0], "/Users"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			require.Equal(t, http.StatusInternalServerError, rec.Code, "%s, GET %s: %s", bug, target, rec.Body)
			require.NotContains(t, rec.Body.String(), "UserLender", "the internal error text stays in the log")
		}
		require.Contains(t, log.String(), "UserLender", bug)
	}
}

// TestLentReadsRaceWithWrites reads lent users while other requests change
// them and their groups; run with -race, it shows that nothing is read
// outside the store's lock.
func TestLentReadsRaceWithWrites(t *testing.T) {
	users, groups, ids := lendFixture(t)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	g, err := groups.Create(context.Background(), &scim.Group{DisplayName: "Churn"})
	require.NoError(t, err)
	done := make(chan struct{})
	errs := make(chan string, 4)
	serve := func(method, target, body string, want ...int) {
		var req *http.Request
		if body == "" {
			req = httptest.NewRequest(method, target, nil)
		} else {
			req = httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/scim+json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !slices.Contains(want, rec.Code) {
			select {
			case errs <- fmt.Sprintf("%s %s: %d %s", method, target, rec.Code, rec.Body):
			default:
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			serve(http.MethodPatch, "/Users/"+ids[i%5], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Name `+fmt.Sprint(i)+`"}]}`, http.StatusOK)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			op := "add"
			if i%2 == 1 {
				op = "remove"
			}
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"` + op + `","path":"members","value":[{"value":"` + ids[i/2%5] + `"}]}]}`
			serve(http.MethodPatch, "/Groups/"+g.ID, body, http.StatusNoContent)
			serve(http.MethodPatch, "/Groups/"+g.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Churn `+fmt.Sprint(i)+`"}]}`, http.StatusOK)
		}
	}()
	go func() { wg.Wait(); close(done) }()
	for i := 0; ; i++ {
		select {
		case <-done:
			close(errs)
			for e := range errs {
				t.Error(e)
			}
			return
		default:
		}
		serve(http.MethodGet, "/Users/"+ids[i%5], "", http.StatusOK)
		serve(http.MethodGet, "/Users?count=10", "", http.StatusOK)
	}
}
