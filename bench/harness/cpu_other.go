//go:build !unix

package harness

import "time"

// processCPU is not measured on this platform; CPU columns show 0.
func processCPU() time.Duration { return 0 }

// postgresCPU is not measured on this platform.
func postgresCPU() time.Duration { return 0 }
