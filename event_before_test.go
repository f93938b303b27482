package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// beforeSpy records what Change.Before gives each user write.
type beforeSpy struct {
	*memstore.UserStore
	seen []any
	vers []string
}

func (s *beforeSpy) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	s.seen = append(s.seen, scim.ChangeFromContext(ctx).Before())
	s.vers = append(s.vers, "")
	return s.UserStore.Create(ctx, u)
}

func (s *beforeSpy) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	s.seen = append(s.seen, scim.ChangeFromContext(ctx).Before())
	s.vers = append(s.vers, ifVersion)
	return s.UserStore.Replace(ctx, u, ifVersion)
}

// With events on, a user write's Change tells the store what the handler
// read: nothing for a create; for a PATCH or a PUT, the user with its
// groups at the version the write is conditioned on, so that a store may
// build the write's events before it writes.
func TestChangeBeforeIsTheReadTheWriteReplaces(t *testing.T) {
	users, groups := memstore.New()
	spy := &beforeSpy{UserStore: users}
	c := newClientFor(t, spy, groups)
	r := c.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada"}`)
	require.Equal(t, http.StatusCreated, r.status)
	id := r.json["id"].(string)
	r = c.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"`+id+`"}]}`)
	require.Equal(t, http.StatusCreated, r.status)
	gid := r.json["id"].(string)

	r = c.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	require.Equal(t, http.StatusOK, r.status)
	r = c.do(http.MethodPut, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","displayName":"Ada"}`)
	require.Equal(t, http.StatusOK, r.status)

	require.Len(t, spy.seen, 3)
	assert.Nil(t, spy.seen[0], "a create has nothing before it")
	for i := 1; i < 3; i++ {
		u, ok := spy.seen[i].(*scim.User)
		require.True(t, ok, "write %d: Before is the *User read", i)
		assert.Equal(t, id, u.ID)
		assert.Equal(t, spy.vers[i], u.Meta.Version, "write %d: the write replaces the version read", i)
		require.Len(t, u.Groups, 1, "write %d: the read has the user's groups", i)
		assert.Equal(t, gid, u.Groups[0].Value)
	}
	assert.Equal(t, true, *orTrue(spy.seen[1].(*scim.User).Active), "the PATCH's read is from before it")
	assert.Equal(t, false, *spy.seen[2].(*scim.User).Active, "the PUT's read is the PATCH's result")
	var nilChange *scim.Change
	assert.Nil(t, nilChange.Before())
}

func orTrue(b *bool) *bool {
	if b == nil {
		t := true
		return &t
	}
	return b
}
