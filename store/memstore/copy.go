package memstore

import (
	"github.com/scimkit/scim"
)

// The store never shares memory that a caller can change: resources are
// deep-copied on the way in and on the way out. Strings are immutable and
// are shared; everything reached through a pointer, slice or map is copied.
// Empty slices and maps are stored as nil, so an unassigned list costs
// nothing.

// set makes r hold a deep copy of u without Groups (which is derived from
// group membership on every read), keeping ID and Meta as r has them.
func (r *userRec) set(u *scim.User) {
	id, meta := r.u.ID, r.u.Meta
	in := &r.in
	*in = userInline{}
	r.u = *u
	r.u.ID, r.u.Meta, r.u.Groups = id, meta, nil
	if u.Name != nil {
		in.name = *u.Name
		r.u.Name = &in.name
	}
	if u.Active != nil {
		in.active = *u.Active
		r.u.Active = &in.active
	}
	if n := len(u.Emails); n > 0 && n <= len(in.emails) {
		for i, v := range u.Emails {
			v.Type = internType(v.Type)
			in.emails[i] = v
		}
		r.u.Emails = in.emails[:n:n]
	} else {
		r.u.Emails = copyValues(u.Emails)
	}
	r.u.PhoneNumbers = copyValues(u.PhoneNumbers)
	r.u.IMs = copyValues(u.IMs)
	r.u.Photos = copyValues(u.Photos)
	r.u.Entitlements = copyValues(u.Entitlements)
	r.u.Roles = copyValues(u.Roles)
	r.u.X509Certificates = copyValues(u.X509Certificates)
	r.u.Addresses = nil
	if len(u.Addresses) > 0 {
		r.u.Addresses = make([]scim.Address, len(u.Addresses))
		for i, a := range u.Addresses {
			a.Type = internType(a.Type)
			r.u.Addresses[i] = a
		}
	}
	if u.Enterprise != nil {
		in.ent = *u.Enterprise
		if m := u.Enterprise.Manager; m != nil {
			in.mgr = *m
			in.ent.Manager = &in.mgr
		}
		r.u.Enterprise = &in.ent
	}
	r.u.Extensions = scim.CloneExtensions(u.Extensions)
}

// adopt makes r hold the user that n holds (n is dropped), keeping r's ID
// and Meta: what n holds inline is copied into r, the rest is taken over.
func (r *userRec) adopt(n *userRec) {
	id, meta := r.u.ID, r.u.Meta
	r.u, r.in = n.u, n.in
	r.u.ID, r.u.Meta = id, meta
	if r.u.Name != nil {
		r.u.Name = &r.in.name
	}
	if r.u.Active != nil {
		r.u.Active = &r.in.active
	}
	if k := len(r.u.Emails); k > 0 && k <= len(r.in.emails) {
		r.u.Emails = r.in.emails[:k:k]
	}
	if r.u.Enterprise != nil {
		r.u.Enterprise = &r.in.ent
		if r.in.ent.Manager != nil {
			r.in.ent.Manager = &r.in.mgr
		}
	}
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
	u.Extensions = scim.CloneExtensions(src.Extensions)
	return u
}

// copyGroupIn returns the stored form of g: a deep copy without Members
// (which a group record keeps in its own indexed form).
func copyGroupIn(g *scim.Group) scim.Group {
	c := *g
	c.Members = nil
	c.Extensions = scim.CloneExtensions(g.Extensions)
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
