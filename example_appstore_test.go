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
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

// directory is an application's own data, here in memory: employees and
// teams (a real application has tables; see examples/appstore). It keeps
// what the application needs, and its SCIM stores below map to it.
type directory struct {
	mu        sync.Mutex
	next      int
	employees map[string]*employee // by id
	byEmail   map[string]string    // lower-case email to id: the login index
	teams     map[string]*team
}

type employee struct {
	id, email, given, family string
	active                   bool
	version                  int
	created, updated         time.Time
}

type team struct {
	id, name         string
	members          []string // employee ids
	version          int
	created, updated time.Time
}

func newDirectory() *directory {
	return &directory{employees: map[string]*employee{}, byEmail: map[string]string{}, teams: map[string]*team{}}
}

func (d *directory) newID() string { d.next++; return strconv.Itoa(d.next) }

func version(n int) string { return `W/"` + strconv.Itoa(n) + `"` }

// employees is the scim.UserStore over the directory's employees.
type employees struct{ *directory }

// KeptAttributes declares what an employee has: the handler advertises,
// accepts and hands the store nothing else.
func (employees) KeptAttributes() []string {
	return []string{"name.givenName", "name.familyName", "active", "groups"}
}

func (s employees) user(e *employee) *scim.User {
	active := e.active
	u := &scim.User{ID: e.id, UserName: e.email, Active: &active,
		Meta: scim.Meta{Created: e.created, LastModified: e.updated, Version: version(e.version)}}
	if e.given != "" || e.family != "" {
		u.Name = &scim.Name{GivenName: e.given, FamilyName: e.family}
	}
	for _, t := range s.teams {
		if slices.Contains(t.members, e.id) {
			u.Groups = append(u.Groups, scim.MultiValue{Value: t.id, Display: t.name, Type: "direct"})
		}
	}
	return u
}

func (s employees) Get(_ context.Context, id string, _ scim.ReadOptions) (*scim.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.employees[id]
	if !ok {
		return nil, fmt.Errorf("employee %q: %w", id, scim.ErrNotFound)
	}
	return s.user(e), nil
}

func (s employees) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	return s.write(u, "", "")
}

func (s employees) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	if u.ID == "" {
		return nil, scim.ErrNotFound
	}
	return s.write(u, u.ID, ifVersion)
}

// write creates (id "") or replaces an employee.
func (s employees) write(u *scim.User, id, ifVersion string) (*scim.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	e := &employee{id: id, version: 1, created: now}
	if id != "" {
		old, ok := s.employees[id]
		switch {
		case !ok:
			return nil, scim.ErrNotFound
		case ifVersion != "" && ifVersion != version(old.version):
			return nil, scim.ErrPreconditionFailed
		}
		e.version, e.created = old.version+1, old.created
	}
	key := fold(u.UserName)
	if other, taken := s.byEmail[key]; taken && other != id {
		return nil, scim.ErrConflict
	}
	if id == "" {
		e.id = s.newID()
	} else {
		delete(s.byEmail, fold(s.employees[id].email))
	}
	e.email, e.active, e.updated = u.UserName, u.Active == nil || *u.Active, now
	if u.Name != nil {
		e.given, e.family = u.Name.GivenName, u.Name.FamilyName
	}
	s.employees[e.id], s.byEmail[key] = e, e.id
	return s.user(e), nil
}

func (s employees) Delete(_ context.Context, id, ifVersion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.employees[id]
	if !ok {
		return scim.ErrNotFound
	}
	if ifVersion != "" && ifVersion != version(e.version) {
		return scim.ErrPreconditionFailed
	}
	for _, t := range s.teams {
		if i := slices.Index(t.members, id); i >= 0 {
			t.members = slices.Delete(t.members, i, i+1)
			t.version++
		}
	}
	delete(s.employees, id)
	delete(s.byEmail, fold(e.email))
	return nil
}

