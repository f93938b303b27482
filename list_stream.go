package scim

import (
	"net/http"
	"strings"
)

// List responses are streamed: the body is written in pieces of about
// streamFlushAt bytes as resources are encoded, instead of being built
// whole in memory (a page of 100 groups of 5,000 members is 77 MB of JSON).
// A page of groups that shows members is read a few groups at a time: the
// handler lists the page's groups without members, then reads them with
// their members in batches of about readBatchMembers members and writes
// them, so that memory holds one batch, not the page. With
// WithMaxPageMembers, the page is also cut short once it carries that many
// members, saying so in itemsPerPage; the client pages on from startIndex
// + itemsPerPage, as RFC 7644 §3.4.2.4 lets a service provider return fewer
// results than asked.

// streamFlushAt is the size at which a streamed body is written out.
const streamFlushAt = 32 << 10

// memberBatch is the largest number of groups read with their members at
// once.
const memberBatch = 10

// readBatchMembers is the number of members a batch of groups read at once
// aims at, judged by the groups read so far.
const readBatchMembers = 10000

// WithMaxPageMembers bounds the members that one page of a group list
// carries: once the groups written carry n members or more, the page ends
// there, with itemsPerPage giving the number of groups it holds (fewer
// than count), and the client asks for the next page from startIndex +
// itemsPerPage. A page holds at least one group, however large. The bound
// applies only when the response shows members (not with
// excludedAttributes=members, as Entra ID asks).
//
// By default pages are not bounded by members, because Okta's import asks
// for the next page at startIndex + count rather than + itemsPerPage, and
// would skip the groups a shorter page left out; set it for clients that
// page by itemsPerPage. Either way the response is streamed and its groups
// read a few at a time, so the server's memory holds a batch of groups,
// not the page. A non-positive n keeps the bound as it was.
func WithMaxPageMembers(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxPageMembers = n
		}
	}
}

// bodyStream writes a 200 response body in pieces. Until the first piece
// is written, nothing is sent, so a small body goes out at once with its
// Content-Length, and an error can still be answered as usual.
type bodyStream struct {
	w       http.ResponseWriter
	lw      listWriter
	started bool
}

// maybeFlush writes the body so far once it is large.
func (s *bodyStream) maybeFlush() {
	if len(s.lw.b) >= streamFlushAt {
		s.flush()
	}
}

