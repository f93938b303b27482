package scim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/stretchr/testify/require"
)

// countingCtx is a context whose Err reports cancellation once it has been
// asked n times: the evaluation stops mid-way.
type countingCtx struct {
	context.Context
	n int
}

func (c *countingCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestApplyQueryContextStops(t *testing.T) {
	users := make([]*scim.User, 1000)
	for i := range users {
		users[i] = &scim.User{ID: fmt.Sprint(i), UserName: fmt.Sprintf("user%d", i)}
	}
	f, err := scim.ParseUserFilter(`userName co "user"`)
	require.NoError(t, err)
	q := &scim.Query{Filter: f, StartIndex: 1, Count: 10}
	page, err := scim.ApplyQueryContext(&countingCtx{Context: context.Background(), n: 3}, users, q)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, page)
	page, err = scim.ApplyQueryContext(context.Background(), users, q)
	require.NoError(t, err)
	require.Equal(t, 1000, page.TotalResults)
	require.Equal(t, page, scim.ApplyQuery(users, q))
}

func ExampleApplyQueryContext() {
	users := []*scim.User{{ID: "1", UserName: "ada"}, {ID: "2", UserName: "grace"}}
	f, _ := scim.ParseUserFilter(`userName co "a"`)
	ctx, cancel := context.WithCancel(context.Background())
	page, err := scim.ApplyQueryContext(ctx, users, &scim.Query{Filter: f, StartIndex: 1, Count: 10})
	fmt.Println(page.TotalResults, err)
	cancel() // the client has gone
	_, err = scim.ApplyQueryContext(ctx, users, &scim.Query{Filter: f, StartIndex: 1, Count: 10})
	fmt.Println(err)
	// Output:
	// 2 <nil>
	// context canceled
}
