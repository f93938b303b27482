package memstore

import (
	"context"
	"strings"

	"github.com/scim2/filter-parser/v2"
	"github.com/scimkit/scim"
)

// A filter that no index answers is evaluated on every resource of the
// partition, which can take long: a costly filter (see scim.Filter.Cost)
// on thousands of groups of thousands of members. Holding the partition's
// read lock all that time would stall every write of the tenant, and with
// them, since a waiting writer holds back new readers, every read too. So
// a scan takes the records' pointers under the lock, then evaluates them in
// chunks, each under the read lock, releasing it in between so that waiting
// writers and readers get through, and stopping when the request's context
// is done. The page is then built, under the lock, from the matches that
// still exist. A list that runs alongside writes therefore sees each
// resource as it was at some moment of the scan, not all at one moment, as
// with a database at read-committed isolation.

// scanChunk bounds the records evaluated under one hold of the lock.
const scanChunk = 256

// scanChunkWork bounds the work done under one hold of the lock, in
// units of the filter's cost (scim.Filter.Cost) times the items a record
// holds (1, or a group's members when the filter tests all of them): a
// filter that tests 1,000 members with costly comparisons releases the lock
// after every group. A chunk holds at least one record.
const scanChunkWork = 1 << 16

// scanPaused, when set by a test, is called between two chunks of a scan,
// with no lock held.
var scanPaused func()

// prescan evaluates q's filter in chunks when no index answers it (which
// indexed tells from the filter alone, without the lock). It returns the
// matching records in creation order and true, or false when the filter is
// answered by an index (or absent) and the locked path evaluates it.
func prescan[T positioned](ctx context.Context, p *partition, q *scim.Query,
	indexed func() bool, all func() []T, live func(T) bool, weight func(T) int, ok func(T) bool) ([]T, bool, error) {
	if q.Filter == nil || indexed() {
		return nil, false, nil
	}
	p.mu.RLock()
	recs := all()
	p.mu.RUnlock()
	matched := recs[:0] // matches never outrun the records they came from
	cost := max(q.Filter.Cost(), 1)
	for len(recs) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, true, err
		}
		p.mu.RLock()
		n, w := 0, 0
		for n < len(recs) && n < scanChunk && w < scanChunkWork {
			r := recs[n]
			n++
			if !live(r) {
				continue
			}
			w += weight(r) * cost
			if ok(r) {
				matched = append(matched, r)
			}
		}
		p.mu.RUnlock()
		recs = recs[n:]
		if scanPaused != nil && len(recs) > 0 {
			scanPaused()
		}
	}
	return matched, true, nil
}

// allRecs returns the live records of o in order.
func allRecs[T positioned](o *order[T]) []T {
	recs := make([]T, 0, o.size())
	o.all(func(r T) bool { recs = append(recs, r); return true })
	return recs
}

// scanUsers is prescan for users.
func (p *partition) scanUsers(ctx context.Context, b *backend, q *scim.Query) ([]*userRec, bool, error) {
	match := p.userMatcher(queryFilter(q))
	recs, scanned, err := prescan(ctx, p, q,
		func() bool { return userIndexed(q.Filter.Expr) },
		func() []*userRec { return allRecs(&p.userOrder) },
		func(r *userRec) bool { return !r.gone },
		func(*userRec) int { return 1 },
		match.ok)
	if scanned {
		b.scans.Add(1)
	}
	return recs, scanned, err
}

// scanGroups is prescan for groups.
func (p *partition) scanGroups(ctx context.Context, b *backend, q *scim.Query) ([]*groupRec, bool, error) {
	match := groupMatcher(queryFilter(q))
	recs, scanned, err := prescan(ctx, p, q,
		func() bool { return groupIndexed(q.Filter.Expr) },
		func() []*groupRec { return allRecs(&p.groupOrder) },
		func(r *groupRec) bool { return !r.gone },
		func(r *groupRec) int {
			if match.members == membersAll {
				return 1 + r.members.size()
			}
			return 1
		},
		match.ok)
	if scanned {
		b.scans.Add(1)
	}
	return recs, scanned, err
}

func queryFilter(q *scim.Query) *scim.Filter {
	if q == nil {
		return nil
	}
	return q.Filter
}

// userIndexed reports whether userCandidates answers e from the indexes:
// the same decision, from the filter alone.
func userIndexed(e filter.Expression) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return combined(e, userIndexed)
	case *filter.AttributeExpression:
		name, _, ok := coreEq(e)
		return ok && e.AttributePath.SubAttribute == nil &&
			(strings.EqualFold(name, "id") || strings.EqualFold(name, "userName") || strings.EqualFold(name, "externalId"))
	}
	return false
}

// groupIndexed reports whether groupCandidates answers e from the indexes.
func groupIndexed(e filter.Expression) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return combined(e, groupIndexed)
	case *filter.ValuePath:
		_, ok := memberPathKeys(e)
		return ok
	case *filter.AttributeExpression:
		name, _, ok := coreEq(e)
		if !ok {
			return false
		}
		sub := e.AttributePath.SubAttribute
		if strings.EqualFold(name, "members") {
			return sub == nil || strings.EqualFold(*sub, "value")
		}
		return sub == nil &&
			(strings.EqualFold(name, "id") || strings.EqualFold(name, "displayName") || strings.EqualFold(name, "externalId"))
	}
	return false
}

// combined is combine's decision: an "or" is indexed when both sides are,
// an "and" when either is.
func combined(e *filter.LogicalExpression, indexed func(filter.Expression) bool) bool {
	if strings.EqualFold(string(e.Operator), string(filter.OR)) {
		return indexed(e.Left) && indexed(e.Right)
	}
	return indexed(e.Left) || indexed(e.Right)
}
