package scim

import (
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// membershipOnly reports whether req only adds and removes members of a
// Group, which is how identity providers maintain large groups, so that the
// handler can hand the change to a store's [MemberPatcher] without loading
// the group. The forms recognised are:
//
//   - add with path "members" and a member or an array of members;
//   - add without path whose value is exactly {"members": [...]}
//     (an array);
//   - remove with path members[value eq "id"];
//   - remove with path "members" and a value listing the members to remove
//     (Entra ID).
//
// Replacing members, and removing them all (remove "members" without a
// value), are not membership-only. Every member must have a non-empty
// string "value"; a request with anything else reports false, so that the
// full engine reports the error.
//
// The operations apply in order, so when a member is both added and
// removed, the last operation on it wins: add holds the members whose last
// operation is an add, remove the ids whose last operation is a remove, and
// the two never overlap, so a store may apply them in any order.
func (req *patchRequest) membershipOnly(rt *resourceType) (add []MultiValue, remove []string, ok bool) {
	members := rt.schema.Attr("members")
	if members == nil || !members.MultiValued {
		return nil, nil, false
	}
	// Ids are compared as the engine compares them: members.value is not
	// caseExact in RFC 7643.
	foldIDs := true
	if vs := members.Sub("value"); vs != nil && vs.CaseExact {
		foldIDs = false
	}
	// last maps a member id to true when its last operation is an add.
	last := map[string]bool{}
	added := map[string]MultiValue{}
	removed := map[string]string{}
	var order []string
	note := func(id string, isAdd bool, mv MultiValue) {
		k := id
		if foldIDs {
			k = FoldKey(id)
		}
		prev, seen := last[k]
		if !seen {
			order = append(order, k)
		}
		if isAdd {
			if !seen || !prev {
				added[k] = mv
			}
		} else {
			removed[k] = id
		}
		last[k] = isAdd
	}
	for i := range req.ops {
		op := &req.ops[i]
		switch op.op {
		case opAdd:
			v := op.value
			if op.path == "" {
				obj, isObj := v.(map[string]any)
				if !isObj || len(obj) != 1 {
					return nil, nil, false
				}
				for k, x := range obj {
					if !isMembersPath(rt, k) {
						return nil, nil, false
					}
					v = x
				}
				// A path-less value is a partial resource: members is an
				// array there, as in a POST.
				if _, isList := v.([]any); !isList {
					return nil, nil, false
				}
			} else if !isMembersPath(rt, op.path) {
				return nil, nil, false
			}
			list, ok := memberList(rt, v)
			if !ok {
				return nil, nil, false
			}
			for _, mv := range list {
				note(mv.Value, true, mv)
			}
		case opRemove:
			if op.parsed != nil {
				id, ok := memberFilterID(rt, op.parsed)
				if !ok {
					return nil, nil, false
				}
				note(id, false, MultiValue{})
				continue
			}
			if op.pathErr || !isMembersPath(rt, op.path) || op.value == nil {
				return nil, nil, false
			}
			list, ok := memberList(rt, op.value)
			if !ok {
				return nil, nil, false
			}
			for _, mv := range list {
				note(mv.Value, false, MultiValue{})
			}
		default:
			return nil, nil, false
		}
	}
	for _, k := range order {
		if last[k] {
			add = append(add, added[k])
		} else {
			remove = append(remove, removed[k])
		}
	}
	return add, remove, true
}

// membersOnly reports whether every operation of req adds, removes or
// replaces members of a Group (and nothing else): its path names members
// (possibly with a value filter or a sub-attribute), or, without a path,
// its value is an object whose only attribute is members.
func (req *patchRequest) membersOnly(rt *resourceType) bool {
	if len(req.ops) == 0 {
		return false
	}
	for i := range req.ops {
		op := &req.ops[i]
		switch {
		case op.parsed != nil:
			ap := op.parsed.AttributePath
			ref, ok := rt.resolve(ap.URI(), ap.AttributeName, "")
			if !ok || ref.schema != rt.schema || ref.attr.Name != "members" {
				return false
			}
		case op.pathErr:
			return false
		case op.path == "":
			obj, isObj := op.value.(map[string]any)
			if !isObj || len(obj) != 1 {
				return false
			}
			for k := range obj {
				if !isMembersPath(rt, k) {
					return false
				}
			}
		default:
			ref, ok := rt.resolvePath(op.path)
			if !ok || ref.schema != rt.schema || ref.attr.Name != "members" {
				return false
			}
		}
	}
	return true
}

// mentionsMembers reports whether an operation of req may read or change
// members of a Group: its path names members, or, without a path, its value
// has a key that names members or a schema. An unparsable path counts, so
// that the full engine reports it.
func (req *patchRequest) mentionsMembers(rt *resourceType) bool {
	for i := range req.ops {
		op := &req.ops[i]
		switch {
		case op.pathErr:
			return true
		case op.parsed != nil:
			ap := op.parsed.AttributePath
			ref, ok := rt.resolve(ap.URI(), ap.AttributeName, "")
			if !ok || ref.attr.Name == "members" {
				return true
			}
		case op.path == "":
			obj, isObj := op.value.(map[string]any)
			if !isObj {
				return true
			}
			for k := range obj {
				ref, ok := rt.resolvePath(k)
				if !ok || ref.attr.Name == "members" {
					return true
				}
			}
		default:
			ref, ok := rt.resolvePath(op.path)
			if !ok || ref.attr.Name == "members" {
				return true
			}
		}
	}
	return false
}

// isMembersPath reports whether p names the whole members attribute
// ("members", "Members", "urn:ietf:params:scim:schemas:core:2.0:Group:members").
func isMembersPath(rt *resourceType, p string) bool {
	ref, ok := rt.resolvePath(p)
	return ok && ref.sub == nil && ref.schema == rt.schema && ref.attr.Name == "members"
}

// memberFilterID returns x for the path members[value eq "x"].
func memberFilterID(rt *resourceType, p *filter.Path) (string, bool) {
	ap := p.AttributePath
	if p.SubAttribute != nil || ap.SubAttribute != nil {
		return "", false
	}
	ref, ok := rt.resolve(ap.URI(), ap.AttributeName, "")
	if !ok || ref.schema != rt.schema || ref.attr.Name != "members" {
		return "", false
	}
	e, ok := p.ValueExpression.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ || e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil ||
		!strings.EqualFold(e.AttributePath.AttributeName, "value") {
		return "", false
	}
	id, ok := filterValue(e.CompareValue).(string)
	return id, ok && id != ""
}

// memberList validates a member or an array of members, each an object
// whose "value" is a non-empty string; "display", "type" and "$ref" must be
// strings or null. Unknown keys are ignored unless rt.strictAttributes.
func memberList(rt *resourceType, v any) ([]MultiValue, bool) {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		list = []any{x}
	default:
		return nil, false
	}
	out := make([]MultiValue, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		var mv MultiValue
		for k, x := range m {
			if x == nil {
				continue
			}
			s, isStr := x.(string)
			var dst *string
			switch strings.ToLower(k) {
			case "value":
				dst = &mv.Value
			case "display":
				dst = &mv.Display
			case "type":
				dst = &mv.Type
			case "$ref":
				dst = &mv.Ref
			default:
				if rt.strictAttributes {
					return nil, false
				}
				continue
			}
			if !isStr {
				return nil, false
			}
			*dst = s
		}
		if mv.Value == "" {
			return nil, false
		}
		out = append(out, mv)
	}
	return out, true
}
