package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors that stores return, wrapped with %w, to report the outcome
// of an operation. The handler maps them to SCIM errors (see [Error]).
var (
	// ErrNotFound reports that no resource has the requested id (in the
	// caller's tenant). It becomes 404 Not Found.
	ErrNotFound = errors.New("scim: resource not found")
	// ErrConflict reports that a write would break a uniqueness rule, such as
	// two users with the same userName (compared case-insensitively). It
	// becomes 409 Conflict with scimType "uniqueness".
	ErrConflict = errors.New("scim: uniqueness conflict")
	// ErrPreconditionFailed reports that the stored version of a resource is
	// not the version the write expected. It becomes 412 Precondition Failed.
	ErrPreconditionFailed = errors.New("scim: version mismatch")
)

// ScimType values of RFC 7644 §3.12, carried in [Error.ScimType].
const (
	ScimTypeInvalidFilter = "invalidFilter"
	ScimTypeTooMany       = "tooMany"
	ScimTypeUniqueness    = "uniqueness"
	ScimTypeMutability    = "mutability"
	ScimTypeInvalidSyntax = "invalidSyntax"
	ScimTypeInvalidPath   = "invalidPath"
	ScimTypeNoTarget      = "noTarget"
	ScimTypeInvalidValue  = "invalidValue"
	ScimTypeInvalidVers   = "invalidVers"
	ScimTypeSensitive     = "sensitive"
)

// ErrorSchema is the schema URN of a SCIM error response body.
const ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// Error is a SCIM protocol error (RFC 7644 §3.12). Its Status, ScimType and
// Detail are sent to the client as they are, so Detail must never carry
// internal information; the wrapped error, if any, is only logged.
type Error struct {
	// Status is the HTTP status code, such as 400 or 404.
	Status int
	// ScimType is one of the ScimType constants, or empty.
	ScimType string
	// Detail is a human-readable explanation for the client.
	Detail string
	err    error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := fmt.Sprintf("scim: %d", e.Status)
	if e.ScimType != "" {
		s += " " + e.ScimType
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.err }

// NewError returns a new *Error with the given status, scimType (may be empty)
// and client-facing detail.
func NewError(status int, scimType, detail string) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: detail}
}

func errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func errInvalidSyntax(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeInvalidSyntax, format, args...)
}

func errInvalidValue(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeInvalidValue, format, args...)
}

func errInvalidFilter(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeInvalidFilter, format, args...)
}

func errInvalidPath(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeInvalidPath, format, args...)
}

func errNoTarget(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeNoTarget, format, args...)
}

func errMutability(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, ScimTypeMutability, format, args...)
}

func errNotFound(resourceType, id string) *Error {
	return errorf(http.StatusNotFound, "", "%s %q not found", resourceType, id)
}

// toError converts any error to the *Error sent to the client. A *Error
// anywhere in the chain is used as it is; store sentinels map to their
// statuses; context cancellation maps to 503; anything else is an internal
// error whose text is never shown to the client (the boolean result reports
// it, so that the caller can log it).
func toError(err error) (e *Error, internal bool) {
	var se *Error
	switch {
	case errors.As(err, &se):
		return se, se.Status >= 500 && se.Status != http.StatusNotImplemented
	case errors.Is(err, ErrUnauthenticated):
		return &Error{Status: 401, Detail: "a valid bearer token is required", err: err}, false
	case errors.Is(err, ErrMemberNotFound):
		e, _ := memberNotFoundAs(err)
		return e, false
	case errors.Is(err, ErrNotFound):
		return &Error{Status: 404, Detail: "resource not found", err: err}, false
	case errors.Is(err, ErrConflict):
		return &Error{Status: 409, ScimType: ScimTypeUniqueness, Detail: "a resource with the same unique attribute value already exists", err: err}, false
	case errors.Is(err, ErrPreconditionFailed):
		return &Error{Status: 412, Detail: "the resource has changed: its version does not match", err: err}, false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: 503, Detail: "the request was cancelled or timed out", err: err}, true
	default:
		return &Error{Status: 500, Detail: "internal server error", err: err}, true
	}
}

// statusCode returns the HTTP status to send for e: its own when it is an
// error status (or one of the redirections a handler may answer with), else
// 500, so that a mistaken Status never reaches the client as a success.
func statusCode(e *Error) int {
	switch {
	case e.Status == 304, e.Status == 307, e.Status == 308:
		return e.Status
	case e.Status >= 400 && e.Status < 600:
		return e.Status
	default:
		return 500
	}
}

// WriteError writes err as a SCIM error response (RFC 7644 §3.12), the way
// the handler writes its own, so that an application's middleware (its own
// authentication, a rate limiter) answers SCIM clients in their format. A
// [*Error] in err's chain is written as it is; [ErrUnauthenticated] is a
// 401 with "WWW-Authenticate: Bearer"; the store sentinels get their
// statuses; any other error is a 500 with a generic detail, since err's
// text is never sent to the client.
func WriteError(w http.ResponseWriter, err error) {
	e, _ := toError(err)
	writeErrorResponse(w, e)
}

// notFoundAs gives ErrNotFound a detail that names the resource.
func notFoundAs(err error, rt *resourceType, id string) error {
	var se *Error
	if errors.Is(err, ErrNotFound) && !errors.As(err, &se) {
		e := errNotFound(rt.name, id)
		e.err = err
		return e
	}
	return err
}
