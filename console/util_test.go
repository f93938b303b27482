package console_test

import (
	"context"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
)

func scimCtx(tenant string) context.Context {
	return scim.ContextWithTenant(context.Background(), tenant)
}

func allUsers() *scim.Query { return &scim.Query{StartIndex: 1, Count: 100} }

func withoutSCIMHandler() console.Option { return console.WithSCIMHandler(nil) }
