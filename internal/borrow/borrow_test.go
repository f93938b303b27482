package borrow_test

import (
	"testing"

	"github.com/scimkit/scim/internal/borrow"
	"github.com/stretchr/testify/require"
)

type hook = borrow.Hook

type store struct {
	hook
	name string
}

type wrapper struct{ *store }

func TestLender(t *testing.T) {
	s := &store{name: "s"}
	require.Nil(t, borrow.Lender(s), "no lender set")
	borrow.Set(&s.hook, s, "lender")
	require.Equal(t, "lender", borrow.Lender(s))
	require.Nil(t, borrow.Lender(struct{}{}))
	require.Nil(t, borrow.Lender(nil))
	// A type that embeds the store may override its reads: it must be read
	// through them, so it gets no lender although it has the hook.
	require.Nil(t, borrow.Lender(wrapper{s}))
	require.Nil(t, borrow.Lender(&wrapper{s}))
	other := &store{name: "other"}
	other.hook = s.hook // copied by value: not the owner
	require.Nil(t, borrow.Lender(other))
}
