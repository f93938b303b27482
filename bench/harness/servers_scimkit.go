package harness

// The scimkit server registers itself through scimkitFactory, so that this
// file can be left out of a build (for example with a build constraint)
// while the library's API is being changed, and the harness still runs the
// other two servers.

import (
	"context"
	"net/http"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

func init() {
	scimkitFactory = &Factory{Name: NameScimkit, New: newScimkitServer}
}

// scimkitServer is scimkit's handler on memstore, mounted as its package
// documentation shows.
type scimkitServer struct {
	users   *memstore.UserStore
	groups  *memstore.GroupStore
	handler http.Handler
}

func newScimkitServer(token string) (Server, error) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithBearerToken(token))
	mux := http.NewServeMux()
	mux.Handle(BasePath+"/", http.StripPrefix(BasePath, h))
	return &scimkitServer{users: users, groups: groups, handler: mux}, nil
}

func (s *scimkitServer) Handler() http.Handler { return s.handler }

func (s *scimkitServer) CreateUser(u *UserSpec, managerID string) (string, error) {
	active := u.Active
	user := &scim.User{
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		Name:        &scim.Name{Formatted: u.DisplayName, FamilyName: u.FamilyName, GivenName: u.GivenName},
		DisplayName: u.DisplayName,
		Active:      &active,
		Emails: []scim.MultiValue{
			{Value: u.WorkEmail, Type: "work", Primary: true},
			{Value: u.HomeEmail, Type: "home"},
		},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: u.EmployeeNumber, Department: u.Department},
	}
	if managerID != "" {
		user.Enterprise.Manager = &scim.Manager{Value: managerID}
	}
	created, err := s.users.Create(context.Background(), user)
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func members(ids []string) []scim.MultiValue {
	mv := make([]scim.MultiValue, len(ids))
	for i, id := range ids {
		mv[i] = scim.MultiValue{Value: id}
	}
	return mv
}

func (s *scimkitServer) CreateGroup(g *GroupSpec, memberIDs []string) (string, error) {
	created, err := s.groups.Create(context.Background(), &scim.Group{
		ExternalID:  g.ExternalID,
		DisplayName: g.DisplayName,
		Members:     members(memberIDs),
	})
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func (s *scimkitServer) AddMembers(groupID string, memberIDs []string) error {
	ctx := context.Background()
	var store scim.GroupStore = s.groups
	if mp, ok := store.(scim.MemberPatcher); ok {
		_, err := mp.PatchMembers(ctx, groupID, members(memberIDs), nil, "")
		return err
	}
	g, err := store.Get(ctx, groupID, scim.ReadOptions{})
	if err != nil {
		return err
	}
	g.Members = append(g.Members, members(memberIDs)...)
	_, err = store.Replace(ctx, g, "")
	return err
}
