package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Unique group displayNames. Entra ID matches groups by displayName and
// requires it to be unique ("Groups must have uniqueness on the displayName
// value"), and Microsoft's reference implementation answers 409 to a
// duplicate; RFC 7643 leaves Group.displayName without uniqueness. The
// handler enforces the rule by default; [WithoutUniqueGroupDisplayNames]
// turns it off.
//
// Only a store can keep such a rule under concurrency (two requests
// creating "Sales" at once must not both succeed), so the handler tells
// the store, per request, through the context: every group write carries
// [ContextWithUniqueGroupDisplayNames], and a store that implements
// [GroupDisplayNameEnforcer] refuses a duplicate atomically. memstore
// and sqlstore do. For a store without the capability, the handler looks
// the name up before the write, which two concurrent writes can both pass.

// WithoutUniqueGroupDisplayNames lets several groups of a tenant have the
// same displayName, as RFC 7643 allows. By default a group whose
// displayName equals another group's of the same tenant (compared
// case-insensitively, as filters compare it) is refused with 409
// uniqueness on POST, PUT, PATCH and in /Bulk, and /Schemas advertises
// displayName with uniqueness "server".
func WithoutUniqueGroupDisplayNames() Option {
	return func(c *config) { c.duplicateGroupNames = true }
}

type uniqueGroupNamesKey struct{}

// ContextWithUniqueGroupDisplayNames returns a copy of ctx that tells a
// [GroupStore] whether the group it creates or replaces must have a
// displayName that no other group of the tenant has. The handler sets it
// on every group write; an application calling a store directly sets it
// itself.
func ContextWithUniqueGroupDisplayNames(ctx context.Context, unique bool) context.Context {
	return context.WithValue(ctx, uniqueGroupNamesKey{}, unique)
}

// UniqueGroupDisplayNamesFromContext reports whether ctx asks for unique
// group displayNames (see [ContextWithUniqueGroupDisplayNames]); false
// when ctx does not say.
func UniqueGroupDisplayNamesFromContext(ctx context.Context) bool {
	u, _ := ctx.Value(uniqueGroupNamesKey{}).(bool)
	return u
}

// GroupDisplayNameEnforcer is an optional capability of a [GroupStore]:
// when [UniqueGroupDisplayNamesFromContext] reports true, its Create and
// Replace refuse, atomically with the write, a group whose displayName
// equals (case-insensitively, folded as the store folds userName)
// another group's of the same tenant, with an error wrapping
// ErrConflict; a Replace that keeps a group's own name never conflicts
// with it. When the context does not ask, duplicates are stored.
// EnforcesUniqueGroupDisplayNames reports whether the store does this;
// the handler then relies on it instead of looking the name up first.
// memstore and sqlstore implement it.
type GroupDisplayNameEnforcer interface {
	EnforcesUniqueGroupDisplayNames() bool
}

// uniqueGroupNames is the handler's guard for a GroupStore that does not
// enforce unique displayNames itself: before a write that asks for them,
// it looks the name up. Two concurrent writes can both pass it; only a
// store can close that race (see GroupDisplayNameEnforcer).
type uniqueGroupNames struct {
	GroupStore
	rt *resourceType
}

// needsGroupNameGuard reports whether the handler must look names up for
// groups.
func needsGroupNameGuard(groups GroupStore) bool {
	e, ok := groups.(GroupDisplayNameEnforcer)
	return !ok || !e.EnforcesUniqueGroupDisplayNames()
}

func (u uniqueGroupNames) Create(ctx context.Context, g *Group) (*Group, error) {
	if err := u.check(ctx, g); err != nil {
		return nil, err
	}
	return u.GroupStore.Create(ctx, g)
}

func (u uniqueGroupNames) Replace(ctx context.Context, g *Group, ifVersion string) (*Group, error) {
	if err := u.check(ctx, g); err != nil {
		return nil, err
	}
	return u.GroupStore.Replace(ctx, g, ifVersion)
}

func (u uniqueGroupNames) check(ctx context.Context, g *Group) error {
	if !UniqueGroupDisplayNamesFromContext(ctx) || g.DisplayName == "" {
		return nil
	}
	lit, err := json.Marshal(g.DisplayName)
	if err != nil {
		return err
	}
	f, err := u.rt.parseFilter("displayName eq " + string(lit))
	if err != nil {
		return nil // a name too long to filter on cannot be looked up
	}
	page, err := u.GroupStore.List(ctx, &Query{Filter: f, StartIndex: 1, Count: 2, ReadOptions: ReadOptions{SkipMembership: true}})
	if err != nil {
		return err
	}
	if slices.ContainsFunc(page.Resources, func(o *Group) bool { return o.ID != g.ID }) {
		return fmt.Errorf("scim: group displayName %q is taken: %w", g.DisplayName, ErrConflict)
	}
	return nil
}

// writeContext returns the context for a store write of a resource of
// rt: for a group, one that carries the handler's displayName rule. Only
// writes pay for it, not reads or member patches.
func (h *handler) writeContext(ctx context.Context, rt *resourceType) context.Context {
	if rt != h.groupRT || h.cfg.duplicateGroupNames {
		return ctx
	}
	return ContextWithUniqueGroupDisplayNames(ctx, true)
}

// withUniqueDisplayName returns a copy of the Group schema s whose
// displayName says uniqueness "server".
func withUniqueDisplayName(s *Schema) *Schema {
	c := *s
	c.Attributes = slices.Clone(s.Attributes)
	for i, a := range c.Attributes {
		if a.Name == "displayName" {
			ac := *a
			ac.Uniqueness = UniquenessServer
			c.Attributes[i] = &ac
		}
	}
	return &c
}
