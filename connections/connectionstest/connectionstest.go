// Package connectionstest checks that a [connections.Store] keeps its
// contract, as testing/fstest does for file systems. A store's tests run it
// with one call:
//
//	func TestConnectionsConformance(t *testing.T) {
//		connectionstest.Run(t, func(t *testing.T) connections.Store {
//			return mystore.NewConnections(openTestDB(t))
//		})
//	}
//
// Every subtest works in tenants of its own, named with random suffixes,
// so the stores it is given may share one database. The suite covers the
// corners of the contract: tenant scoping of every call (another tenant's
// connection or credential is not found, and not changed), ErrExists on
// taken ids, copies, the cascades of revocation, expiry and deletion,
// lookups that see every write at once (no cache), LastUsed that never
// goes back, the deletion of expired access tokens, concurrent use (run it
// with -race), and the [connections.Authenticator] and
// [connections.TokenHandler] working on the store.
//
// [RunTenantIsolation] is a second suite, over HTTP: it checks that a SCIM
// handler serving two tenants keeps them apart on every endpoint.
package connectionstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"runtime/debug"
	"testing"
	"time"

	"github.com/scimkit/scim/connections"
)

// Run runs the conformance tests as subtests of t. It calls newStore once
// per subtest; the stores it returns may share their data.
func Run(t *testing.T, newStore func(t *testing.T) connections.Store) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A panicking store fails one test instead of hiding the rest.
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v\n%s", r, debug.Stack())
				}
			}()
			e := &env{
				ctx:     t.Context(),
				store:   newStore(t),
				tenantA: "tenant-a-" + random(),
				tenantB: "tenant-b-" + random(),
				// Times as stores keep them, and in the past, so that
				// ordering by creation is the order of the test's
				// writes.
				now: time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour),
			}
			tc.fn(t, e)
		})
	}
}

// env is what a test works with: a store, two fresh tenants and a clock.
type env struct {
	ctx              context.Context
	store            connections.Store
	tenantA, tenantB string
	now              time.Time
}

type test struct {
	name string
	fn   func(t *testing.T, e *env)
}

// tests lists every conformance test, in the order they run.
var tests = []test{
	{"CreateAndGetConnection", testCreateAndGetConnection},
	{"ConnectionsOrderAndScope", testConnectionsOrderAndScope},
	{"UpdateConnection", testUpdateConnection},
	{"DeleteConnection", testDeleteConnection},
	{"CreateCredential", testCreateCredential},
	{"CredentialsList", testCredentialsList},
	{"RevokeCredential", testRevokeCredential},
	{"ExpireCredential", testExpireCredential},
	{"LookupSeesEveryWrite", testLookupSeesEveryWrite},
	{"LookupAccountsForParent", testLookupAccountsForParent},
	{"TouchCredential", testTouchCredential},
	{"DeleteExpired", testDeleteExpired},
	{"ReturnsCopies", testReturnsCopies},
	{"AllConnections", testAllConnections},
	{"Concurrency", testConcurrency},
	{"Authenticator", testAuthenticator},
	{"TokenHandler", testTokenHandler},
}

func random() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tick advances the test's clock by a millisecond and returns it.
func (e *env) tick() time.Time {
	e.now = e.now.Add(time.Millisecond)
	return e.now
}
