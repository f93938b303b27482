package scim

// ApplyQuery filters, sorts and pages all as q says, for a store that
// cannot do so itself. It does not modify all, and skips nil entries.
//
// Resources that match q.Filter (see [Match]) are sorted by q.SortBy as
// [SortResources] does (ties, and an empty SortBy, keep the order of all,
// which the caller should make stable, for example by id), and the page
// holds at most q.Count of them from the 1-based q.StartIndex. A StartIndex
// below 1 counts as 1; a Count of 0 (or below) gives a page with no
// resources whose TotalResults still counts every match. A nil q selects
// every resource. Page.Resources is never nil.
func ApplyQuery[R Resource](all []*R, q *Query) *Page[R] {
	if q == nil {
		q = &Query{StartIndex: 1, Count: len(all)}
	}
	start := max(q.StartIndex, 1) - 1
	count := max(q.Count, 0)
	page := &Page[R]{Resources: []*R{}}
	if q.SortBy == "" {
		// Without sorting, only the page needs keeping.
		for _, r := range all {
			if r == nil || !Match(q.Filter, r) {
				continue
			}
			if page.TotalResults >= start && len(page.Resources) < count {
				page.Resources = append(page.Resources, r)
			}
			page.TotalResults++
		}
		return page
	}
	var matched []*R
	for _, r := range all {
		if r != nil && Match(q.Filter, r) {
			matched = append(matched, r)
		}
	}
	rt := defaultResourceType[R]()
	if q.Filter != nil && q.Filter.rt != nil {
		rt = q.Filter.rt
	}
	sortResources(rt, matched, q.SortBy, q.SortDescending)
	page.TotalResults = len(matched)
	if start < len(matched) {
		n := min(count, len(matched)-start)
		page.Resources = append(page.Resources, matched[start:start+n]...)
	}
	return page
}
