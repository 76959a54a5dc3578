//go:build !unix

package perf

import "time"

// processCPU is not available on this platform and reports zero.
func processCPU() (user, sys time.Duration) { return 0, 0 }
