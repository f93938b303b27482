package memstore

import (
	"github.com/scimkit/scim"
)

// memberList holds a group's members in the order they were added, indexed
// by value, so that adding or removing one member of a huge group is O(1)
// and never copies the others: the members live in chunks that are never
// reallocated (adding fills the last chunk, or starts a new one), and a
// removal leaves a dead slot. Once half the slots are dead, the list is
// compacted into one chunk, which costs O(n) once per n/2 removals.
type memberList struct {
	chunks [][]member
	idx    map[string]slot // foldKey(Value) -> slot of the live member
	slots  int             // live and dead slots in chunks
	dead   int
}

// member is one slot of a memberList: the member's value and, when it has
// more than a value, its other sub-attributes. Most members are a bare
// value or a value with type "User" or "Group", which share one extra, so a
// member costs 24 bytes rather than a whole MultiValue.
type member struct {
	value string
	x     *memberExtra // nil for a bare value; deadMember for a removed slot
}

type memberExtra struct {
	display, typ, ref string
	primary           bool
}

// Shared extras; never changed.
var (
	extraUser  = &memberExtra{typ: "User"}
	extraGroup = &memberExtra{typ: "Group"}
	deadMember = &memberExtra{}
)

func newMember(v scim.MultiValue) member {
	m := member{value: v.Value}
	switch {
	case v.Display == "" && v.Ref == "" && !v.Primary && v.Type == "":
	case v.Display == "" && v.Ref == "" && !v.Primary && v.Type == "User":
		m.x = extraUser
	case v.Display == "" && v.Ref == "" && !v.Primary && v.Type == "Group":
		m.x = extraGroup
	default:
		m.x = &memberExtra{display: v.Display, typ: internType(v.Type), ref: v.Ref, primary: v.Primary}
	}
	return m
}

func (m *member) dead() bool { return m.x == deadMember }

// multiValue returns the member as a read returns it.
func (m *member) multiValue() scim.MultiValue {
	if m.x == nil {
		return scim.MultiValue{Value: m.value}
	}
	return scim.MultiValue{Value: m.value, Display: m.x.display, Type: m.x.typ, Ref: m.x.ref, Primary: m.x.primary}
}

type slot struct{ chunk, off int32 }

// maxChunk bounds the chunks that adding creates, so that a chunk's unused
// tail wastes little; a list built or compacted at once is one chunk.
const maxChunk = 4096

func (l *memberList) at(s slot) *member { return &l.chunks[s.chunk][s.off] }

// size returns the number of members.
func (l *memberList) size() int { return l.slots - l.dead }

// set makes vs the members, dropping later duplicates of a value (compared
// case-insensitively, as filters compare member values).
func (l *memberList) set(vs []scim.MultiValue) {
	*l = memberList{}
	if len(vs) == 0 {
		return
	}
	l.chunks = [][]member{make([]member, 0, len(vs))}
	l.idx = make(map[string]slot, len(vs))
	for _, v := range vs {
		l.add(foldKey(v.Value), v)
	}
}

// add adds v, whose value has the given key, unless it is a member, and
// reports whether it did.
func (l *memberList) add(key string, v scim.MultiValue) bool {
	if _, ok := l.idx[key]; ok {
		return false
	}
	if l.idx == nil {
		l.idx = make(map[string]slot)
	}
	last := len(l.chunks) - 1
	if last < 0 || len(l.chunks[last]) == cap(l.chunks[last]) {
		l.chunks = append(l.chunks, make([]member, 0, min(max(l.slots/4, 8), maxChunk)))
		last++
	}
	l.chunks[last] = append(l.chunks[last], newMember(v))
	l.idx[key] = slot{int32(last), int32(len(l.chunks[last]) - 1)}
	l.slots++
	return true
}

// remove removes the member with the given key, if any, and reports
// whether it did.
func (l *memberList) remove(key string) bool {
	s, ok := l.idx[key]
	if !ok {
		return false
	}
	delete(l.idx, key)
	*l.at(s) = member{x: deadMember}
	l.dead++
	if l.dead >= 32 && l.dead*2 >= l.slots {
		l.compact()
	}
	return true
}

func (l *memberList) compact() {
	live := make([]member, 0, l.size())
	for _, c := range l.chunks {
		for _, m := range c {
			if !m.dead() {
				l.idx[foldKey(m.value)] = slot{0, int32(len(live))}
				live = append(live, m)
			}
		}
	}
	l.chunks, l.slots, l.dead = [][]member{live}, len(live), 0
	if len(live) == 0 {
		l.chunks = nil
	}
}

// has reports whether a member has the key.
func (l *memberList) has(key string) bool {
	_, ok := l.idx[key]
	return ok
}

// all returns a copy of the members, or nil if there are none.
func (l *memberList) all() []scim.MultiValue {
	if l.size() == 0 {
		return nil
	}
	out := make([]scim.MultiValue, 0, l.size())
	for _, c := range l.chunks {
		for _, m := range c {
			if !m.dead() {
				out = append(out, m.multiValue())
			}
		}
	}
	return out
}

// with returns the members whose keys are in keys.
func (l *memberList) with(keys []string) []scim.MultiValue {
	var out []scim.MultiValue
	for _, k := range keys {
		if s, ok := l.idx[k]; ok {
			out = append(out, l.at(s).multiValue())
		}
	}
	return out
}
