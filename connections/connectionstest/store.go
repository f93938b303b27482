package connectionstest

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim/connections"
)

func (e *env) newConn(t *testing.T, tenant, name string) *connections.Connection {
	t.Helper()
	c := &connections.Connection{ID: "conn-" + random(), Tenant: tenant, DisplayName: name,
		Provider: connections.ProviderEntraID, Created: e.tick()}
	require.NoError(t, e.store.CreateConnection(e.ctx, c))
	return c
}

func (e *env) newCred(t *testing.T, tenant string, conn *connections.Connection, kind connections.Kind, parent string) *connections.Credential {
	t.Helper()
	cr := &connections.Credential{ID: "cred" + random(), ConnectionID: conn.ID, Kind: kind, Parent: parent, Created: e.tick()}
	_, _ = rand.Read(cr.Hash[:])
	require.NoError(t, e.store.CreateCredential(e.ctx, tenant, cr))
	return cr
}

func (e *env) lookup(t *testing.T, id string) (*connections.Credential, *connections.Connection) {
	t.Helper()
	cr, c, err := e.store.LookupCredential(e.ctx, id)
	require.NoError(t, err, "LookupCredential(%q)", id)
	require.NotNil(t, cr)
	require.NotNil(t, c)
	return cr, c
}

func requireConnEqual(t *testing.T, want, got *connections.Connection) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Tenant, got.Tenant)
	assert.Equal(t, want.DisplayName, got.DisplayName)
	assert.Equal(t, want.Provider, got.Provider)
	assert.Equal(t, want.Disabled, got.Disabled)
	assert.True(t, want.Created.Equal(got.Created), "Created: want %v, got %v", want.Created, got.Created)
	assert.Equal(t, time.UTC, got.Created.Location(), "times are returned in UTC")
}

func requireTimeEqual(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
}

func connIDs(cs []*connections.Connection) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func credIDs(cs []*connections.Credential) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testCreateAndGetConnection(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "Acme Entra ID")
	got, err := e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	requireConnEqual(t, c, got)

	_, err = e.store.Connection(e.ctx, e.tenantB, c.ID)
	require.ErrorIs(t, err, connections.ErrNotFound, "another tenant's connection is not found")
	_, err = e.store.Connection(e.ctx, e.tenantA, "conn-missing-"+random())
	require.ErrorIs(t, err, connections.ErrNotFound)

	dup := *c
	dup.Tenant = e.tenantB
	require.ErrorIs(t, e.store.CreateConnection(e.ctx, &dup), connections.ErrExists, "ids are unique across tenants")
	got, err = e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	requireConnEqual(t, c, got)

	odd := &connections.Connection{ID: "conn-" + random(), Tenant: e.tenantA, DisplayName: `Ünïcode "quoted" <b> 名前 ` + "\u202e",
		Provider: "ping", Created: e.tick(), Disabled: true}
	require.NoError(t, e.store.CreateConnection(e.ctx, odd))
	got, err = e.store.Connection(e.ctx, e.tenantA, odd.ID)
	require.NoError(t, err)
	requireConnEqual(t, odd, got)
}

func testConnectionsOrderAndScope(t *testing.T, e *env) {
	list, err := e.store.Connections(e.ctx, e.tenantA)
	require.NoError(t, err)
	require.NotNil(t, list, "no connections is an empty slice")
	require.Empty(t, list)

	a1 := e.newConn(t, e.tenantA, "first")
	b1 := e.newConn(t, e.tenantB, "other tenant")
	a2 := e.newConn(t, e.tenantA, "second")
	// Two connections created at the same instant are ordered by id.
	same := e.tick()
	x := &connections.Connection{ID: "conn-z-" + random(), Tenant: e.tenantA, DisplayName: "z", Created: same}
	y := &connections.Connection{ID: "conn-y-" + random(), Tenant: e.tenantA, DisplayName: "y", Created: same}
	require.NoError(t, e.store.CreateConnection(e.ctx, x))
	require.NoError(t, e.store.CreateConnection(e.ctx, y))

	list, err = e.store.Connections(e.ctx, e.tenantA)
	require.NoError(t, err)
	require.Equal(t, []string{a1.ID, a2.ID, y.ID, x.ID}, connIDs(list))
	requireConnEqual(t, a2, list[1])
	list, err = e.store.Connections(e.ctx, e.tenantB)
	require.NoError(t, err)
	require.Equal(t, []string{b1.ID}, connIDs(list))
	list, err = e.store.Connections(e.ctx, "tenant-none-"+random())
	require.NoError(t, err)
	require.Empty(t, list)
}

