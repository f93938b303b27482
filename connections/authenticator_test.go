package connections_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
)

// countingStore counts the calls an Authenticator makes.
type countingStore struct {
	connections.Store
	lookups, touches atomic.Int64
}

func (s *countingStore) LookupCredential(ctx context.Context, id string) (*connections.Credential, *connections.Connection, error) {
	s.lookups.Add(1)
	return s.Store.LookupCredential(ctx, id)
}

func (s *countingStore) TouchCredential(ctx context.Context, id string, at time.Time) error {
	s.touches.Add(1)
	return s.Store.TouchCredential(ctx, id, at)
}

// Every request reads the credential once and writes nothing, but for
// LastUsed once a minute, however many requests arrive at once; a
// malformed credential is refused without a read.
func TestAuthenticatorReadsOnceWritesPerMinute(t *testing.T) {
	store := &countingStore{Store: memstore.NewConnections()}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := connections.NewManager(store)
	a := connections.NewAuthenticator(store, connections.WithClock(clock))
	c, err := m.Create(t.Context(), "acme", "Acme", connections.ProviderOkta)
	require.NoError(t, err)
	tok, err := m.IssueToken(t.Context(), "acme", c.ID, 0)
	require.NoError(t, err)
	req := func(token string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/Users", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}

	burst := func(n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := a.Authenticate(req(tok.Secret.Reveal()))
				require.NoError(t, err)
			})
		}
		wg.Wait()
	}
	burst(500)
	require.EqualValues(t, 500, store.lookups.Load(), "one read per request")
	require.EqualValues(t, 1, store.touches.Load(), "one LastUsed write for a burst")
	mu.Lock()
	now = now.Add(59 * time.Second)
	mu.Unlock()
	burst(100)
	require.EqualValues(t, 1, store.touches.Load(), "none within the minute")
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	burst(100)
	require.EqualValues(t, 2, store.touches.Load(), "one more after the minute")

	store.lookups.Store(0)
	typo := []byte(tok.Secret.Reveal())
	typo[30] ^= 2
	for _, bad := range []string{string(typo), "nonsense", tok.Secret.Reveal()[:50]} {
		_, err := a.Authenticate(req(bad))
		require.Error(t, err)
	}
	require.Zero(t, store.lookups.Load(), "a malformed or mistyped credential costs no read")
}
