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
	memoryFloor = 64 << 20
	// limitPerLive sets the soft limit at this many live heaps, GOGC's own
	// target (1 + gcPercent/100 live heaps): the heap may grow as GOGC
	// lets it, but not beyond, so a worker streaming a 30 MB live heap stays
	// under 100 MB of RSS. At 4 the same worker reached 122-140 MB for about
	// 10 % less CPU in the one-process pipeline (docs/performance.md).
	limitPerLive = 3
)

// TuneGC makes the garbage collector trade some memory for CPU, unless the
// environment sets GOGC or GOMEMLIMIT: GOGC becomes 200, and a soft memory
// limit of max(64 MiB, 3 × the live heap), followed once a second until
// ctx ends, keeps a pipeline's memory within what GOGC allows and returns
// freed memory to the system. The commands that run a worker call it.
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
