package harness

// The scimkit server registers itself through scimkitFactory, so that this
// file can be left out of a build (for example with a build constraint)
// while the library's API is being changed, and the harness still runs the
// other two servers.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/store/sqlstore"
)

func init() {
	scimkitFactory = &Factory{Name: NameScimkit, New: newScimkitServer}
	scimkitSQLFactory = newScimkitSQLServer
}

// scimkitServer is scimkit's handler on memstore, mounted as its package
// documentation shows.
type scimkitServer struct {
	users   scim.UserStore
	groups  scim.GroupStore
	handler http.Handler
	// db is the database of a scimkit server on sqlstore, nil on memstore.
	db *freshDB
	// requestLog is the queue of the server's request log on sqlstore,
	// closed (written out) before its database.
	requestLog *provlog.Queue
}

func newScimkitServer(token string) (Server, error) {
	users, groups := memstore.New()
	h := scim.NewHandler(users, groups, scim.WithBearerToken(token))
	mux := http.NewServeMux()
	mux.Handle(BasePath+"/", http.StripPrefix(BasePath, h))
	return &scimkitServer{users: users, groups: groups, handler: mux}, nil
}

func (s *scimkitServer) Handler() http.Handler { return s.handler }

// newScimkitSQLServer is scimkit's handler on sqlstore on a fresh database,
// as examples/server runs it: the pool sized as there, a request log line
// per request (formatted, written nowhere), the provisioning log kept in
// the database through a queue (examples/server's -request-log default),
// default options.
func newScimkitSQLServer(dialect, pgDSN, token string) (Server, error) {
	f, err := openFresh(dialect, pgDSN, sqlstore.SQLiteDSN)
	if err != nil {
		return nil, err
	}
	d := sqlstore.SQLite
	if dialect == DBPostgres {
		d = sqlstore.Postgres
	}
	if err := sqlstore.Migrate(context.Background(), f.db, d); err != nil {
		f.Close()
		return nil, err
	}
	var opts []sqlstore.Option
	if !SQLEvents {
		opts = append(opts, sqlstore.WithEventRetention(0))
	}
	users, groups := sqlstore.New(f.db, d, opts...)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue := provlog.NewQueue(users.RequestLog(), provlog.WithLogger(logger))
	h := scim.NewHandler(users, groups, scim.WithBearerToken(token), scim.WithLogger(logger), scim.WithRequestLog(queue))
	mux := http.NewServeMux()
	mux.Handle(BasePath+"/", http.StripPrefix(BasePath, h))
	return &scimkitServer{users: users, groups: groups, handler: logRequests(logger, mux), db: f, requestLog: queue}, nil
}

// logRequests logs one line per request, as examples/server does.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Analyze updates the database's statistics after the preload.
func (s *scimkitServer) Analyze() error {
	if s.db == nil {
		return nil
	}
	return s.db.analyze()
}

// Close removes the server's database, if it has one.
func (s *scimkitServer) Close() error {
	if s.db == nil {
		return nil
	}
	if s.requestLog != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.requestLog.Close(ctx); err != nil {
			s.db.Close()
			return err
		}
	}
	return s.db.Close()
}

func (s *scimkitServer) CreateUser(u *UserSpec, managerID string) (string, error) {
	active := u.Active
	user := &scim.User{
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		Name:        &scim.Name{Formatted: u.DisplayName, FamilyName: u.FamilyName, GivenName: u.GivenName},
		DisplayName: u.DisplayName,
		Active:      &active,
		Emails: []scim.MultiValue{
			{Value: u.WorkEmail, Type: "work", Primary: true},
			{Value: u.HomeEmail, Type: "home"},
		},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: u.EmployeeNumber, Department: u.Department},
	}
	if managerID != "" {
		user.Enterprise.Manager = &scim.Manager{Value: managerID}
	}
	created, err := s.users.Create(context.Background(), user)
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func members(ids []string) []scim.MultiValue {
	mv := make([]scim.MultiValue, len(ids))
	for i, id := range ids {
		mv[i] = scim.MultiValue{Value: id}
	}
	return mv
}

func (s *scimkitServer) CreateGroup(g *GroupSpec, memberIDs []string) (string, error) {
	created, err := s.groups.Create(context.Background(), &scim.Group{
		ExternalID:  g.ExternalID,
		DisplayName: g.DisplayName,
		Members:     members(memberIDs),
	})
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func (s *scimkitServer) AddMembers(groupID string, memberIDs []string) error {
	ctx := context.Background()
	store := s.groups
	if mp, ok := store.(scim.MemberPatcher); ok {
		_, err := mp.PatchMembers(ctx, groupID, members(memberIDs), nil, "")
		return err
	}
	g, err := store.Get(ctx, groupID, scim.ReadOptions{})
	if err != nil {
		return err
	}
	g.Members = append(g.Members, members(memberIDs)...)
	_, err = store.Replace(ctx, g, "")
	return err
}
