package scim

import (
	"errors"
	"net/http"
	"sync"
)

// Reading users from a UserLender: the handler encodes each user the store
// lends as it gets it, instead of reading copies through Store.Get and
// Store.List.

// lentEncoder is the handler's UserSink: it encodes one user (GET, with or
// without If-None-Match) or a ListResponse. It is pooled, with its buffer.
type lentEncoder struct {
	e    encoder
	lw   listWriter
	list bool
	// start is the ListResponse's startIndex.
	start int
	// inm is the If-None-Match header of a GET; notModified reports that
	// it matched version, the user's version.
	inm         string
	version     string
	notModified bool
	// pages and users count the sink's calls, and announced is the page
	// size LentPage gave, so that a lender that breaks its contract gets
	// a 500 rather than sending a client malformed JSON.
	pages, users, announced int
}

// errLenderContract is the internal error of a UserLender that called its
// sink other than as UserLender says.
var errLenderContract = errors.New("scim: the UserLender called its sink other than as UserLender documents")

var lentPool = sync.Pool{New: func() any { return &lentEncoder{lw: listWriter{jsonWriter{b: make([]byte, 0, 4096)}}} }}

func getLentEncoder(e encoder) *lentEncoder {
	s := lentPool.Get().(*lentEncoder)
	b := s.lw.b[:0]
	*s = lentEncoder{e: e, lw: listWriter{jsonWriter{b: b}}}
	return s
}

func (s *lentEncoder) release() {
	// Keep the buffer, drop everything that points into a request or a
	// store; a buffer grown by a huge response is not kept.
	b := s.lw.b[:0]
	if cap(b) > 1<<20 {
		b = make([]byte, 0, 4096)
	}
	*s = lentEncoder{lw: listWriter{jsonWriter{b: b}}}
	lentPool.Put(s)
}

// LentPage implements UserSink.
func (s *lentEncoder) LentPage(total, n int) {
	s.pages++
	if s.list && s.pages == 1 {
		s.announced = n
		s.lw.begin(total, n, s.start)
	}
}

// LentUser implements UserSink.
func (s *lentEncoder) LentUser(u *User, groups []MultiValue) {
	s.users++
	if s.list {
		if s.pages == 1 && s.users <= s.announced {
			s.lw.next()
			s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
		}
		return
	}
	if s.users > 1 {
		return
	}
	s.version = u.Meta.Version
	if s.inm != "" && etagMatches(s.inm, s.version) {
		s.notModified = true
		return
	}
	s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
}

// broken reports whether the lender called the sink other than as
// UserLender says, once it has returned without an error.
func (s *lentEncoder) broken() bool {
	if s.list {
		return s.pages != 1 || s.users != s.announced
	}
	return s.pages != 0 || s.users != 1
}

// getLent answers GET /Users/{id} as get does, encoding the user that
// h.userLender lends instead of a copy.
func (h *handler) getLent(w http.ResponseWriter, r *http.Request, p *projection, id string) {
	rt := h.userRT
	s := getLentEncoder(encoder{rt: rt, p: p, base: h.baseURL(r)})
	defer s.release()
	s.inm = header(r, "If-None-Match")
	err := h.userLender.LendUser(r.Context(), id, ReadOptions{SkipMembership: !p.wantsMembership(rt)}, s)
	if err == nil && s.broken() {
		err = errLenderContract
	}
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if s.notModified {
		w.Header().Set("ETag", s.version)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, http.StatusOK, s.lw.b, s.version)
}

// listLent answers a list of users as list does, encoding the users that
// h.userLender lends instead of copies.
func (h *handler) listLent(w http.ResponseWriter, r *http.Request, q *Query, p *projection) {
	s := getLentEncoder(encoder{rt: h.userRT, p: p, base: h.baseURL(r)})
	defer s.release()
	s.list, s.start = true, q.StartIndex
	err := h.userLender.LendUsers(r.Context(), q, s)
	if err == nil && s.broken() {
		err = errLenderContract
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	s.lw.end()
	h.writeJSON(w, http.StatusOK, s.lw.b)
}
