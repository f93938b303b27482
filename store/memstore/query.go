package memstore

import (
	"slices"
	"strings"

	"github.com/scim2/filter-parser/v2"
	"github.com/scimkit/scim"
)

// Lists run in three ways. Without a filter or sort, the creation order
// index yields the page directly. With a filter that an index can answer
// (an equality on an indexed attribute, possibly inside "and" or "or"), the
// index yields a small superset of the matches, which scim.Match then
// checks, so results never differ from the evaluator's. Anything else is a
// scan with scim.Match. A sort is left to scim.ApplyQuery over the matches,
// which keeps its semantics (caseExact, missing values last) in one place.

// listUsers answers q; p must be read-locked. pre and prescanned are
// what scanUsers returned.
func (p *partition) listUsers(b *backend, q *scim.Query, pre []*userRec, prescanned bool) *scim.Page[scim.User] {
	total, recs := p.selectUsers(b, q, pre, prescanned)
	return &scim.Page[scim.User]{TotalResults: total, Resources: p.usersOut(recs, q.ReadOptions)}
}

// selectUsers returns the number of users that match q and the records of
// the page that q selects; p must be read-locked. If prescanned, pre holds
// the users that match q's filter, found by scanUsers.
func (p *partition) selectUsers(b *backend, q *scim.Query, pre []*userRec, prescanned bool) (int, []*userRec) {
	start, count := max(q.StartIndex, 1), max(q.Count, 0)
	if q.Filter == nil && q.SortBy == "" {
		total := p.userOrder.size()
		recs := make([]*userRec, 0, min(count, total))
		p.userOrder.page(start, count, func(r *userRec) { recs = append(recs, r) })
		return total, recs
	}
	match := p.userMatcher(q.Filter)
	var cands []*userRec
	indexed := false
	if prescanned {
		// The matches of the scan that still exist; each was tested when
		// it was scanned.
		cands, indexed = liveRecs(pre, func(r *userRec) bool { return !r.gone }), true
		match = p.userMatcher(nil)
	} else if q.Filter != nil {
		if cands, indexed = p.userCandidates(q.Filter.Expr); indexed {
			cands = inOrder(cands, func(r *userRec) int { return r.pos })
		} else {
			b.scans.Add(1)
		}
	}
	if q.SortBy == "" && indexed {
		// The page is a subset of the candidates, kept in their slice.
		total := 0
		recs := cands[:0]
		for _, r := range cands {
			if match.ok(r) {
				total++
				if total >= start && len(recs) < count {
					recs = append(recs, r)
				}
			}
		}
		return total, recs
	}
	if q.SortBy == "" {
		total := 0
		var recs []*userRec
		forEach(&p.userOrder, cands, indexed, func(r *userRec) {
			if match.ok(r) {
				total++
				if total >= start && len(recs) < count {
					recs = append(recs, r)
				}
			}
		})
		return total, recs
	}
	// A stored user has no Groups; sorting by groups.value needs them.
	withGroups := isSubOf(q.SortBy, "groups")
	var matched []*scim.User
	forEach(&p.userOrder, cands, indexed, func(r *userRec) {
		if match.ok(r) {
			u := &r.u
			if withGroups {
				v := r.u
				v.Groups = p.groupsOf(v.ID)
				u = &v
			}
			matched = append(matched, u)
		}
	})
	sorted := scim.ApplyQuery(matched, &scim.Query{SortBy: q.SortBy, SortDescending: q.SortDescending, StartIndex: start, Count: count})
	recs := make([]*userRec, len(sorted.Resources))
	for i, u := range sorted.Resources {
		recs[i] = p.users[u.ID]
	}
	return sorted.TotalResults, recs
}