func testUpdateConnection(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "before")
	changed := *c
	changed.DisplayName, changed.Provider, changed.Disabled = "after", connections.ProviderOkta, true
	changed.Created = c.Created.Add(time.Hour) // not changed by an update
	require.NoError(t, e.store.UpdateConnection(e.ctx, &changed))
	got, err := e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	want := *c
	want.DisplayName, want.Provider, want.Disabled = "after", connections.ProviderOkta, true
	requireConnEqual(t, &want, got)

	// Another tenant cannot update it, even knowing its id.
	evil := *got
	evil.Tenant, evil.DisplayName, evil.Disabled = e.tenantB, "evil", false
	require.ErrorIs(t, e.store.UpdateConnection(e.ctx, &evil), connections.ErrNotFound)
	got, err = e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	requireConnEqual(t, &want, got)

	missing := *c
	missing.ID = "conn-missing-" + random()
	require.ErrorIs(t, e.store.UpdateConnection(e.ctx, &missing), connections.ErrNotFound)
}

func testDeleteConnection(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "doomed")
	keep := e.newConn(t, e.tenantA, "kept")
	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	at := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	kept := e.newCred(t, e.tenantA, keep, connections.KindToken, "")

	require.ErrorIs(t, e.store.DeleteConnection(e.ctx, e.tenantB, c.ID), connections.ErrNotFound, "another tenant's")
	e.lookup(t, tok.ID)

	require.NoError(t, e.store.DeleteConnection(e.ctx, e.tenantA, c.ID))
	_, err := e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.ErrorIs(t, err, connections.ErrNotFound)
	for _, id := range []string{tok.ID, cs.ID, at.ID} {
		_, _, err := e.store.LookupCredential(e.ctx, id)
		require.ErrorIs(t, err, connections.ErrNotFound, "a deleted connection's credentials go with it")
	}
	_, err = e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.ErrorIs(t, err, connections.ErrNotFound)
	e.lookup(t, kept.ID)
	require.ErrorIs(t, e.store.DeleteConnection(e.ctx, e.tenantA, c.ID), connections.ErrNotFound, "deleted twice")

	// The id may be used again, and the new connection has no credentials.
	again := *c
	again.Created = e.tick()
	require.NoError(t, e.store.CreateConnection(e.ctx, &again))
	list, err := e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.Empty(t, list)
}

func testCreateCredential(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	exp := e.now.Add(90 * 24 * time.Hour)
	cr := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindToken,
		Created: e.tick(), Expires: exp}
	_, _ = rand.Read(cr.Hash[:])
	require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, cr))
	require.Equal(t, e.tenantA, cr.Tenant, "CreateCredential sets Tenant")

	got, gc := e.lookup(t, cr.ID)
	assert.Equal(t, cr.ID, got.ID)
	assert.Equal(t, c.ID, got.ConnectionID)
	assert.Equal(t, e.tenantA, got.Tenant)
	assert.Equal(t, connections.KindToken, got.Kind)
	assert.Equal(t, cr.Hash, got.Hash, "the hash round-trips byte for byte")
	assert.Empty(t, got.Parent)
	requireTimeEqual(t, cr.Created, got.Created, "Created")
	requireTimeEqual(t, exp, got.Expires, "Expires")
	assert.True(t, got.Revoked.IsZero(), "Revoked")
	assert.True(t, got.LastUsed.IsZero(), "LastUsed")
	requireConnEqual(t, c, gc)

	// Not for a connection of another tenant or none.
	other := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindToken, Created: e.tick()}
	require.ErrorIs(t, e.store.CreateCredential(e.ctx, e.tenantB, other), connections.ErrNotFound)
	other.ConnectionID = "conn-missing-" + random()
	require.ErrorIs(t, e.store.CreateCredential(e.ctx, e.tenantA, other), connections.ErrNotFound)
	_, _, err := e.store.LookupCredential(e.ctx, other.ID)
	require.ErrorIs(t, err, connections.ErrNotFound)

	// Ids are unique.
	dup := *cr
	dup.Hash = connections.Hash{}
	require.ErrorIs(t, e.store.CreateCredential(e.ctx, e.tenantA, &dup), connections.ErrExists)
	got, _ = e.lookup(t, cr.ID)
	assert.Equal(t, cr.Hash, got.Hash, "a refused duplicate leaves the stored credential alone")

	// An access token keeps its parent.
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	at := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	got, _ = e.lookup(t, at.ID)
	assert.Equal(t, cs.ID, got.Parent)
	assert.Equal(t, connections.KindAccessToken, got.Kind)
}

