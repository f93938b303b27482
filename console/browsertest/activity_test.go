package browsertest

import (
	"context"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/console"
)

// activityOptions wires the provisioning log and events into the stack.
func activityOptions(t *testing.T, s *stack) ([]scim.Option, []console.Option) {
	return nil, nil
}

// checkActivity looks at the Activity page after the replay.
func checkActivity(t *testing.T, ctx context.Context, s *stack) {
}
