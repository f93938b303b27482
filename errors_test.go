package scim

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestToError is the table of how every kind of error reaches the client.
func TestToError(t *testing.T) {
	wrapped := func(err error) error { return fmt.Errorf("store: %w", err) }
	for _, c := range []struct {
		name     string
		err      error
		status   int
		scimType string
		internal bool
	}{
		{"scim error", errInvalidFilter("bad"), 400, ScimTypeInvalidFilter, false},
		{"wrapped scim error", wrapped(errMutability("ro")), 400, ScimTypeMutability, false},
		{"not found", wrapped(ErrNotFound), 404, "", false},
		{"conflict", wrapped(ErrConflict), 409, ScimTypeUniqueness, false},
		{"precondition", wrapped(ErrPreconditionFailed), 412, "", false},
		{"cancelled", wrapped(context.Canceled), 503, "", true},
		{"deadline", context.DeadlineExceeded, 503, "", true},
		{"unknown", errors.New("disk on fire"), 500, "", true},
		{"scim 500", NewError(500, "", "x"), 500, "", true},
		{"scim 501", NewError(501, "", "x"), 501, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, internal := toError(c.err)
			assert.Equal(t, c.status, statusCode(e))
			assert.Equal(t, c.scimType, e.ScimType)
			assert.Equal(t, c.internal, internal)
			assert.NotEmpty(t, e.Detail)
			if c.internal && c.status == 500 {
				assert.NotContains(t, e.Detail, "disk on fire", "internal text is never a detail")
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	for status, want := range map[int]int{
		304: 304, 307: 307, 308: 308, 400: 400, 401: 401, 404: 404, 409: 409, 412: 412, 413: 413, 415: 415,
		422: 422, 500: 500, 501: 501, 503: 503, 0: 500, 200: 500, 201: 500, 302: 500, 600: 500, -1: 500,
	} {
		assert.Equal(t, want, statusCode(&Error{Status: status}), "status %d", status)
	}
}
