package scim

import (
	"context"
	"net/http"
	"sync"
)

// Users lent by memstore through internal/borrow: the handler encodes the
// stored users under the store's read lock instead of copies of them.

// userLender is what memstore's UserStore lends through internal/borrow:
// reads that hand the stored users themselves to a sink, under the store's
// read lock, instead of returning copies. The handler only encodes them
// there; it never changes them, keeps them, or calls the store from the
// sink.
type userLender interface {
	// LendUser calls sink.LentUser with the user with the given id and,
	// unless opts.SkipMembership is set, its groups; it returns an error
	// wrapping ErrNotFound, without calling the sink, if there is none.
	LendUser(ctx context.Context, id string, opts ReadOptions, sink userSink) error
	// LendUsers answers q as Store.List does: sink.LentPage gets the number
	// of matches and the number of users on the page, then sink.LentUser
	// gets every user of the page, in order, with its groups unless
	// q.SkipMembership is set.
	LendUsers(ctx context.Context, q *Query, sink userSink) error
}

// userSink receives lent users; memstore spells the same interface type.
type userSink = interface {
	LentPage(total, n int)
	LentUser(u *User, groups []MultiValue)
}

// lentEncoder is the userSink of the handler: it encodes one user (inm
// set or not) or a ListResponse. It is pooled, with its buffer.
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
}

var lentPool = sync.Pool{New: func() any { return &lentEncoder{lw: listWriter{b: make([]byte, 0, 4096)}} }}

func getLentEncoder(e encoder) *lentEncoder {
	s := lentPool.Get().(*lentEncoder)
	b := s.lw.b[:0]
	*s = lentEncoder{e: e, lw: listWriter{b: b}}
	return s
}

func (s *lentEncoder) release() {
	// Keep the buffer, drop everything that points into a request or a
	// store; a buffer grown by a huge response is not kept.
	b := s.lw.b[:0]
	if cap(b) > 1<<20 {
		b = make([]byte, 0, 4096)
	}
	*s = lentEncoder{lw: listWriter{b: b}}
	lentPool.Put(s)
}

func (s *lentEncoder) LentPage(total, n int) { s.lw.begin(total, n, s.start) }

func (s *lentEncoder) LentUser(u *User, groups []MultiValue) {
	if s.list {
		s.lw.next()
		s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
		return
	}
	s.version = u.Meta.Version
	if s.inm != "" && etagMatches(s.inm, s.version) {
		s.notModified = true
		return
	}
	s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
}

// getLent answers GET /Users/{id} as get does, encoding the user that
// h.userLender lends instead of a copy.
func (h *handler) getLent(w http.ResponseWriter, r *http.Request, p *projection, id string) {
	rt := h.userRT
	s := getLentEncoder(encoder{rt: rt, p: p, base: h.baseURL(r)})
	defer s.release()
	s.inm = header(r, "If-None-Match")
	if err := h.userLender.LendUser(r.Context(), id, ReadOptions{SkipMembership: !p.wantsMembership(rt)}, s); err != nil {
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
	if err := h.userLender.LendUsers(r.Context(), q, s); err != nil {
		h.writeError(w, r, err)
		return
	}
	s.lw.end()
	h.writeJSON(w, http.StatusOK, s.lw.b)
}
