package scim

import (
	"strings"

	"github.com/scim2/filter-parser/v2"
)

// The cost of a filter: what evaluating it on one resource costs, in units
// of one equality on a singular attribute, so that a request can be refused
// before it ties up a store. The number of comparisons alone says little: a
// thousand "or"-ed equalities on userName are answered from an index, while
// a thousand "co" comparisons on members.value test every member of every
// group against every pattern.
const (
	// costCompare is the cost of eq, ne, gt, ge, lt, le and pr on a
	// singular attribute.
	costCompare = 1
	// costSubstring is the cost of co, sw and ew, which no index answers
	// and which compare every position of the value.
	costSubstring = 10
	// costMultiValued multiplies the cost of a comparison on a
	// multi-valued attribute (emails, members, groups…), which is tested
	// on every item.
	costMultiValued = 10
)

// defaultMaxFilterCost is the default of WithMaxFilterCost: a thousand
// equalities on singular attributes, a hundred substring comparisons on
// them, a hundred equalities on members (Entra ID's `id eq … and members
// eq …` costs 11), or ten substring comparisons on members.
const defaultMaxFilterCost = 1000

// Cost returns the filter's cost, the budget that [WithMaxFilterCost]
// bounds: the sum over its comparisons of 1 for eq, ne, gt, ge, lt, le or
// pr, 10 for co, sw or ew, each times 10 when the attribute is
// multi-valued (a sub-attribute of emails, members or groups, or a
// comparison inside a value filter such as emails[type eq "work"]). A nil
// filter costs 0. Stores may use it to choose how to evaluate a filter.
func (f *Filter) Cost() int {
	if f == nil {
		return 0
	}
	return f.cost
}

// filterCost returns the cost of the normalized expression e on rt; mv
// reports that e is inside a value filter of a multi-valued attribute.
func filterCost(rt *resourceType, e filter.Expression, mv bool) int {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return filterCost(rt, e.Left, mv) + filterCost(rt, e.Right, mv)
	case *filter.NotExpression:
		return filterCost(rt, e.Expression, mv)
	case *filter.ValuePath:
		return filterCost(rt, e.ValueFilter, mv || rt.multiValued(&e.AttributePath))
	case *filter.AttributeExpression:
		c := costCompare
		switch strings.ToLower(string(e.Operator)) {
		case string(filter.CO), string(filter.SW), string(filter.EW):
			c = costSubstring
		}
		if mv || rt.multiValued(&e.AttributePath) {
			c *= costMultiValued
		}
		return c
	}
	return 0
}

// multiValued reports whether the attribute of p (not its sub-attribute)
// is multi-valued.
func (rt *resourceType) multiValued(p *filter.AttributePath) bool {
	ref, ok := rt.resolve(p.URI(), p.AttributeName, "")
	return ok && ref.attr != nil && ref.attr.MultiValued
}

// WithMaxFilterCost bounds the cost of a filter (see [Filter.Cost]): a list
// or search whose filter costs more is refused with 400 invalidFilter
// before any store is asked, and the budget is advertised in
// ServiceProviderConfig as filter.maxCost. The default is 1000: a thousand
// equalities, a hundred substring comparisons (co, sw, ew) on singular
// attributes, or ten on a multi-valued one such as members.value. A
// non-positive n keeps the budget as it was.
func WithMaxFilterCost(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxFilterCost = n
		}
	}
}

// checkFilterCost refuses f if it costs more than the handler's budget.
func (h *handler) checkFilterCost(f *Filter) error {
	if c := f.Cost(); c > h.cfg.maxFilterCost {
		return errInvalidFilter("the filter costs %d, more than this server's budget of %d: a comparison costs 1, "+
			"a substring comparison (co, sw, ew) 10, and either costs 10 times as much on a multi-valued attribute "+
			"(ServiceProviderConfig filter.maxCost); split it into several requests or use equality", c, h.cfg.maxFilterCost)
	}
	return nil
}
