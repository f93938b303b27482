// Package borrow lets the scim handler read resources from this module's
// own stores without copying them.
//
// The Store contract makes every read return a copy the caller may change,
// which for a page of 100 users costs more than encoding it. The handler
// never changes what it reads and is done with it once it is encoded, so a
// store of this module may instead lend its stored resources to a callback
// that encodes them while the store holds its read lock. The exchange goes
// through this internal package so that it adds nothing to the API of the
// scim package or of the stores: a store embeds a [Hook] under an
// unexported name and sets its lender, an unexported type whose methods
// the handler knows by an interface of its own; any other store, or a
// store wrapped by the application, is read through the Store interface as
// before: a type that embeds a store to override some of its methods
// must not have its overrides bypassed, so a store lends only when it is
// the very value that set the lender.
package borrow

// Hook is embedded in a store type, under an unexported alias so that it
// adds no exported field or method, to make the store's lender findable.
type Hook struct{ owner, lender any }

func (h *Hook) borrowHook() *Hook { return h }

type hooked interface{ borrowHook() *Hook }

// Set makes lender the lender of owner, the store (a pointer) that embeds
// h.
func Set(h *Hook, owner, lender any) { h.owner, h.lender = owner, lender }

// Lender returns the lender of store, or nil if store has none or only
// embeds a store that has one.
func Lender(store any) any {
	if s, ok := store.(hooked); ok {
		if h := s.borrowHook(); h.owner == store {
			return h.lender
		}
	}
	return nil
}
