package perf

import (
	"math"
	"time"
)

// minPause is the shortest pause the Pacer asks for. Shorter gaps are not
// slept (a sleep that short costs more than it saves and oversleeps anyway):
// the records go out back to back and the schedule is caught up later.
const minPause = time.Millisecond

// Pacer spaces records to hit a target rate. It schedules record i at
// i/rate seconds after the start, so sleeping too long is made up by sending
// the next records without pause, and the average rate stays exact however
// coarse the sleeps are. The zero value and a Pacer with a rate <= 0 never
// pause.
type Pacer struct {
	nsPerRecord float64
}

// NewPacer returns a Pacer for rate records per second; rate <= 0 means
// unlimited.
func NewPacer(rate float64) Pacer {
	if rate <= 0 || math.IsInf(rate, 1) || math.IsNaN(rate) {
		return Pacer{}
	}
	return Pacer{nsPerRecord: 1e9 / rate}
}

// Limited reports whether the pacer limits the rate at all.
func (p Pacer) Limited() bool { return p.nsPerRecord > 0 }

// Pause returns how long to wait before sending record i (counted from 0)
// when elapsed time has passed since the first record: zero when the record
// is due or less than a millisecond early.
func (p Pacer) Pause(i int64, elapsed time.Duration) time.Duration {
	if p.nsPerRecord == 0 {
		return 0
	}
	due := time.Duration(float64(i) * p.nsPerRecord)
	if ahead := due - elapsed; ahead >= minPause {
		return ahead
	}
	return 0
}
