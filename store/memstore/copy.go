package memstore

import (
	"github.com/scimkit/scim"
)

// The store never shares memory that a caller can change: resources are
// deep-copied on the way in and on the way out. Strings are immutable and
// are shared; everything reached through a pointer, slice or map is copied.
// Empty slices and maps are stored as nil, so an unassigned list costs
// nothing.

// copyUserIn returns the stored form of u: a deep copy without Groups (which
// is derived from group membership on every read).
func copyUserIn(u *scim.User) scim.User {
	c := *u
	c.Groups = nil
	copyUserFields(&c, u)
	return c
}

// userBox holds a user as a read returns it together with what its
// pointers point to, so that a copy costs one allocation instead of one per
// pointer. Its inline values hold the multi-valued attributes (and Groups)
// of a typical user; a user with more gets them in one slice of their own.
type userBox struct {
	u      scim.User
	name   scim.Name
	ent    scim.EnterpriseUser
	mgr    scim.Manager
	active bool
	values [4]scim.MultiValue
}

// multiValues returns the number of values of u's multi-valued attributes
// of type MultiValue.
func multiValues(u *scim.User) int {
	return len(u.Emails) + len(u.PhoneNumbers) + len(u.IMs) + len(u.Photos) + len(u.Groups) +
		len(u.Entitlements) + len(u.Roles) + len(u.X509Certificates)
}

// valueSlab hands out slices of one backing array, each with its capacity
// cut to its length, so that appending to one never overwrites the next.
type valueSlab []scim.MultiValue

func (s *valueSlab) take(vs []scim.MultiValue) []scim.MultiValue {
	if len(vs) == 0 {
		return nil
	}
	n := len(*s)
	*s = append(*s, vs...)
	return (*s)[n:len(*s):len(*s)]
}

// fill makes b a deep copy of the stored user src, whose Groups are
// groups (which fill copies too), and returns it.
func (b *userBox) fill(src *scim.User, groups []scim.MultiValue) *scim.User {
	b.u = *src
	u := &b.u
	if src.Name != nil {
		b.name = *src.Name
		u.Name = &b.name
	}
	if src.Active != nil {
		b.active = *src.Active
		u.Active = &b.active
	}
	slab := valueSlab(b.values[:0])
	if n := multiValues(src) + len(groups); n > len(b.values) {
		slab = make(valueSlab, 0, n)
	}
	u.Emails = slab.take(src.Emails)
	u.PhoneNumbers = slab.take(src.PhoneNumbers)
	u.IMs = slab.take(src.IMs)
	u.Photos = slab.take(src.Photos)
	u.Groups = slab.take(groups)
	u.Entitlements = slab.take(src.Entitlements)
	u.Roles = slab.take(src.Roles)
	u.X509Certificates = slab.take(src.X509Certificates)
	if len(src.Addresses) > 0 {
		u.Addresses = append([]scim.Address(nil), src.Addresses...)
	}
	if src.Enterprise != nil {
		b.ent = *src.Enterprise
		if m := src.Enterprise.Manager; m != nil {
			b.mgr = *m
			b.ent.Manager = &b.mgr
		}
		u.Enterprise = &b.ent
	}
	u.Extensions = copyExtensions(src.Extensions)
	return u
}

// copyUserFields replaces every pointer, slice and map of dst, a shallow copy
// of src, by a copy.
func copyUserFields(dst, src *scim.User) {
	if src.Name != nil {
		n := *src.Name
		dst.Name = &n
	}
	if src.Active != nil {
		a := *src.Active
		dst.Active = &a
	}
	dst.Emails = copyValues(src.Emails)
	dst.PhoneNumbers = copyValues(src.PhoneNumbers)
	dst.IMs = copyValues(src.IMs)
	dst.Photos = copyValues(src.Photos)
	dst.Entitlements = copyValues(src.Entitlements)
	dst.Roles = copyValues(src.Roles)
	dst.X509Certificates = copyValues(src.X509Certificates)
	dst.Addresses = nil
	if len(src.Addresses) > 0 {
		dst.Addresses = make([]scim.Address, len(src.Addresses))
		for i, a := range src.Addresses {
			a.Type = internType(a.Type)
			dst.Addresses[i] = a
		}
	}
	if src.Enterprise != nil {
		e := *src.Enterprise
		if e.Manager != nil {
			m := *e.Manager
			e.Manager = &m
		}
		dst.Enterprise = &e
	}
	dst.Extensions = copyExtensions(src.Extensions)
}

// copyGroupIn returns the stored form of g: a deep copy without Members
// (which a group record keeps in its own indexed form).
func copyGroupIn(g *scim.Group) scim.Group {
	c := *g
	c.Members = nil
	c.Extensions = copyExtensions(g.Extensions)
	return c
}

func copyValues(vs []scim.MultiValue) []scim.MultiValue {
	if len(vs) == 0 {
		return nil
	}
	c := make([]scim.MultiValue, len(vs))
	for i, v := range vs {
		v.Type = internType(v.Type)
		c[i] = v
	}
	return c
}

func copyExtensions(x scim.Extensions) scim.Extensions {
	if len(x) == 0 {
		return nil
	}
	c := make(scim.Extensions, len(x))
	for urn, attrs := range x {
		c[urn] = copyObject(attrs)
	}
	return c
}

func copyObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = copyJSON(v)
	}
	return c
}

// copyJSON deep-copies a value as decoded from JSON. Scalars (string, bool,
// json.Number, float64, nil) are immutable and returned as they are.
func copyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyObject(v)
	case []any:
		if v == nil {
			return v
		}
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = copyJSON(e)
		}
		return c
	default:
		return v
	}
}

// internType returns the canonical "type" values of RFC 7643 as constants,
// so that the "work" of a million emails is one string, not a million.
func internType(s string) string {
	switch s {
	case "":
		return ""
	case "work":
		return "work"
	case "home":
		return "home"
	case "other":
		return "other"
	case "mobile":
		return "mobile"
	case "fax":
		return "fax"
	case "pager":
		return "pager"
	case "User":
		return "User"
	case "Group":
		return "Group"
	case "direct":
		return "direct"
	case "photo":
		return "photo"
	case "thumbnail":
		return "thumbnail"
	}
	return s
}
