package scim

import (
	"net/http"
	"strconv"
	"strings"
)

// searchRequest holds the parameters of a list request, from the query
// string (GET) or a SearchRequest body (POST .search, RFC 7644 §3.4.3).
type searchRequest struct {
	filter, sortBy, sortOrder string
	attributes, excluded      string
	startIndex, count         string
	startIndexSet, countSet   bool
}

func searchFromQuery(r *http.Request) *searchRequest {
	q := parseQueryArgs(r.URL.RawQuery)
	s := &searchRequest{
		filter:     q.vals[argFilter],
		sortBy:     q.vals[argSortBy],
		sortOrder:  q.vals[argSortOrder],
		attributes: q.vals[argAttributes],
		excluded:   q.vals[argExcludedAttributes],
		startIndex: q.vals[argStartIndex],
		count:      q.vals[argCount],
	}
	s.startIndexSet = s.startIndex != ""
	s.countSet = s.count != ""
	return s
}

// readSearch reads a SearchRequest body.
func (h *handler) readSearch(r *http.Request) (*searchRequest, error) {
	raw, err := h.readObject(r)
	if err != nil {
		return nil, err
	}
	s := &searchRequest{}
	for k, v := range raw {
		var err error
		switch strings.ToLower(k) {
		case "schemas":
			list, ok := v.([]any)
			found := false
			for _, x := range list {
				if u, ok := x.(string); ok && strings.EqualFold(u, SearchRequestSchema) {
					found = true
				}
			}
			if !ok || !found {
				return nil, errInvalidSyntax("\"schemas\" must name %s", SearchRequestSchema)
			}
		case "filter":
			s.filter, err = stringMember(k, v)
		case "sortby":
			s.sortBy, err = stringMember(k, v)
		case "sortorder":
			s.sortOrder, err = stringMember(k, v)
		case "attributes":
			s.attributes, err = listMember(k, v)
		case "excludedattributes":
			s.excluded, err = listMember(k, v)
		case "startindex":
			s.startIndex, s.startIndexSet = numberMember(v), v != nil
		case "count":
			s.count, s.countSet = numberMember(v), v != nil
		}
		if err != nil {
			return nil, err
		}
	}
	if _, ok := raw["schemas"]; !ok {
		found := false
		for k := range raw {
			found = found || strings.EqualFold(k, "schemas")
		}
		if !found {
			return nil, errInvalidSyntax("\"schemas\" must name %s", SearchRequestSchema)
		}
	}
	return s, nil
}

func stringMember(k string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errInvalidValue("%q must be a string", k)
	}
	return s, nil
}

// listMember accepts an array of attribute names, or a comma-separated
// string as in a query string.
func listMember(k string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", errInvalidValue("%q must be an array of attribute names", k)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", errInvalidValue("%q must be an array of attribute names", k)
}

func numberMember(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	if n, ok := toNumber(v); ok {
		return string(n)
	}
	return "not a number"
}

// query builds the store query for rt (RFC 7644 §3.4.2): the filter parsed
// and validated, sortBy resolved, and paging clamped as §3.4.2.4 says:
// startIndex below 1 means 1, a negative count means 0, and count is at
// most the configured maximum.
func (h *handler) query(rt *resourceType, s *searchRequest) (*Query, *projection, error) {
	q := &Query{StartIndex: 1, Count: h.cfg.maxResults}
	if s.startIndexSet {
		n, err := strconv.Atoi(strings.TrimSpace(s.startIndex))
		if err != nil {
			return nil, nil, errInvalidValue("startIndex must be an integer")
		}
		q.StartIndex = max(n, 1)
	}
	if s.countSet {
		n, err := strconv.Atoi(strings.TrimSpace(s.count))
		if err != nil {
			return nil, nil, errInvalidValue("count must be an integer")
		}
		q.Count = min(max(n, 0), h.cfg.maxResults)
	}
	if strings.TrimSpace(s.filter) != "" {
		f, err := rt.parseFilter(s.filter)
		if err != nil {
			return nil, nil, err
		}
		q.Filter = f
	}
	if s.sortBy != "" {
		path, err := rt.parseSortBy(s.sortBy)
		if err != nil {
			return nil, nil, err
		}
		q.SortBy = path
	}
	switch strings.ToLower(s.sortOrder) {
	case "", "ascending":
	case "descending":
		q.SortDescending = true
	default:
		return nil, nil, errInvalidValue("sortOrder must be \"ascending\" or \"descending\"")
	}
	p := rt.newProjection(s.attributes, s.excluded)
	q.SkipMembership = !p.wantsMembership(rt)
	return q, p, nil
}

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
	if rt == h.userRT && h.userLender != nil {
		h.listLent(w, r, q, p)
		return
	}
	page, err := store.List(r.Context(), q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	bp := bufPool.Get().(*[]byte)
	lw := listWriter{b: (*bp)[:0]}
	lw.begin(page.TotalResults, len(page.Resources), q.StartIndex)
	e := encoder{rt: rt, p: p, base: h.baseURL(r)}
	for _, res := range page.Resources {
		lw.next()
		lw.b = appendResource(&e, lw.b, res)
	}
	lw.end()
	h.writeJSON(w, http.StatusOK, lw.b)
	*bp = lw.b[:0]
	bufPool.Put(bp)
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

// listWriter writes a ListResponse.
type listWriter struct {
	b []byte
	n int
}

func (l *listWriter) begin(total, items, start int) {
	l.b = append(l.b, `{"schemas":["`+ListResponseSchema+`"],"totalResults":`...)
	l.b = strconv.AppendInt(l.b, int64(total), 10)
	l.b = append(l.b, `,"itemsPerPage":`...)
	l.b = strconv.AppendInt(l.b, int64(items), 10)
	l.b = append(l.b, `,"startIndex":`...)
	l.b = strconv.AppendInt(l.b, int64(start), 10)
	l.b = append(l.b, `,"Resources":[`...)
}

func (l *listWriter) next() {
	if l.n > 0 {
		l.b = append(l.b, ',')
	}
	l.n++
}

func (l *listWriter) end() { l.b = append(l.b, "]}"...) }

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
		if users, err = h.users.List(ctx, uq); err != nil {
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
		var err error
		if groups, err = h.groups.List(ctx, gq); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	base := h.baseURL(r)
	lw := listWriter{}
	lw.begin(users.TotalResults+groups.TotalResults, len(users.Resources)+len(groups.Resources), start)
	ue := encoder{rt: h.userRT, p: up, base: base}
	for _, u := range users.Resources {
		lw.next()
		lw.b = ue.appendUser(lw.b, u)
	}
	ge := encoder{rt: h.groupRT, p: gp, base: base}
	for _, g := range groups.Resources {
		lw.next()
		lw.b = ge.appendGroup(lw.b, g)
	}
	lw.end()
	h.writeJSON(w, http.StatusOK, lw.b)
}
