package scim

import (
	"context"
	"fmt"

	"github.com/scim2/filter-parser/v2"
)

// The handler's side of the attributes a store keeps (see AttributeKeeper
// and keep.go) and of passwords: what it sends the store, how it rewrites
// queries, and what responses and discovery show.

// setupKept parses the attributes the stores declare, or the options
// declare for them, into the resource types. It panics on a declaration
// that names no attribute, and when both a store and an option declare.
func (h *handler) setupKept(users UserStore, groups GroupStore) {
	for _, x := range []struct {
		rt    *resourceType
		store any
		paths []string
		opt   string
	}{{h.userRT, users, h.cfg.userAttributes, "WithUserAttributes"}, {h.groupRT, groups, h.cfg.groupAttributes, "WithGroupAttributes"}} {
		paths, from := x.paths, x.opt
		if k, ok := x.store.(AttributeKeeper); ok {
			if paths != nil {
				panic(fmt.Sprintf("scim: the %s store declares its attributes (KeptAttributes); %s is for a store that does not", x.rt.name, x.opt))
			}
			paths, from = k.KeptAttributes(), "KeptAttributes"
		}
		if paths == nil {
			continue
		}
		k, err := x.rt.parseAttributeSet(paths)
		if err != nil {
			panic(fmt.Sprintf("scim: %s of the %s store: %v", from, x.rt.name, err))
		}
		x.rt.kept = k
		x.rt.keptProjection = k.project(nil)
	}
}

// project returns p (nil: the default attributes) narrowed to the
// attributes and sub-attributes the set keeps, so that a response shows no
// other, whatever a store returns. (Of a multi-valued attribute, a store
// returns the items it keeps.) A nil set returns p.
func (k *AttributeSet) project(p *projection) *projection {
	if k == nil {
		return p
	}
	out := &projection{include: map[*Attribute]map[*Attribute]bool{}}
	for a, ka := range k.attrs {
		var subs map[*Attribute]bool // nil: all
		for _, r := range ka.rules {
			if r.subs == nil {
				subs = nil
				break
			}
			if subs == nil {
				subs = map[*Attribute]bool{}
			}
			for s := range r.subs {
				subs[s] = true
			}
		}
		if p != nil && p.include != nil {
			want, ok := p.include[a]
			if !ok {
				continue
			}
			subs = intersectSubs(a, subs, want)
		}
		if p != nil && p.exclude != nil {
			not, ok := p.exclude[a]
			if ok && not == nil {
				continue
			}
			if ok {
				all := subs
				subs = map[*Attribute]bool{}
				for _, s := range a.SubAttributes {
					if (all == nil || all[s]) && !not[s] {
						subs[s] = true
					}
				}
			}
		}
		if subs != nil && len(subs) == 0 && a.typ() == TypeComplex {
			continue
		}
		out.include[a] = subs
	}
	return out
}

// intersectSubs returns the sub-attributes of a in both sets (nil: all).
func intersectSubs(a *Attribute, x, y map[*Attribute]bool) map[*Attribute]bool {
	if x == nil {
		return y
	}
	if y == nil {
		return x
	}
	out := map[*Attribute]bool{}
	for _, s := range a.SubAttributes {
		if x[s] && y[s] {
			out[s] = true
		}
	}
	return out
}

// keptDoc trims doc, a resource in document form about to reach the store,
// to the attributes the store keeps; under WithStrictAttributes an
// attribute the store does not keep is a 400 instead.
func (rt *resourceType) keptDoc(doc map[string]any, strict bool) error {
	return rt.kept.trimDoc(doc, strict)
}

// keptQuery makes q name only attributes the store keeps: a filter on
// others is evaluated as on unassigned attributes, and a sort by one is no
// sort. It reports false when the filter matches no resource at all, so
// that the store need not be asked.
func (rt *resourceType) keptQuery(q *Query) (bool, error) {
	k := rt.kept
	if k == nil {
		return true, nil
	}
	if q.SortBy != "" && !k.Has(q.SortBy) {
		q.SortBy = ""
	}
	if q.Filter == nil {
		return true, nil
	}
	e, t := k.rewrite(q.Filter.Expr)
	switch t {
	case never:
		return false, nil
	case always:
		q.Filter = nil
		return true, nil
	}
	if e == q.Filter.Expr {
		return true, nil
	}
	f, err := rt.compileFilter(e)
	q.Filter = f
	return err == nil, err
}

// compileFilter compiles e, a normalized filter on rt.
func (rt *resourceType) compileFilter(e filter.Expression) (*Filter, error) {
	f := &Filter{Expr: e, rt: rt}
	var err error
	switch rt.name {
	case "User":
		f.user, err = compileTyped(rt, userView, e)
	case "Group":
		f.group, err = compileTyped(rt, groupView, e)
	}
	return f, err
}

// membership returns the attribute of rt that holds memberships: a
// Group's members, a User's groups.
func (rt *resourceType) membership() string {
	if rt.name == "Group" {
		return "members"
	}
	return "groups"
}

// skipMembership reports whether a read with projection p and filter f can
// go without the memberships: the response does not show them and the
// filter does not test them.
func (rt *resourceType) skipMembership(p *projection, f *Filter) bool {
	return !p.wantsMembership(rt) && !f.References(rt.membership())
}

// password sets u.Password to what the store receives for the password:
// nothing, unless a password handler is registered and the store keeps
// passwords. sent is the cleartext password the client sent ("" for none)
// and old what the store holds, which stays when the client sent none.
// With strict, a password sent to a handler without a password handler is
// a 400.
func (h *handler) password(ctx context.Context, u *User, sent, old string) error {
	u.Password = ""
	fn := h.cfg.passwordHandler
	switch {
	case fn == nil && sent != "" && h.cfg.strictAttributes:
		return errInvalidValue("this service provider does not accept passwords")
	case fn == nil || !h.userRT.kept.Has("password"):
		if fn != nil && sent != "" {
			_, err := fn(ctx, u, sent)
			return err
		}
	case sent == "":
		u.Password = old
	default:
		kept, err := fn(ctx, u, sent)
		if err != nil {
			return err
		}
		u.Password = kept
	}
	return nil
}

// acceptsPasswords reports whether clients may send passwords: whether a
// password handler receives them.
func (h *handler) acceptsPasswords() bool { return h.cfg.passwordHandler != nil }

// listStore lists q from store, or nothing without asking it when q's
// filter can match no resource.
func listStore[R Resource](ctx context.Context, store Store[R], q *Query) (*Page[R], error) {
	if q.nothing {
		return &Page[R]{Resources: []*R{}}, nil
	}
	return store.List(ctx, q)
}

// keptMembers trims members about to be added to a group to what the store
// keeps of them, as keptDoc does for a whole group.
func (rt *resourceType) keptMembers(add []MultiValue) ([]MultiValue, error) {
	if rt.kept == nil {
		return add, nil
	}
	doc := map[string]any{"members": multiToDoc(add)}
	if err := rt.kept.trimDoc(doc, rt.strictAttributes); err != nil {
		return nil, err
	}
	return multiFromDoc(doc["members"]), nil
}
