package perf

import (
	"math"
	"testing"
	"time"
)

// simulate sends n records with the pacer against a fake clock in which each
// send costs sendCost and each sleep lasts the asked time plus oversleep. It
// returns the total elapsed time and the largest burst (records sent within
// one millisecond).
func simulate(p Pacer, n int64, sendCost, oversleep time.Duration) (time.Duration, int) {
	var now time.Duration
	burst, maxBurst := 0, 0
	windowStart := time.Duration(0)
	for i := range n {
		if d := p.Pause(i, now); d > 0 {
			now += d + oversleep
		}
		if now-windowStart >= time.Millisecond {
			windowStart, burst = now, 0
		}
		burst++
		maxBurst = max(maxBurst, burst)
		now += sendCost
	}
	return now, maxBurst
}

func TestPacerRate(t *testing.T) {
	tests := []struct {
		rate      float64
		n         int64
		oversleep time.Duration
	}{
		{10_000, 100_000, 0},
		{10_000, 100_000, 300 * time.Microsecond}, // coarse sleeps are caught up
		{500, 5_000, 2 * time.Millisecond},
		{1_000_000, 1_000_000, 0},
	}
	for _, tt := range tests {
		elapsed, maxBurst := simulate(NewPacer(tt.rate), tt.n, 200*time.Nanosecond, tt.oversleep)
		rate := float64(tt.n) / elapsed.Seconds()
		if math.Abs(rate-tt.rate)/tt.rate > 0.01 {
			t.Errorf("rate %v oversleep %v: achieved %.0f/s", tt.rate, tt.oversleep, rate)
		}
		// At most about 1 ms (+ oversleep) of records go out back to back.
		limit := int(tt.rate*(time.Millisecond+tt.oversleep).Seconds()) + 2
		if maxBurst > limit && tt.rate <= 10_000 {
			t.Errorf("rate %v: burst of %d records, want at most %d", tt.rate, maxBurst, limit)
		}
	}
}

func TestPacerUnlimited(t *testing.T) {
	for _, p := range []Pacer{{}, NewPacer(-1), NewPacer(0), NewPacer(math.Inf(1))} {
		if p.Limited() || p.Pause(1_000_000, 0) != 0 {
			t.Errorf("%+v limits the rate", p)
		}
	}
	p := NewPacer(1000)
	if !p.Limited() {
		t.Error("1000/s not limited")
	}
	if d := p.Pause(10, 0); d != 10*time.Millisecond {
		t.Errorf("record 10 at t=0: pause %v, want 10ms", d)
	}
	if d := p.Pause(10, 9500*time.Microsecond); d != 0 {
		t.Errorf("record 10 at 9.5ms: pause %v, want none (under a millisecond early)", d)
	}
	if d := p.Pause(10, time.Second); d != 0 {
		t.Errorf("late record paused %v", d)
	}
}
