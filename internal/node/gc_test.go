package node

import "testing"

// TestMemoryLimitFollowsLargestRecentLiveHeap checks that one low live
// heap does not drop the soft limit to the floor while a larger one is
// still within the window, and that the larger one ages out.
func TestMemoryLimitFollowsLargestRecentLiveHeap(t *testing.T) {
	var l memoryLimit
	if got := l.observe(1 << 20); got != memoryFloor {
		t.Fatalf("small live heap: limit %d, want the floor %d", got, memoryFloor)
	}
	const big = 40 << 20
	if got := l.observe(big); got != limitPerLive*big {
		t.Fatalf("live heap of 40 MiB: limit %d, want %d", got, limitPerLive*big)
	}
	samples := len(l.live)
	for i := 1; i < samples; i++ {
		if got := l.observe(30 << 20); got != limitPerLive*big {
			t.Fatalf("%d samples after the 40 MiB heap: limit %d, want %d", i, got, limitPerLive*big)
		}
	}
	if got := l.observe(30 << 20); got != limitPerLive*(30<<20) {
		t.Fatalf("once the 40 MiB heap left the window: limit %d, want %d", got, limitPerLive*(30<<20))
	}
}
