package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
	"github.com/stretchr/testify/require"
)

// One handler serving several hosts and mounts must derive each request's
// base URL from that request, whatever it served before.
func TestBaseURLFollowsEachRequest(t *testing.T) {
	users, groups := memstore.New()
	u, err := users.Create(context.Background(), &scim.User{UserName: "alice"})
	require.NoError(t, err)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	mux.Handle("/other/", http.StripPrefix("/other", h))
	cases := []struct{ host, path, proto, want string }{
		{"a.example.com", "/scim/v2", "", "http://a.example.com/scim/v2"},
		{"b.example.com", "/scim/v2", "", "http://b.example.com/scim/v2"},
		{"b.example.com", "/scim/v2", "https", "https://b.example.com/scim/v2"},
		{"b.example.com", "/other", "https", "https://b.example.com/other"},
		{"a.example.com", "/scim/v2", "", "http://a.example.com/scim/v2"},
		{"a.example.com", "/scim/v2", "", "http://a.example.com/scim/v2"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, "http://"+c.host+c.path+"/Users/"+u.ID, nil)
		if c.proto != "" {
			req.Header.Set("X-Forwarded-Proto", c.proto)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		var doc struct {
			Meta struct{ Location string } `json:"meta"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
		require.Equal(t, c.want+"/Users/"+u.ID, doc.Meta.Location, "%+v", c)
	}
}