// listGroups answers q; p must be read-locked. pre and prescanned are
// what scanGroups returned.
func (p *partition) listGroups(b *backend, q *scim.Query, pre []*groupRec, prescanned bool) *scim.Page[scim.Group] {
	start, count := max(q.StartIndex, 1), max(q.Count, 0)
	if q.Filter == nil && q.SortBy == "" {
		total := p.groupOrder.size()
		page := &scim.Page[scim.Group]{TotalResults: total, Resources: make([]*scim.Group, 0, min(count, total))}
		p.groupOrder.page(start, count, func(r *groupRec) {
			page.Resources = append(page.Resources, groupOut(r, q.ReadOptions))
		})
		return page
	}
	match := groupMatcher(q.Filter)
	var cands []*groupRec
	indexed := false
	if prescanned {
		cands, indexed = liveRecs(pre, func(r *groupRec) bool { return !r.gone }), true
		match = groupMatcher(nil)
	} else if q.Filter != nil {
		if cands, indexed = p.groupCandidates(q.Filter.Expr); indexed {
			cands = inOrder(cands, func(r *groupRec) int { return r.pos })
		} else {
			b.scans.Add(1)
		}
	}
	if q.SortBy == "" {
		page := &scim.Page[scim.Group]{Resources: []*scim.Group{}}
		forEach(&p.groupOrder, cands, indexed, func(r *groupRec) {
			if match.ok(r) {
				page.TotalResults++
				if page.TotalResults >= start && len(page.Resources) < count {
					page.Resources = append(page.Resources, groupOut(r, q.ReadOptions))
				}
			}
		})
		return page
	}
	// A stored group has no Members; sorting by members.value needs them.
	withMembers := isSubOf(q.SortBy, "members")
	var matched []*scim.Group
	forEach(&p.groupOrder, cands, indexed, func(r *groupRec) {
		if match.ok(r) {
			g := &r.g
			if withMembers {
				v := r.g
				v.Members = r.members.all()
				g = &v
			}
			matched = append(matched, g)
		}
	})
	sorted := scim.ApplyQuery(matched, &scim.Query{SortBy: q.SortBy, SortDescending: q.SortDescending, StartIndex: start, Count: count})
	page := &scim.Page[scim.Group]{TotalResults: sorted.TotalResults, Resources: make([]*scim.Group, 0, len(sorted.Resources))}
	for _, g := range sorted.Resources {
		page.Resources = append(page.Resources, groupOut(p.groups[g.ID], q.ReadOptions))
	}
	return page
}

// liveRecs returns the records of rs that are still stored, in rs's slice.
func liveRecs[T any](rs []T, live func(T) bool) []T {
	out := rs[:0]
	for _, r := range rs {
		if live(r) {
			out = append(out, r)
		}
	}
	return out
}

// inOrder returns rs in creation order, without duplicates.
func inOrder[T comparable](rs []T, pos func(T) int) []T {
	if len(rs) < 2 {
		return rs
	}
	slices.SortFunc(rs, func(a, b T) int { return pos(a) - pos(b) })
	return slices.Compact(rs)
}

// forEach calls fn for each candidate if indexed, else for every record
// of o, in order.
func forEach[T positioned](o *order[T], cands []T, indexed bool, fn func(T)) {
	if indexed {
		for _, r := range cands {
			fn(r)
		}
		return
	}
	o.all(func(r T) bool { fn(r); return true })
}

// userMatch tests stored users against a filter. A stored user has no
// Groups, so a filter on groups sees a copy that has them.
type userMatch struct {
	p      *partition
	f      *scim.Filter
	groups bool
}

func (p *partition) userMatcher(f *scim.Filter) userMatch {
	return userMatch{p: p, f: f, groups: f != nil && refersTo(f.Expr, "groups")}
}

func (m userMatch) ok(r *userRec) bool {
	switch {
	case m.f == nil:
		return true
	case m.groups:
		v := r.u
		v.Groups = m.p.groupsOf(v.ID)
		return scim.Match(m.f, &v)
	default:
		return scim.Match(m.f, &r.u)
	}
}

// groupMatch tests stored groups against a filter. A stored group has no
// Members. When the filter tests membership only by equality on member
// values, which is how identity providers ask ("id eq … and members eq
// …"), the group is tested with just the members that the filter names:
// the result is the same as with all of them, without copying a list of
// 100,000. Other filters on members see a copy with all of them.
type groupMatch struct {
	f       *scim.Filter
	members int // membersNone, membersNamed or membersAll
	keys    []string
}