// List answers `userName eq "…"`, the lookup identity providers make, from
// the login index, and leaves anything else to scim.ApplyQuery.
func (s employees) List(_ context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	eqs, _ := q.Filter.Equalities()
	if i := slices.IndexFunc(eqs, func(eq scim.Equality) bool { return eq.Path == "userName" }); i >= 0 {
		if id, ok := s.byEmail[fold(eqs[i].Value.(string))]; ok {
			ids = append(ids, id)
		}
	} else {
		for id := range s.employees {
			ids = append(ids, id)
		}
	}
	all := make([]*scim.User, len(ids))
	for i, id := range ids {
		all[i] = s.user(s.employees[id])
	}
	// A stable order for paging: ApplyQuery keeps it among equal keys.
	slices.SortFunc(all, func(a, b *scim.User) int { return strings.Compare(a.ID, b.ID) })
	return scim.ApplyQuery(all, q), nil
}

// teams is the scim.GroupStore over the directory's teams, whose members
// are employees, by id.
type teams struct{ *directory }

func (teams) KeptAttributes() []string { return []string{"members.value"} }

func (s teams) group(t *team) *scim.Group {
	g := &scim.Group{ID: t.id, DisplayName: t.name, Members: []scim.MultiValue{},
		Meta: scim.Meta{Created: t.created, LastModified: t.updated, Version: version(t.version)}}
	for _, m := range t.members {
		g.Members = append(g.Members, scim.MultiValue{Value: m})
	}
	return g
}

func (s teams) Get(_ context.Context, id string, _ scim.ReadOptions) (*scim.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.teams[id]
	if !ok {
		return nil, fmt.Errorf("team %q: %w", id, scim.ErrNotFound)
	}
	return s.group(t), nil
}

func (s teams) Create(_ context.Context, g *scim.Group) (*scim.Group, error) {
	return s.write(g, "", "")
}

func (s teams) Replace(_ context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	if g.ID == "" {
		return nil, scim.ErrNotFound
	}
	return s.write(g, g.ID, ifVersion)
}

func (s teams) write(g *scim.Group, id, ifVersion string) (*scim.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	t := &team{id: id, version: 1, created: now}
	if id != "" {
		old, ok := s.teams[id]
		switch {
		case !ok:
			return nil, scim.ErrNotFound
		case ifVersion != "" && ifVersion != version(old.version):
			return nil, scim.ErrPreconditionFailed
		}
		t.version, t.created = old.version+1, old.created
	}
	for _, m := range g.Members {
		if _, ok := s.employees[m.Value]; !ok {
			return nil, scim.NewError(400, scim.ScimTypeInvalidValue, fmt.Sprintf("member %q is not an employee", m.Value))
		}
		if !slices.Contains(t.members, m.Value) {
			t.members = append(t.members, m.Value)
		}
	}
	if id == "" {
		t.id = s.newID()
	}
	t.name, t.updated = g.DisplayName, now
	s.teams[t.id] = t
	return s.group(t), nil
}

func (s teams) Delete(_ context.Context, id, ifVersion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.teams[id]
	if !ok {
		return scim.ErrNotFound
	}
	if ifVersion != "" && ifVersion != version(t.version) {
		return scim.ErrPreconditionFailed
	}
	delete(s.teams, id)
	return nil
}

func (s teams) List(_ context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*scim.Group
	for _, t := range s.teams {
		all = append(all, s.group(t))
	}
	slices.SortFunc(all, func(a, b *scim.Group) int { return strings.Compare(a.ID, b.ID) })
	return scim.ApplyQuery(all, q), nil
}

// An application that keeps users and teams in its own data implements
// scim.UserStore and scim.GroupStore by mapping SCIM resources to its
// records, and declares what it keeps.
func ExampleUserStore() {
	d := newDirectory()
	srv := httptest.NewServer(scim.NewHandler(employees{d}, teams{d}, scim.WithoutAuthentication()))
	defer srv.Close()

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com",
		"name":{"givenName":"Ada","familyName":"Lovelace"},"title":"Countess","active":true}`
	resp, err := http.Post(srv.URL+"/Users", "application/scim+json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(d.employees["1"].given, d.employees["1"].family, d.employees["1"].active)
	// Output:
	// 201 Created
	// Ada Lovelace true
}

// The example's stores keep the store contract (for one tenant: they do
// not partition by scim.TenantFromContext, so the suite skips isolation).
func TestExampleStoresPassTheSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (scim.UserStore, scim.GroupStore) {
		d := newDirectory()
		return employees{d}, teams{d}
	})
}

// fold is the case folding of the login index: scim.FoldKey, the rule the
// handler's filters compare by, so that uniqueness and lookups agree.
func fold(s string) string { return scim.FoldKey(s) }
