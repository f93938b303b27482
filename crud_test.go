package scim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// racingUsers lets another writer change a user between the handler's
// read and its write, once.
type racingUsers struct {
	*memstore.UserStore
	once sync.Once
	race func()
}

func (s *racingUsers) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	s.once.Do(s.race)
	return s.UserStore.Replace(ctx, u, ifVersion)
}

// A PUT without If-Match that races with another writer records the
// change it made, not the one the resource it read would have implied:
// here the other writer deactivated the user first, so the PUT's
// active:false deactivates nothing.
func TestPutRacingAWriterRecordsTheChangeItMade(t *testing.T) {
	users, groups := memstore.New(memstore.WithEventRetention(0))
	racing := &racingUsers{UserStore: users}
	var mu sync.Mutex
	var got []scim.Event
	c := newClientFor(t, racing, groups, scim.WithEventSink(func(_ context.Context, evs []scim.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, evs...)
	}))
	r := c.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","active":true}`)
	require.Equal(t, http.StatusCreated, r.status)
	id := r.json["id"].(string)
	raced := false
	racing.race = func() {
		u, err := users.Get(context.Background(), id, scim.ReadOptions{})
		require.NoError(t, err)
		inactive := false
		u.Active = &inactive
		_, err = users.Replace(context.Background(), u, "")
		require.NoError(t, err)
		raced = true
	}

	r = c.do(http.MethodPut, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","active":false}`)
	require.Equal(t, http.StatusOK, r.status)
	require.True(t, raced)
	assert.Equal(t, false, r.json["active"])
	mu.Lock()
	defer mu.Unlock()
	assert.NotContains(t, types(got), scim.EventUserDeactivated,
		"the other writer deactivated the user; the PUT changed nothing about active")
}
