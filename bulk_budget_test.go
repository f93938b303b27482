package scim_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowUsers is a user store whose Create of the user "slow" lasts until
// the request's context ends.
type slowUsers struct{ *memstore.UserStore }

func (s slowUsers) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	if u.UserName == "slow" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.UserStore.Create(ctx, u)
}

// Once a bulk request has used its time budget, the operation running
// fails and the remaining ones are not run, each with a 503 that says so;
// the response still lists every operation.
func TestBulkTimeBudget(t *testing.T) {
	users, groups := memstore.New()
	c := newClientFor(t, slowUsers{users}, groups, scim.WithBulkTimeout(time.Millisecond))
	op := func(name string) string {
		return `{"method":"POST","path":"/Users","bulkId":"` + name + `","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `"}}`
	}
	r := c.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+
		op("slow")+`,`+op("after1")+`,`+op("after2")+`]}`)
	require.Equal(t, 200, r.status, "%s", r.body)
	var resp struct {
		Operations []struct {
			BulkID   string         `json:"bulkId"`
			Status   string         `json:"status"`
			Response map[string]any `json:"response"`
		}
	}
	require.NoError(t, json.Unmarshal(r.body, &resp))
	require.Len(t, resp.Operations, 3, "every operation is answered")
	for i, o := range resp.Operations {
		assert.Equal(t, "503", o.Status, o.BulkID)
		detail, _ := o.Response["detail"].(string)
		assert.Contains(t, detail, "time budget of 1ms", o.BulkID)
		if i == 0 {
			assert.Contains(t, detail, "did not finish")
		} else {
			assert.Contains(t, detail, "was not run")
		}
	}
	page, err := users.List(context.Background(), &scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	assert.Zero(t, page.TotalResults, "no operation after the budget ran")

	// Within the budget (30 s by default), all run.
	c = newClient(t)
	r = c.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+op("a")+`,`+op("b")+`]}`)
	require.Equal(t, 200, r.status)
	require.NoError(t, json.Unmarshal(r.body, &resp))
	for _, o := range resp.Operations {
		assert.Equal(t, "201", o.Status)
	}
}