func testCredentialsList(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	other := e.newConn(t, e.tenantA, "other")
	list, err := e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.NotNil(t, list, "no credentials is an empty slice")
	require.Empty(t, list)

	t1 := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	e.newCred(t, e.tenantA, other, connections.KindToken, "")
	t2 := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, t2.ID, e.tick()))

	list, err = e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.Equal(t, []string{t1.ID, cs.ID, t2.ID}, credIDs(list), "oldest first, revoked included, access tokens left out")
	assert.Equal(t, t1.Hash, list[0].Hash)
	assert.False(t, list[2].Revoked.IsZero())
	assert.Equal(t, e.tenantA, list[0].Tenant)

	_, err = e.store.Credentials(e.ctx, e.tenantB, c.ID)
	require.ErrorIs(t, err, connections.ErrNotFound, "another tenant's connection")
	_, err = e.store.Credentials(e.ctx, e.tenantA, "conn-missing-"+random())
	require.ErrorIs(t, err, connections.ErrNotFound)
}

func testRevokeCredential(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	at1 := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	at2 := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	cs2 := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	at3 := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs2.ID)

	require.ErrorIs(t, e.store.RevokeCredential(e.ctx, e.tenantB, tok.ID, e.tick()), connections.ErrNotFound, "another tenant's")
	got, _ := e.lookup(t, tok.ID)
	require.True(t, got.Revoked.IsZero(), "not revoked by another tenant")
	require.ErrorIs(t, e.store.RevokeCredential(e.ctx, e.tenantA, "cred-missing", e.tick()), connections.ErrNotFound)

	at := e.tick()
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, tok.ID, at))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, at, got.Revoked, "Revoked")
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, tok.ID, e.tick()), "revoking twice succeeds")
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, at, got.Revoked, "and keeps the first time")

	// Revoking a client secret revokes its access tokens, not others.
	at = e.tick()
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, cs.ID, at))
	for _, id := range []string{cs.ID, at1.ID, at2.ID} {
		got, _ := e.lookup(t, id)
		requireTimeEqual(t, at, got.Revoked, "Revoked of "+id)
	}
	for _, id := range []string{cs2.ID, at3.ID} {
		got, _ := e.lookup(t, id)
		require.True(t, got.Revoked.IsZero(), "%s is not the revoked secret's", id)
	}
	// Revoking one access token leaves its parent and siblings alone.
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, at3.ID, e.tick()))
	got, _ = e.lookup(t, cs2.ID)
	require.True(t, got.Revoked.IsZero())
}

func testLookupAccountsForParent(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	revokedAt := e.tick()
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, cs.ID, revokedAt))
	// An access token stored after its client secret was revoked (as one
	// issued while the revocation ran would be) is revoked all the same.
	late := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)
	got, _ := e.lookup(t, late.ID)
	require.False(t, got.Revoked.IsZero(), "an access token of a revoked client secret is revoked")

	cs2 := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	end := e.now.Add(time.Hour)
	require.NoError(t, e.store.ExpireCredential(e.ctx, e.tenantA, cs2.ID, end))
	late2 := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindAccessToken,
		Parent: cs2.ID, Created: e.tick(), Expires: end.Add(time.Hour)}
	require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, late2))
	got, _ = e.lookup(t, late2.ID)
	requireTimeEqual(t, end, got.Expires, "an access token expires no later than its client secret")
	require.True(t, got.Revoked.IsZero())
	// A token's own earlier expiry stands.
	early := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindAccessToken,
		Parent: cs2.ID, Created: e.tick(), Expires: end.Add(-time.Minute)}
	require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, early))
	got, _ = e.lookup(t, early.ID)
	requireTimeEqual(t, end.Add(-time.Minute), got.Expires, "its own expiry when earlier")
}

