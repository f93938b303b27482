package connections_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/store/memstore"
)

func TestManagerRefusesBadArguments(t *testing.T) {
	m := connections.NewManager(memstore.NewConnections())
	ctx := t.Context()
	for _, c := range []struct{ tenant, name string }{
		{"", "name"}, {"  ", "name"}, {strings.Repeat("t", 257), "name"}, {"\xff", "name"},
		{"acme", ""}, {"acme", " \t"}, {"acme", strings.Repeat("n", 257)}, {"acme", "bad\x1b[2Jname"}, {"acme", "two\nlines"},
	} {
		_, err := m.Create(ctx, c.tenant, c.name, connections.ProviderOkta)
		require.ErrorIs(t, err, connections.ErrInvalid, "%q %q", c.tenant, c.name)
	}
	conn, err := m.Create(ctx, "acme", "Acme — Entra ID ✓", "")
	require.NoError(t, err)
	require.Equal(t, connections.ProviderOther, conn.Provider, "no provider is other")
	for _, tenant := range []string{"", " "} {
		_, err = m.List(ctx, tenant)
		require.ErrorIs(t, err, connections.ErrInvalid, "an empty tenant never lists anything")
		_, err = m.IssueToken(ctx, tenant, conn.ID, 0)
		require.ErrorIs(t, err, connections.ErrInvalid)
		require.ErrorIs(t, m.Revoke(ctx, tenant, "x"), connections.ErrInvalid)
	}
	_, err = m.IssueToken(ctx, "acme", conn.ID, -time.Second)
	require.ErrorIs(t, err, connections.ErrInvalid)
	tok, err := m.IssueToken(ctx, "acme", conn.ID, 0)
	require.NoError(t, err)
	_, err = m.Rotate(ctx, "acme", tok.Credential.ID, -time.Second)
	require.ErrorIs(t, err, connections.ErrInvalid)
	renamed, err := m.Rename(ctx, "acme", conn.ID, "Acme Okta", connections.ProviderOkta)
	require.NoError(t, err)
	require.Equal(t, "Acme Okta", renamed.DisplayName)
	require.Equal(t, connections.ProviderOkta, renamed.Provider)
	_, err = m.Rename(ctx, "globex", conn.ID, "stolen", "")
	require.ErrorIs(t, err, connections.ErrNotFound)
}
