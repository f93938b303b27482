package scim

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// Group members must name resources of the tenant (RFC 7643 §4.2: a
// member's value is the id of a user or group of the service provider).
// The handler decides the rule: by default it asks the group store, through
// the context of every group write, to refuse a member that names no user
// or group of the tenant; [WithForeignMembers] lifts it. The store applies
// it, because only the store can check a member and store it atomically:
// a check in the handler followed by a write would let a user deleted in
// between become a dangling member.

// ErrMemberNotFound reports that a group member's value names no user or
// group of the tenant, so the store refused the write (see
// [ContextWithMemberCheck]). The handler answers it with 400 invalidValue.
// Stores return it wrapped, preferably with [MemberNotFound] so that the
// client is told which value.
var ErrMemberNotFound = errors.New("scim: member names no user or group")

// MemberNotFound returns an error wrapping [ErrMemberNotFound] that names
// the member value a store refused; the handler's 400 says which it was.
func MemberNotFound(value string) error { return &memberNotFoundError{value: value} }

type memberNotFoundError struct{ value string }

func (e *memberNotFoundError) Error() string {
	return "scim: member " + quote(e.value) + " names no user or group"
}

func (e *memberNotFoundError) Unwrap() error { return ErrMemberNotFound }

// quote quotes a client's value for a message, escaping what is not
// printable.
func quote(s string) string { return strconv.Quote(s) }

type memberCheckKey struct{}

// ContextWithMemberCheck returns a copy of ctx that asks a group store to
// refuse, in Create, Replace and [MemberPatcher.PatchMembers], any member
// it would add whose value names no user or group of the tenant, with an
// error wrapping [ErrMemberNotFound], changing nothing. Members the group
// already has are not checked again. The check and the write must be
// atomic with respect to deletions: a user deleted while it is being added
// to a group either is refused or leaves no membership behind, also when
// the deletion comes through another store instance (another process) on
// the same database.
//
// The handler sets it on every group write unless [WithForeignMembers] is
// given; a store called with a context that lacks it stores members as
// they are. An application's own store that can only hold members that
// exist (a foreign key to its users, say) may ignore it.
func ContextWithMemberCheck(ctx context.Context) context.Context {
	return context.WithValue(ctx, memberCheckKey{}, true)
}

// MemberCheckFromContext reports whether [ContextWithMemberCheck] marked
// ctx, that is, whether a group store must refuse members that name no
// user or group of the tenant.
func MemberCheckFromContext(ctx context.Context) bool {
	v, _ := ctx.Value(memberCheckKey{}).(bool)
	return v
}

// WithForeignMembers accepts group members whose value names no user or
// group of the store, for applications whose members live elsewhere (in
// another system, or in a store the handler does not see). By default such
// a member is refused with 400 invalidValue, as RFC 7643 §4.2 reads: the
// handler asks the group store to check every member it adds (see
// [ContextWithMemberCheck]).
func WithForeignMembers() Option {
	return func(c *config) { c.foreignMembers = true }
}

// withMemberCheck returns r with the member check in its context when r
// writes groups and the handler refuses foreign members.
func (h *handler) withMemberCheck(r *http.Request, rt *resourceType) *http.Request {
	if rt != h.groupRT || h.cfg.foreignMembers || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return r
	}
	return r.WithContext(ContextWithMemberCheck(r.Context()))
}

// memberNotFoundAs turns a store's ErrMemberNotFound into the client's 400.
func memberNotFoundAs(err error) (*Error, bool) {
	if !errors.Is(err, ErrMemberNotFound) {
		return nil, false
	}
	var m *memberNotFoundError
	if errors.As(err, &m) {
		return &Error{Status: http.StatusBadRequest, ScimType: ScimTypeInvalidValue,
			Detail: "member " + quote(m.value) + " is not a user or group of this service provider", err: err}, true
	}
	return &Error{Status: http.StatusBadRequest, ScimType: ScimTypeInvalidValue,
		Detail: "a member is not a user or group of this service provider", err: err}, true
}
