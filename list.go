package scim

import (
	"net/http"
)

// The list and search endpoints (RFC 7644 §3.4.2, §3.4.3): GET on a
// resource type or the root, and POST .search.

// list answers a list or search request with a ListResponse.
func list[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], s *searchRequest) {
	if s == nil {
		s = searchFromQuery(r)
	}
	q, p, err := h.query(rt, s)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if rt == h.userRT && h.userLender != nil && !q.nothing {
		h.listLent(w, r, q, p)
		return
	}
	if rt == h.groupRT && p.wantsMembership(rt) && !q.nothing && q.Count > 0 {
		h.listGroupsByMembers(w, r, q, p)
		return
	}
	page, err := listStore(r.Context(), store, q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	bp := bufPool.Get().(*[]byte)
	bs := &bodyStream{w: w, lw: listWriter{jsonWriter{b: (*bp)[:0]}}}
	bs.lw.begin(page.TotalResults, len(page.Resources), q.StartIndex)
	e := encoder{rt: rt, p: p, base: h.baseURL(r)}
	for _, res := range page.Resources {
		bs.lw.next()
		bs.lw.b = appendResource(&e, bs.lw.b, res)
		bs.maybeFlush()
	}
	bs.lw.end()
	bs.finish()
	*bp = bs.lw.b[:0]
	bufPool.Put(bp)
}

// rootList answers GET on the SCIM root (RFC 7644 §3.4.2.1).
func (h *handler) rootList(w http.ResponseWriter, r *http.Request) {
	h.searchAll(w, r, searchFromQuery(r))
}

// rootSearch answers POST /.search (RFC 7644 §3.4.3).
func (h *handler) rootSearch(w http.ResponseWriter, r *http.Request) {
	s, err := h.readSearch(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.searchAll(w, r, s)
}

// searchAll searches Users and then Groups as one result: a filter that
// only one resource type can evaluate selects from that type alone. Sorting
// applies within each type; Users come first.
func (h *handler) searchAll(w http.ResponseWriter, r *http.Request, s *searchRequest) {
	uq, up, uerr := h.query(h.userRT, s)
	gq, gp, gerr := h.query(h.groupRT, s)
	if uerr != nil && gerr != nil {
		h.writeError(w, r, uerr)
		return
	}
	ctx := r.Context()
	var users *Page[User]
	groups := &Page[Group]{}
	start, count := 1, 0
	if uerr == nil {
		start, count = uq.StartIndex, uq.Count
		var err error
		if users, err = listStore(ctx, h.users, uq); err != nil {
			h.writeError(w, r, err)
			return
		}
	} else {
		users = &Page[User]{}
	}
	if gerr == nil {
		start, count = gq.StartIndex, gq.Count
		// Continue the page into groups where the users ran out.
		if users.TotalResults >= start {
			gq.StartIndex = 1
			gq.Count = max(count-len(users.Resources), 0)
		} else {
			gq.StartIndex = start - users.TotalResults
		}
		if gp.wantsMembership(h.groupRT) {
			h.batchMembers(gq)
		}
		var err error
		if groups, err = listStore(ctx, h.groups, gq); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	base := h.baseURL(r)
	bs := &bodyStream{w: w}
	// itemsPerPage follows Resources: a group deleted while the page is
	// written is left out.
	bs.lw.beginOpen(users.TotalResults+groups.TotalResults, start)
	ue := encoder{rt: h.userRT, p: up, base: base}
	for _, u := range users.Resources {
		bs.lw.next()
		bs.lw.b = ue.appendUser(bs.lw.b, u)
		bs.maybeFlush()
	}
	ge := encoder{rt: h.groupRT, p: gp, base: base}
	if gerr == nil && gp.wantsMembership(h.groupRT) {
		// Members are read a batch of groups at a time; a root search is
		// bounded by count alone.
		gw := groupPageWriter{h: h, r: r, s: bs, e: ge, have: !gq.SkipMembership}
		if err := gw.write(groups.Resources); err != nil {
			bs.fail(h, r, err)
			return
		}
		bs.lw.endItems(len(users.Resources) + gw.items)
	} else {
		for _, g := range groups.Resources {
			bs.lw.next()
			bs.lw.b = ge.appendGroup(bs.lw.b, g)
			bs.maybeFlush()
		}
		bs.lw.endItems(len(users.Resources) + len(groups.Resources))
	}
	bs.finish()
}
