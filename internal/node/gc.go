package node

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Garbage collector settings of a worker process.
const (
	// gcPercent is the GOGC a worker runs with: a data pipeline allocates
	// at a high, steady rate, and at Go's default (100) the collector took
	// about a tenth of its CPU.
	gcPercent = 200
	// memoryFloor is the soft memory limit while the live heap is small:
	// the collector then runs as GOGC says, but freed memory goes back to
	// the system instead of growing the process.
	memoryFloor = 120 << 20
	// limitPerLive keeps the soft limit this many live heaps above zero,
	// above GOGC's own target (1 + gcPercent/100 live heaps), so that the
	// limit never makes the collector run more often than GOGC would.
	limitPerLive = 4
)

// TuneGC makes the garbage collector trade some memory for CPU, unless the
// environment sets GOGC or GOMEMLIMIT: GOGC becomes 200, and a soft memory
// limit of max(120 MiB, 4 × the live heap), followed once a second until
// ctx ends, keeps a small pipeline's memory bounded without ever pacing the
// collector harder than GOGC. The commands that run a worker call it.
func TuneGC(ctx context.Context) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memoryFloor)
	go func() {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(max(memoryFloor, limitPerLive*int64(live[0].Value.Uint64())))
			}
		}
	}()
}