func testExpireCredential(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	child := e.newCred(t, e.tenantA, c, connections.KindAccessToken, cs.ID)

	require.ErrorIs(t, e.store.ExpireCredential(e.ctx, e.tenantB, tok.ID, e.now), connections.ErrNotFound, "another tenant's")
	got, _ := e.lookup(t, tok.ID)
	require.True(t, got.Expires.IsZero())
	require.ErrorIs(t, e.store.ExpireCredential(e.ctx, e.tenantA, "cred-missing", e.now), connections.ErrNotFound)

	later := e.now.Add(time.Hour)
	require.NoError(t, e.store.ExpireCredential(e.ctx, e.tenantA, tok.ID, later))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, later, got.Expires, "a credential without expiry gets one")
	require.NoError(t, e.store.ExpireCredential(e.ctx, e.tenantA, tok.ID, later.Add(time.Hour)))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, later, got.Expires, "a later time does not extend it")
	sooner := later.Add(-time.Minute)
	require.NoError(t, e.store.ExpireCredential(e.ctx, e.tenantA, tok.ID, sooner))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, sooner, got.Expires, "an earlier time shortens it")

	// A client secret's expiry reaches its access tokens.
	require.NoError(t, e.store.ExpireCredential(e.ctx, e.tenantA, cs.ID, later))
	got, _ = e.lookup(t, child.ID)
	requireTimeEqual(t, later, got.Expires, "the access token expires with its client secret")
}

func testLookupSeesEveryWrite(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	// Look it up first, so that a store that caches has something cached.
	for range 3 {
		_, gc := e.lookup(t, tok.ID)
		require.False(t, gc.Disabled)
	}
	dis := *c
	dis.Disabled = true
	require.NoError(t, e.store.UpdateConnection(e.ctx, &dis))
	_, gc := e.lookup(t, tok.ID)
	require.True(t, gc.Disabled, "the next lookup sees the connection disabled")

	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, tok.ID, e.tick()))
	got, _ := e.lookup(t, tok.ID)
	require.False(t, got.Revoked.IsZero(), "the next lookup sees the revocation")

	require.NoError(t, e.store.DeleteConnection(e.ctx, e.tenantA, c.ID))
	_, _, err := e.store.LookupCredential(e.ctx, tok.ID)
	require.ErrorIs(t, err, connections.ErrNotFound, "the next lookup sees the deletion")
}

func testTouchCredential(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	t1 := e.now.Add(time.Minute)
	require.NoError(t, e.store.TouchCredential(e.ctx, tok.ID, t1))
	got, _ := e.lookup(t, tok.ID)
	requireTimeEqual(t, t1, got.LastUsed, "LastUsed")
	require.NoError(t, e.store.TouchCredential(e.ctx, tok.ID, t1.Add(-time.Second)))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, t1, got.LastUsed, "LastUsed never goes back")
	t2 := t1.Add(2 * time.Minute)
	require.NoError(t, e.store.TouchCredential(e.ctx, tok.ID, t2))
	got, _ = e.lookup(t, tok.ID)
	requireTimeEqual(t, t2, got.LastUsed, "LastUsed")
	require.NoError(t, e.store.TouchCredential(e.ctx, "cred-missing-"+random(), t2), "a missing credential is not an error")
	list, err := e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	requireTimeEqual(t, t2, list[0].LastUsed, "Credentials shows LastUsed")
}

func testDeleteExpired(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	cs := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	newAccess := func(expires time.Time) *connections.Credential {
		cr := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindAccessToken,
			Parent: cs.ID, Created: e.tick(), Expires: expires}
		require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, cr))
		return cr
	}
	cut := e.now.Add(time.Minute)
	old1 := newAccess(cut.Add(-time.Second))
	old2 := newAccess(cut.Add(-time.Hour))
	fresh := newAccess(cut.Add(time.Second))
	atCut := newAccess(cut)
	expiredToken := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindToken,
		Created: e.tick(), Expires: cut.Add(-time.Hour)}
	require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, expiredToken))
	expiredSecret := &connections.Credential{ID: "cred" + random(), ConnectionID: c.ID, Kind: connections.KindClientSecret,
		Created: e.tick(), Expires: cut.Add(-time.Hour)}
	require.NoError(t, e.store.CreateCredential(e.ctx, e.tenantA, expiredSecret))

	n, err := e.store.DeleteExpired(e.ctx, cut)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 2, "it counts what it deleted (a shared database may hold more)")
	for _, id := range []string{old1.ID, old2.ID} {
		_, _, err := e.store.LookupCredential(e.ctx, id)
		require.ErrorIs(t, err, connections.ErrNotFound, "expired access token %s deleted", id)
	}
	for _, id := range []string{fresh.ID, atCut.ID, expiredToken.ID, expiredSecret.ID, cs.ID} {
		e.lookup(t, id)
	}
	// Revoking the client secret afterwards still works on the survivors.
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, cs.ID, e.tick()))
	got, _ := e.lookup(t, fresh.ID)
	require.False(t, got.Revoked.IsZero())
}