const (
	membersNone = iota
	membersNamed
	membersAll
)

func groupMatcher(f *scim.Filter) groupMatch {
	if f == nil {
		return groupMatch{}
	}
	keys, refers, exact := memberKeys(f.Expr)
	switch {
	case !refers:
		return groupMatch{f: f, members: membersNone}
	case exact:
		return groupMatch{f: f, members: membersNamed, keys: keys}
	default:
		return groupMatch{f: f, members: membersAll}
	}
}

func (m groupMatch) ok(r *groupRec) bool {
	if m.f == nil {
		return true
	}
	if m.members == membersNone {
		return scim.Match(m.f, &r.g)
	}
	v := r.g
	if m.members == membersNamed {
		v.Members = r.members.with(m.keys)
	} else {
		v.Members = r.members.all()
	}
	return scim.Match(m.f, &v)
}

// userCandidates returns a superset of the users that e matches, from the
// indexes, or false if no index applies.
func (p *partition) userCandidates(e filter.Expression) ([]*userRec, bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return combine(e, p.userCandidates)
	case *filter.AttributeExpression:
		name, v, ok := coreEq(e)
		if !ok || e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		var rs []*userRec
		switch {
		case strings.EqualFold(name, "id"):
			if r := p.users[v]; r != nil {
				rs = append(rs, r)
			}
		case strings.EqualFold(name, "userName"):
			if r := p.userNames[foldKey(v)]; r != nil {
				rs = append(rs, r)
			}
		case strings.EqualFold(name, "externalId"):
			p.userExt.get(v, func(r *userRec) { rs = append(rs, r) })
		default:
			return nil, false
		}
		return rs, true
	}
	return nil, false
}

// groupCandidates returns a superset of the groups that e matches, from the
// indexes, or false if no index applies.
func (p *partition) groupCandidates(e filter.Expression) ([]*groupRec, bool) {
	var rs []*groupRec
	add := func(r *groupRec) { rs = append(rs, r) }
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return combine(e, p.groupCandidates)
	case *filter.ValuePath:
		keys, ok := memberPathKeys(e)
		if !ok {
			return nil, false
		}
		for _, k := range keys {
			rs = p.appendGroupRecs(rs, k)
		}
		return rs, true
	case *filter.AttributeExpression:
		name, v, ok := coreEq(e)
		if !ok {
			return nil, false
		}
		if strings.EqualFold(name, "members") {
			if sub := e.AttributePath.SubAttribute; sub != nil && !strings.EqualFold(*sub, "value") {
				return nil, false
			}
			rs = p.appendGroupRecs(rs, foldKey(v))
			return rs, true
		}
		if e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		switch {
		case strings.EqualFold(name, "id"):
			if r := p.groups[v]; r != nil {
				rs = append(rs, r)
			}
		case strings.EqualFold(name, "displayName"):
			p.groupNames.get(foldKey(v), add)
		case strings.EqualFold(name, "externalId"):
			p.groupExt.get(v, add)
		default:
			return nil, false
		}
		return rs, true
	}
	return nil, false
}

// combine returns the candidates of an "and" (those of the smaller indexed
// side) or an "or" (those of both sides, if both are indexed).
func combine[T any](e *filter.LogicalExpression, cands func(filter.Expression) ([]T, bool)) ([]T, bool) {
	l, lok := cands(e.Left)
	if strings.EqualFold(string(e.Operator), string(filter.OR)) {
		if !lok {
			return nil, false
		}
		r, rok := cands(e.Right)
		if !rok {
			return nil, false
		}
		return append(l, r...), true
	}
	// "id eq … and members eq …": one candidate is as good as it gets, so
	// the other side (all the groups of a user) is not looked up.
	if lok && len(l) <= 1 {
		return l, true
	}
	r, rok := cands(e.Right)
	switch {
	case lok && rok:
		if len(r) < len(l) {
			return r, true
		}
		return l, true
	case lok:
		return l, true
	case rok:
		return r, true
	}
	return nil, false
}

