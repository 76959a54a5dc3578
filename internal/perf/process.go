package perf

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcessCPU returns the CPU time (user + system) this process has used so
// far; the difference of two calls is what a phase cost, threads included.
func ProcessCPU() time.Duration {
	user, sys := processCPU()
	return user + sys
}

// PeakRSSMB returns the most resident memory this process has had (VmHWM),
// in MB, or 0 where /proc is not available.
func PeakRSSMB() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
