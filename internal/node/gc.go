package node

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
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
	// limitWindow is how long a live heap counts: the soft limit follows
	// the largest live heap of the last two seconds, sampled every
	// limitSample. The live heap of a pipeline swings between 13 and 40 MB
	// from one collection to the next; a limit made from the latest figure
	// alone (as it was, once a second) collected at the 64 MiB floor for
	// whole seconds after a low one, a fifth of the pipeline's CPU.
	limitWindow = 2 * time.Second
	limitSample = 100 * time.Millisecond
)

// TuneGC makes the garbage collector trade some memory for CPU, unless the
// environment sets GOGC or GOMEMLIMIT: GOGC becomes 200, and a soft memory
// limit of max(64 MiB, 3 × the largest live heap of the last two seconds),
// followed every 100 ms until ctx ends, keeps a pipeline's memory within
// what GOGC allows and returns freed memory to the system. The commands
// that run a worker call it.
func TuneGC(ctx context.Context) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memoryFloor)
	go func() {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(limitSample)
		defer tick.Stop()
		var limit memoryLimit
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(limit.observe(int64(live[0].Value.Uint64())))
			}
		}
	}()
}

// memoryLimit derives the soft memory limit from the live heaps of the
// last limitWindow, one observation every limitSample.
type memoryLimit struct {
	live [limitWindow / limitSample]int64
	next int
}

// observe records the latest live heap and returns the limit:
// max(memoryFloor, limitPerLive × the largest live heap in the window).
func (l *memoryLimit) observe(live int64) int64 {
	l.live[l.next] = live
	l.next = (l.next + 1) % len(l.live)
	return max(memoryFloor, limitPerLive*slices.Max(l.live[:]))
}