func testReturnsCopies(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	c.DisplayName = "changed after create"
	got, err := e.store.Connection(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.Equal(t, "conn", got.DisplayName, "the store keeps a copy of what it was given")
	got.DisplayName, got.Disabled = "changed by reader", true
	list, err := e.store.Connections(e.ctx, e.tenantA)
	require.NoError(t, err)
	require.Equal(t, "conn", list[0].DisplayName)
	list[0].Disabled = true

	tok := e.newCred(t, e.tenantA, c, connections.KindToken, "")
	tok.Hash[0] ^= 0xff
	cr, gc := e.lookup(t, tok.ID)
	require.NotEqual(t, tok.Hash, cr.Hash, "the store keeps a copy of the credential")
	require.False(t, gc.Disabled)
	// LookupCredential lends its result: a later write leaves it alone.
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, tok.ID, e.tick()))
	dis := *c
	dis.DisplayName, dis.Disabled = "conn", true
	require.NoError(t, e.store.UpdateConnection(e.ctx, &dis))
	require.True(t, cr.Revoked.IsZero(), "a write changed a credential lent earlier")
	require.False(t, gc.Disabled, "a write changed a connection lent earlier")
	creds, err := e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	creds[0].Kind = connections.KindAccessToken
	cr3, _ := e.lookup(t, tok.ID)
	require.Equal(t, connections.KindToken, cr3.Kind)
}

func testAllConnections(t *testing.T, e *env) {
	l, ok := e.store.(connections.AllConnectionsLister)
	if !ok {
		t.Skip("connectionstest: the store does not implement connections.AllConnectionsLister")
	}
	b := e.newConn(t, e.tenantB, "b")
	a1 := e.newConn(t, e.tenantA, "a1")
	a2 := e.newConn(t, e.tenantA, "a2")
	all, err := l.AllConnections(e.ctx)
	require.NoError(t, err)
	var mine []string
	for _, c := range all {
		if c.Tenant == e.tenantA || c.Tenant == e.tenantB {
			mine = append(mine, c.ID)
		}
	}
	// tenant-a-… sorts before tenant-b-….
	require.Equal(t, []string{a1.ID, a2.ID, b.ID}, mine, "ordered by tenant, then creation")
}

func testConcurrency(t *testing.T, e *env) {
	c := e.newConn(t, e.tenantA, "conn")
	base := e.newCred(t, e.tenantA, c, connections.KindClientSecret, "")
	const workers, each = 4, 10
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		made  []string
		errs  = make(chan error, workers*each*4)
		start = e.now
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("cred%s-%d-%d", random(), w, i)
				cr := &connections.Credential{ID: id, ConnectionID: c.ID, Kind: connections.KindAccessToken,
					Parent: base.ID, Created: start.Add(time.Duration(i) * time.Millisecond)}
				if err := e.store.CreateCredential(e.ctx, e.tenantA, cr); err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				made = append(made, id)
				mu.Unlock()
				if _, _, err := e.store.LookupCredential(e.ctx, id); err != nil {
					errs <- err
				}
				if err := e.store.TouchCredential(e.ctx, base.ID, start.Add(time.Duration(w*each+i)*time.Second)); err != nil {
					errs <- err
				}
				if _, err := e.store.Credentials(e.ctx, e.tenantA, c.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, made, workers*each)
	got, _ := e.lookup(t, base.ID)
	requireTimeEqual(t, start.Add(time.Duration(workers*each-1)*time.Second), got.LastUsed,
		"concurrent touches leave the latest time")
	require.NoError(t, e.store.RevokeCredential(e.ctx, e.tenantA, base.ID, e.tick()))
	for _, id := range made {
		got, _ := e.lookup(t, id)
		require.False(t, got.Revoked.IsZero(), "access token %s made concurrently is revoked with its parent", id)
	}
	list, err := e.store.Credentials(e.ctx, e.tenantA, c.ID)
	require.NoError(t, err)
	require.Len(t, list, 1, "access tokens are not listed")
}
