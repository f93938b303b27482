package memstore

import (
	"math/bits"

	"github.com/scimkit/scim"
)

// foldKey returns the key of s in the case-insensitive indexes (userName,
// group displayName, member values): [scim.FoldKey], the rule the filter
// evaluator compares by, so that an index lookup, a uniqueness check and a
// filter always agree on which strings are equal.
func foldKey(s string) string { return scim.FoldKey(s) }

// multiIndex maps a key to the records that have it. Most keys (an
// externalId, a group name, the member value of a user in one group) have a
// single record, so that case costs one map entry and no slice.
type multiIndex[T comparable] struct {
	one  map[string]T
	more map[string][]T // the second and later records of a key
}

func newMultiIndex[T comparable]() multiIndex[T] {
	return multiIndex[T]{one: make(map[string]T), more: make(map[string][]T)}
}

func (m *multiIndex[T]) add(key string, v T) {
	if _, ok := m.one[key]; !ok {
		m.one[key] = v
		return
	}
	m.more[key] = append(m.more[key], v)
}

func (m *multiIndex[T]) remove(key string, v T) {
	first, ok := m.one[key]
	if !ok {
		return
	}
	rest := m.more[key]
	if first == v {
		if len(rest) == 0 {
			delete(m.one, key)
			return
		}
		m.one[key] = rest[0]
		rest = rest[1:]
	} else {
		i := indexOf(rest, v)
		if i < 0 {
			return
		}
		rest = append(rest[:i], rest[i+1:]...)
	}
	if len(rest) == 0 {
		delete(m.more, key)
	} else {
		m.more[key] = rest
	}
}

// get calls fn for each record with the key.
func (m *multiIndex[T]) get(key string, fn func(T)) {
	first, ok := m.one[key]
	if !ok {
		return
	}
	fn(first)
	for _, v := range m.more[key] {
		fn(v)
	}
}

// count returns the number of records with the key.
func (m *multiIndex[T]) count(key string) int {
	if _, ok := m.one[key]; !ok {
		return 0
	}
	return 1 + len(m.more[key])
}

func indexOf[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// positioned is a record that knows its slot in an order.
type positioned interface {
	comparable
	setPos(int)
}

// order keeps records in creation order for List's default order. Deleted
// records leave an empty slot (compacted once they are half of the slots),
// and a Fenwick tree over the live slots finds the n-th live record in
// O(log n), so a page costs O(log n + page) whatever its startIndex.
type order[T positioned] struct {
	slots []T
	tree  []int32 // 1-based Fenwick tree of live-slot counts; tree[0] unused
	holes int
}

// size returns the number of live records.
func (o *order[T]) size() int { return len(o.slots) - o.holes }

func (o *order[T]) push(v T) {
	if len(o.tree) == 0 {
		o.tree = append(o.tree, 0)
	}
	v.setPos(len(o.slots))
	o.slots = append(o.slots, v)
	// The new node i covers slots (i-lowbit(i), i]: this one plus the live
	// slots of the range before it.
	i := len(o.slots)
	o.tree = append(o.tree, int32(1+o.prefix(i-1)-o.prefix(i-(i&-i))))
}

func (o *order[T]) remove(pos int) {
	var zero T
	o.slots[pos] = zero
	o.holes++
	for i := pos + 1; i < len(o.tree); i += i & -i {
		o.tree[i]--
	}
	if o.holes >= 32 && o.holes*2 >= len(o.slots) {
		o.compact()
	}
}

// prefix returns the number of live slots among the first n.
func (o *order[T]) prefix(n int) int {
	s := 0
	for ; n > 0; n -= n & -n {
		s += int(o.tree[n])
	}
	return s
}

// nth returns the slot index of the k-th (1-based) live record, or
// len(slots) if there are fewer than k.
func (o *order[T]) nth(k int) int {
	if k > o.size() {
		return len(o.slots)
	}
	pos := 0
	for step := 1 << (bits.Len(uint(len(o.slots))) - 1); step > 0; step >>= 1 {
		if next := pos + step; next < len(o.tree) && int(o.tree[next]) < k {
			pos = next
			k -= int(o.tree[next])
		}
	}
	return pos
}

// page calls fn for at most count live records starting at the 1-based
// start, in order.
func (o *order[T]) page(start, count int, fn func(T)) {
	var zero T
	for i := o.nth(start); i < len(o.slots) && count > 0; i++ {
		if v := o.slots[i]; v != zero {
			fn(v)
			count--
		}
	}
}

// all calls fn for every live record in order, until fn returns false.
func (o *order[T]) all(fn func(T) bool) {
	var zero T
	for _, v := range o.slots {
		if v != zero && !fn(v) {
			return
		}
	}
}

func (o *order[T]) compact() {
	var zero T
	live := o.slots[:0]
	for _, v := range o.slots {
		if v != zero {
			v.setPos(len(live))
			live = append(live, v)
		}
	}
	clear(o.slots[len(live):])
	o.slots = live
	o.holes = 0
	// A full tree is built in O(n) by pushing each node's sum to its parent.
	o.tree = o.tree[:len(live)+1]
	for i := 1; i <= len(live); i++ {
		o.tree[i] = 1
	}
	for i := 1; i <= len(live); i++ {
		if p := i + i&-i; p <= len(live) {
			o.tree[p] += o.tree[i]
		}
	}
}

// removeAll removes every record with the key.
func (m *multiIndex[T]) removeAll(key string) {
	delete(m.one, key)
	delete(m.more, key)
}
