package scim

import "strings"

// Attribute projection (RFC 7644 §3.4.2.5, §3.9): which attributes a
// response carries, from "attributes", "excludedAttributes" and each
// attribute's "returned" characteristic.

// projection decides which attributes a response carries (RFC 7644
// §3.4.2.5, §3.9). The zero value (nil) means the default set.
type projection struct {
	// include, when non-nil, lists the attributes requested with
	// "attributes": a nil sub-set means the whole attribute.
	include map[*Attribute]map[*Attribute]bool
	// exclude lists the attributes named in "excludedAttributes".
	exclude map[*Attribute]map[*Attribute]bool
}

// newProjection parses the "attributes" and "excludedAttributes" lists
// (comma-separated, names case-insensitive, URN-qualified or not). Unknown
// names are ignored: they can name nothing in the response. When both are
// given, attributes wins, as it is the narrower request. A response never
// shows an attribute the store does not keep.
func (rt *resourceType) newProjection(attributes, excluded string) *projection {
	if attributes == "" && excluded == "" {
		return rt.keptProjection
	}
	p := &projection{}
	if attributes != "" {
		p.include = rt.attrSet(attributes)
	} else {
		p.exclude = rt.attrSet(excluded)
	}
	return rt.kept.project(p)
}

func (rt *resourceType) attrSet(list string) map[*Attribute]map[*Attribute]bool {
	set := map[*Attribute]map[*Attribute]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		// The SCIM reference client sends attributes=emails[type eq "work"]:
		// a value filter has no meaning in a projection; keep the attribute.
		if i := strings.IndexByte(name, '['); i >= 0 {
			rest := ""
			if j := strings.IndexByte(name[i:], ']'); j >= 0 {
				rest = name[i+j+1:]
			}
			name = name[:i] + rest
		}
		if name == "" {
			continue
		}
		if s := rt.extension(name); s != nil {
			for _, a := range s.Attributes {
				set[a] = nil
			}
			continue
		}
		ref, ok := rt.resolvePath(name)
		if !ok {
			continue
		}
		if ref.sub == nil {
			set[ref.attr] = nil
			continue
		}
		subs, seen := set[ref.attr]
		if seen && subs == nil {
			continue // the whole attribute is already in
		}
		if subs == nil {
			subs = map[*Attribute]bool{}
			set[ref.attr] = subs
		}
		subs[ref.sub] = true
	}
	return set
}

// wants reports whether attribute a appears in the response.
func (p *projection) wants(a *Attribute) bool {
	switch a.returned() {
	case ReturnedNever:
		return false
	case ReturnedAlways:
		return true
	}
	if p == nil {
		return a.returned() != ReturnedRequest
	}
	if p.include != nil {
		_, ok := p.include[a]
		return ok
	}
	if a.returned() == ReturnedRequest {
		return false
	}
	subs, ok := p.exclude[a]
	return !ok || subs != nil
}

// wantsSub reports whether sub-attribute sub of a appears, given that a
// does.
func (p *projection) wantsSub(a, sub *Attribute) bool {
	switch sub.returned() {
	case ReturnedNever:
		return false
	case ReturnedAlways:
		return true
	}
	if p == nil {
		return sub.returned() != ReturnedRequest
	}
	if p.include != nil {
		subs := p.include[a]
		return subs == nil || subs[sub]
	}
	subs := p.exclude[a]
	return subs == nil || !subs[sub]
}

// wantsMembership reports whether a response needs Group.Members or
// User.Groups, so the store can skip loading them.
func (p *projection) wantsMembership(rt *resourceType) bool {
	if rt.schema == groupSchema {
		return p.wants(groupIndex.attrs[cMembers])
	}
	return p.wants(userIndex.attrs[cGroups])
}
