package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// employee is a row of an application's own users table: the app keeps
// only what it needs, and maps SCIM users to it in a few lines.
type employee struct {
	ID, Email, GivenName, FamilyName string
	Active                           bool
	Version                          int
	Created, Updated                 time.Time
}

func employeeFromSCIM(u *scim.User) employee {
	e := employee{ID: u.ID, Email: u.UserName, Active: u.Active == nil || *u.Active}
	if u.Name != nil {
		e.GivenName, e.FamilyName = u.Name.GivenName, u.Name.FamilyName
	}
	return e
}

func (e employee) toSCIM() *scim.User {
	active := e.Active
	return &scim.User{
		ID:       e.ID,
		UserName: e.Email,
		Name:     &scim.Name{GivenName: e.GivenName, FamilyName: e.FamilyName},
		Emails:   []scim.MultiValue{{Value: e.Email, Type: "work", Primary: true}},
		Active:   &active,
		Meta: scim.Meta{Created: e.Created, LastModified: e.Updated,
			Version: `W/"` + strconv.Itoa(e.Version) + `"`},
	}
}

// employeeStore is a scim.UserStore over the employees table (a map here).
type employeeStore struct {
	mu   sync.Mutex
	rows map[string]employee
	next int
}

func (s *employeeStore) Get(_ context.Context, id string, _ scim.ReadOptions) (*scim.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.rows[id]
	if !ok {
		return nil, fmt.Errorf("employee %s: %w", id, scim.ErrNotFound)
	}
	return e.toSCIM(), nil
}

func (s *employeeStore) taken(email, except string) bool {
	for id, e := range s.rows {
		if id != except && strings.EqualFold(e.Email, email) {
			return true
		}
	}
	return false
}

func (s *employeeStore) Create(_ context.Context, u *scim.User) (*scim.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken(u.UserName, "") {
		return nil, scim.ErrConflict
	}
	s.next++
	e := employeeFromSCIM(u)
	e.ID, e.Version = "e"+strconv.Itoa(s.next), 1
	e.Created = time.Now()
	e.Updated = e.Created
	s.rows[e.ID] = e
	return e.toSCIM(), nil
}

func (s *employeeStore) Replace(_ context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.rows[u.ID]
	switch {
	case !ok:
		return nil, scim.ErrNotFound
	case ifVersion != "" && ifVersion != old.toSCIM().Meta.Version:
		return nil, scim.ErrPreconditionFailed
	case s.taken(u.UserName, u.ID):
		return nil, scim.ErrConflict
	}
	e := employeeFromSCIM(u)
	e.Version, e.Created, e.Updated = old.Version+1, old.Created, time.Now()
	s.rows[e.ID] = e
	return e.toSCIM(), nil
}

func (s *employeeStore) Delete(_ context.Context, id, ifVersion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.rows[id]
	if !ok {
		return scim.ErrNotFound
	}
	if ifVersion != "" && ifVersion != old.toSCIM().Meta.Version {
		return scim.ErrPreconditionFailed
	}
	delete(s.rows, id)
	return nil
}

// List lets scim.ApplyQuery filter, sort and page: fine for small tables.
func (s *employeeStore) List(_ context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	s.mu.Lock()
	all := make([]*scim.User, 0, len(s.rows))
	for _, e := range s.rows {
		all = append(all, e.toSCIM())
	}
	s.mu.Unlock()
	// A stable order for paging: ApplyQuery keeps it among equal keys.
	slices.SortFunc(all, func(a, b *scim.User) int { return strings.Compare(a.ID, b.ID) })
	return scim.ApplyQuery(all, q), nil
}

// An application that keeps users in its own table implements
// scim.UserStore by mapping *scim.User to its rows.
func ExampleUserStore() {
	users := &employeeStore{rows: map[string]employee{}}
	_, groups := memstore.New()
	srv := httptest.NewServer(scim.NewHandler(users, groups, scim.WithoutAuthentication()))
	defer srv.Close()

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com",
		"name":{"givenName":"Ada","familyName":"Lovelace"},"active":true}`
	resp, err := http.Post(srv.URL+"/Users", "application/scim+json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(users.rows["e1"].GivenName, users.rows["e1"].FamilyName)
	// Output:
	// 201 Created
	// Ada Lovelace
}