func (s *bodyStream) flush() {
	if !s.started {
		s.w.Header().Set("Content-Type", scimContentType)
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	_, _ = s.w.Write(s.lw.b)
	s.lw.b = s.lw.b[:0]
}

// finish writes the rest of the body.
func (s *bodyStream) finish() {
	if !s.started {
		writeBody(s.w, http.StatusOK, s.lw.b, "")
		return
	}
	s.flush()
}

// fail answers err, or, once part of the body is sent, breaks the
// connection so that the client sees a truncated response rather than a
// complete-looking wrong one.
func (s *bodyStream) fail(h *handler, r *http.Request, err error) {
	if !s.started {
		h.writeError(s.w, r, err)
		return
	}
	if e, internal := toError(err); internal {
		h.cfg.logger.ErrorContext(r.Context(), "scim: list failed while streaming", "path", r.URL.Path, "error", e.err)
	}
	panic(http.ErrAbortHandler)
}

// listGroupsByMembers answers a group list that shows members: the page's
// groups are listed without members, then read with them a batch at a time
// and written, until the page ends or carries maxPageMembers members.
func (h *handler) listGroupsByMembers(w http.ResponseWriter, r *http.Request, q *Query, p *projection) {
	lq := *q
	h.batchMembers(&lq)
	page, err := listStore(r.Context(), h.groups, &lq)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	bp := bufPool.Get().(*[]byte)
	s := &bodyStream{w: w, lw: listWriter{jsonWriter{b: (*bp)[:0]}}}
	defer func() {
		*bp = s.lw.b[:0]
		bufPool.Put(bp)
	}()
	// itemsPerPage is known only at the end, so it follows Resources.
	s.lw.beginOpen(page.TotalResults, q.StartIndex)
	gw := groupPageWriter{h: h, r: r, s: s, e: encoder{rt: h.groupRT, p: p, base: h.baseURL(r)},
		have: !lq.SkipMembership, bound: h.cfg.maxPageMembers}
	if err := gw.write(page.Resources); err != nil {
		s.fail(h, r, err)
		return
	}
	s.lw.endItems(gw.items)
	s.finish()
}

// batchMembers makes q list groups without their members, to be read in
// batches by groupPageWriter, unless its filter or sort needs them.
func (h *handler) batchMembers(q *Query) {
	sortAttr, _, _ := strings.Cut(q.SortBy, ".")
	q.SkipMembership = !q.Filter.References(h.groupRT.membership()) && !strings.EqualFold(sortAttr, "members")
}

// groupPageWriter writes the groups of a page with their members, read a
// batch at a time, counting what it wrote.
type groupPageWriter struct {
	h     *handler
	r     *http.Request
	s     *bodyStream
	e     encoder
	have  bool // the groups listed already hold their members
	bound int  // maxPageMembers, or 0 for none

	items, members int
}

func (gw *groupPageWriter) full() bool {
	return gw.bound > 0 && gw.items > 0 && gw.members >= gw.bound
}

// write writes groups until they run out or the page is full.
func (gw *groupPageWriter) write(groups []*Group) error {
	rest := groups
	for len(rest) > 0 && !gw.full() {
		// Read as many groups as a batch (or the page's bound) seems to
		// leave room for, judged by the groups so far: two to begin with.
		n := 2
		if gw.items > 0 {
			room := readBatchMembers
			if gw.bound > 0 {
				room = min(room, gw.bound-gw.members)
			}
			n = min(max(room/max(gw.members/gw.items, 1)+1, 1), memberBatch)
		}
		batch := rest[:min(n, len(rest))]
		rest = rest[len(batch):]
		byID, err := gw.h.groupsWithMembers(gw.r, batch, gw.have)
		if err != nil {
			return err
		}
		for _, g := range batch {
			if gw.full() {
				break
			}
			fg := byID[g.ID]
			if fg == nil {
				continue // deleted since the page was listed
			}
			gw.s.lw.next()
			gw.s.lw.b = gw.e.appendGroup(gw.s.lw.b, fg)
			gw.items++
			gw.members += len(fg.Members)
			gw.s.maybeFlush()
		}
	}
	return nil
}

// groupsWithMembers reads the groups of batch with their members, by id;
// if have, batch already holds them.
func (h *handler) groupsWithMembers(r *http.Request, batch []*Group, have bool) (map[string]*Group, error) {
	if have {
		byID := make(map[string]*Group, len(batch))
		for _, g := range batch {
			byID[g.ID] = g
		}
		return byID, nil
	}
	var b strings.Builder
	for i, g := range batch {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("id eq ")
		b.Write(appendString(nil, g.ID))
	}
	f, err := h.groupRT.parseFilter(b.String())
	if err != nil {
		return nil, err
	}
	page, err := h.groups.List(r.Context(), &Query{Filter: f, StartIndex: 1, Count: len(batch)})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Group, len(page.Resources))
	for _, g := range page.Resources {
		byID[g.ID] = g
	}
	return byID, nil
}

// beginOpen begins a ListResponse whose itemsPerPage endItems writes.
func (l *listWriter) beginOpen(total, start int) {
	l.open('{')
	l.name(`,"schemas":`)
	l.raw(`["` + ListResponseSchema + `"]`)
	l.name(`,"totalResults":`)
	l.integer(total)
	l.name(`,"startIndex":`)
	l.integer(start)
	l.name(`,"Resources":`)
	l.open('[')
}

// endItems ends a ListResponse begun with beginOpen.
func (l *listWriter) endItems(items int) {
	l.close(']')
	l.name(`,"itemsPerPage":`)
	l.integer(items)
	l.close('}')
}
