// Package harness runs the side-by-side SCIM benchmark of issue 6: the same
// data and the same requests against scimkit, github.com/elimity-com/scim
// with the in-memory handler a typical adopter writes, and a bare net/http
// handler without SCIM logic, all on loopback listeners in one process.
package harness

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// BasePath is where every server is mounted.
const BasePath = "/scim/v2"

// Server is one SCIM server under test. Seeding goes through the server's
// own storage API (not HTTP) to keep setup fast; requests go through
// Handler.
type Server interface {
	// Handler serves SCIM under BasePath and requires the bearer token the
	// server was made with.
	Handler() http.Handler
	// CreateUser stores u, whose manager has the given id (empty for
	// none), and returns the new user's id.
	CreateUser(u *UserSpec, managerID string) (string, error)
	// CreateGroup stores g with the given member ids and returns its id.
	CreateGroup(g *GroupSpec, memberIDs []string) (string, error)
	// AddMembers adds user ids to a group's members, as a PATCH would.
	AddMembers(groupID string, memberIDs []string) error
}

// Factory makes a fresh, empty Server.
type Factory struct {
	// Name identifies the server in flags and in the report.
	Name string
	// New returns an empty server that requires token.
	New func(token string) (Server, error)
}

// Server names used in the report and in the ratio columns.
const (
	NameScimkit = "scimkit"
	NameElimity = "elimity"
	NameBare    = "bare"
)

// scimkitFactory is set by servers_scimkit.go when it is compiled in.
var scimkitFactory *Factory

// scimkitSQLFactory makes scimkit on sqlstore; set by servers_scimkit.go.
var scimkitSQLFactory func(dialect, pgDSN, token string) (Server, error)

// SQLEvents says whether scimkit's SQL store records provisioning events,
// as it does by default (and so examples/server); false measures a write
// without them.
var SQLEvents = true

// SQLFactories returns the servers of the SQL comparison (issue 15) on each
// database: scimkit on sqlstore as examples/server runs it
// ("scimkit-sqlite", "scimkit-postgres") and the bare SQL handler
// ("bare-sqlite", "bare-postgres"), each on a fresh database per round.
// pgDSN is the PostgreSQL server to create the databases on.
func SQLFactories(dbs []string, pgDSN string) ([]Factory, error) {
	var fs []Factory
	for _, db := range dbs {
		if db != DBSQLite && db != DBPostgres {
			return nil, fmt.Errorf("unknown database %q (want %s or %s)", db, DBSQLite, DBPostgres)
		}
		if scimkitSQLFactory != nil {
			fs = append(fs, Factory{Name: NameScimkit + "-" + db, New: func(token string) (Server, error) {
				return scimkitSQLFactory(db, pgDSN, token)
			}})
		}
		fs = append(fs, Factory{Name: NameBare + "-" + db, New: func(token string) (Server, error) {
			return newBareSQLServer(db, pgDSN, token)
		}})
	}
	return fs, nil
}

// Factories returns the servers this binary can run, scimkit first when it
// is compiled in.
func Factories() []Factory {
	var fs []Factory
	if scimkitFactory != nil {
		fs = append(fs, *scimkitFactory)
	}
	return append(fs,
		Factory{Name: NameElimity, New: newElimityServer},
		Factory{Name: NameBare, New: func(token string) (Server, error) { return newBareServer(token), nil }},
	)
}

// ScimkitAvailable reports whether the scimkit server is compiled in.
func ScimkitAvailable() bool { return scimkitFactory != nil }

// requireBearer wraps next with the bearer-token check the non-scimkit
// servers share, so that all three pay for the same constant-time compare
// that scim.WithBearerToken does.
func requireBearer(token string, next http.Handler) http.Handler {
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Seeded holds the server-assigned ids of a seeded dataset.
type Seeded struct {
	UserIDs  []string
	GroupIDs []string
}

// Seed stores ds in s in order and returns the ids s assigned.
func Seed(s Server, ds *Dataset) (*Seeded, error) {
	ids, err := seedUsers(s, ds.Users)
	if err != nil {
		return nil, err
	}
	out := &Seeded{UserIDs: ids, GroupIDs: make([]string, len(ds.Groups))}
	for i := range ds.Groups {
		g := &ds.Groups[i]
		members := make([]string, len(g.Members))
		for k, m := range g.Members {
			members[k] = ids[m]
		}
		if out.GroupIDs[i], err = s.CreateGroup(g, members); err != nil {
			return nil, fmt.Errorf("seed group %q: %w", g.DisplayName, err)
		}
	}
	return out, nil
}

func seedUsers(s Server, users []UserSpec) ([]string, error) {
	ids := make([]string, len(users))
	for i := range users {
		u := &users[i]
		manager := ""
		if u.Manager >= 0 {
			manager = ids[u.Manager]
		}
		id, err := s.CreateUser(u, manager)
		if err != nil {
			return nil, fmt.Errorf("seed user %q: %w", u.UserName, err)
		}
		ids[i] = id
	}
	return ids, nil
}
