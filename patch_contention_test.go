package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

// contendedUsers is a user store whose every Replace loses a race with
// another writer.
type contendedUsers struct {
	*memstore.UserStore
	replaces atomic.Int64
}

func (s *contendedUsers) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	s.replaces.Add(1)
	return nil, fmt.Errorf("test: lost the race: %w", scim.ErrPreconditionFailed)
}

// A PATCH that gives up after its retries tells a client that sent no
// If-Match to come back later (503 with Retry-After), not that a
// precondition it never set failed; with If-Match, it stays 412.
func TestPatchGivingUpIsRetryable(t *testing.T) {
	users, groups := memstore.New()
	u, err := users.Create(context.Background(), &scim.User{UserName: "alice"})
	require.NoError(t, err)
	store := &contendedUsers{UserStore: users}
	h := scim.NewHandler(store, groups, scim.WithoutAuthentication())
	patch := func(ifMatch string) *httptest.ResponseRecorder {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Alice"}]}`
		req := httptest.NewRequest(http.MethodPatch, "/Users/"+u.ID, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := patch("")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	require.Contains(t, rec.Body.String(), "retry")
	require.Greater(t, store.replaces.Load(), int64(1), "the PATCH was retried")

	store.replaces.Store(0)
	rec = patch(u.Meta.Version)
	require.Equal(t, http.StatusPreconditionFailed, rec.Code, rec.Body.String())
	require.Empty(t, rec.Header().Get("Retry-After"))
	require.Equal(t, int64(1), store.replaces.Load(), "a conditional PATCH is not retried")
}