// coreEq reports whether e is an equality with a non-empty string on an
// attribute of the core schema, and returns the attribute name and string.
// An empty string is left to the evaluator, because the indexes do not
// hold unassigned values.
func coreEq(e *filter.AttributeExpression) (name, value string, ok bool) {
	if !strings.EqualFold(string(e.Operator), string(filter.EQ)) {
		return "", "", false
	}
	if uri := e.AttributePath.URIPrefix; uri != nil && !strings.EqualFold(*uri, scim.UserSchema) && !strings.EqualFold(*uri, scim.GroupSchema) {
		return "", "", false
	}
	v, ok := e.CompareValue.(string)
	if !ok || v == "" {
		return "", "", false
	}
	return e.AttributePath.AttributeName, v, true
}

// isSubOf reports whether the sort path names the core attribute name or
// one of its sub-attributes.
func isSubOf(path, name string) bool {
	attr, _, _ := strings.Cut(path, ".")
	return strings.EqualFold(attr, name)
}

// refersTo reports whether e tests the core attribute name.
func refersTo(e filter.Expression, name string) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return refersTo(e.Left, name) || refersTo(e.Right, name)
	case *filter.NotExpression:
		return refersTo(e.Expression, name)
	case *filter.ValuePath:
		return isCore(&e.AttributePath, name)
	case *filter.AttributeExpression:
		return isCore(&e.AttributePath, name)
	}
	return false
}

func isCore(p *filter.AttributePath, name string) bool {
	if uri := p.URIPrefix; uri != nil && !strings.EqualFold(*uri, scim.UserSchema) && !strings.EqualFold(*uri, scim.GroupSchema) {
		return false
	}
	return strings.EqualFold(p.AttributeName, name)
}

// memberKeys reports whether e tests group members and, if it does so only
// through equalities on member values (members eq "v", members.value eq
// "v", members[value eq "v" and …]), returns the keys of those values:
// then the outcome of e on a group depends only on its members with those
// keys.
func memberKeys(e filter.Expression) (keys []string, refers, exact bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		lk, lr, le := memberKeys(e.Left)
		rk, rr, re := memberKeys(e.Right)
		return append(lk, rk...), lr || rr, (!lr || le) && (!rr || re)
	case *filter.NotExpression:
		return memberKeys(e.Expression)
	case *filter.ValuePath:
		if !isCore(&e.AttributePath, "members") {
			return nil, false, false
		}
		keys, ok := memberPathKeys(e)
		return keys, true, ok
	case *filter.AttributeExpression:
		if !isCore(&e.AttributePath, "members") {
			return nil, false, false
		}
		if sub := e.AttributePath.SubAttribute; sub != nil && !strings.EqualFold(*sub, "value") {
			return nil, true, false
		}
		// "ne" on members holds when no member has the value, which also
		// depends only on the members with that value.
		if v, ok := e.CompareValue.(string); ok && v != "" &&
			(e.Operator == filter.EQ || e.Operator == filter.NE) {
			return []string{foldKey(v)}, true, true
		}
		return nil, true, false
	}
	return nil, false, false
}

// memberPathKeys returns the keys of the member values that a
// members[…] value path requires (one of them, in every match), or false
// if it can match a member whatever its value.
func memberPathKeys(e *filter.ValuePath) ([]string, bool) {
	if !isCore(&e.AttributePath, "members") {
		return nil, false
	}
	return requiredValues(e.ValueFilter)
}

func requiredValues(e filter.Expression) ([]string, bool) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, lok := requiredValues(e.Left)
		r, rok := requiredValues(e.Right)
		if strings.EqualFold(string(e.Operator), string(filter.OR)) {
			return append(l, r...), lok && rok
		}
		if lok {
			return l, true
		}
		return r, rok
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil ||
			!strings.EqualFold(e.AttributePath.AttributeName, "value") ||
			!strings.EqualFold(string(e.Operator), string(filter.EQ)) {
			return nil, false
		}
		if v, ok := e.CompareValue.(string); ok && v != "" {
			return []string{foldKey(v)}, true
		}
	}
	return nil, false
}
