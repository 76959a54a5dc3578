package datagen

import (
	"context"
	"math/rand/v2"
	"time"
)

// clock is the time source of pacing and of the now generator; tests
// replace it.
type clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// maxLag bounds how far a pacer catches up after falling behind (a slow
// producer, a paused task): at most this much time's worth of records is
// released at once, so throttled output never turns into a long burst.
const maxLag = time.Second

// pacer spaces records in time: evenly at a rate, or by random gaps in
// [0, maxInterval) as Confluent's connector sleeps before each record. It
// keeps a schedule (the due time of the next record) rather than sleeping
// per record, so a Poll can return every record that is due in one batch.
type pacer struct {
	clock       clock
	interval    time.Duration // fixed gap (rate), or 0
	maxInterval time.Duration // random gaps, when interval is 0
	rnd         *rand.Rand    // draws the random gaps; not the data's generator
	next        time.Time     // due time of the next record; zero before the first
}

// newPacer returns the pacer for the settings, or nil when records should
// come as fast as possible.
func newPacer(s *settings, c clock, seed uint64) *pacer {
	p := &pacer{clock: c, rnd: rand.New(rand.NewPCG(seed, 0x7061636572))}
	switch {
	case s.rate > 0:
		p.interval = max(time.Duration(float64(time.Second)/s.rate), 1)
	case s.rate < 0 || s.maxInterval <= 0:
		return nil
	default:
		p.maxInterval = s.maxInterval
	}
	return p
}

func (p *pacer) gap() time.Duration {
	if p.interval > 0 {
		return p.interval
	}
	return time.Duration(p.rnd.Int64N(int64(p.maxInterval)))
}

// take waits until at least one record is due and returns how many are due
// now, at most limit. It returns 0 when ctx is done or stop is closed first.
func (p *pacer) take(ctx context.Context, stop <-chan struct{}, limit int) int {
	for {
		now := p.clock.Now()
		if p.next.IsZero() {
			p.next = now
			if p.interval == 0 {
				p.next = now.Add(p.gap())
			}
		}
		if now.Sub(p.next) > maxLag {
			p.next = now.Add(-maxLag)
		}
		if !p.next.After(now) {
			n := 0
			for n < limit && !p.next.After(now) {
				n++
				p.next = p.next.Add(p.gap())
			}
			return n
		}
		select {
		case <-p.clock.After(p.next.Sub(now)):
		case <-ctx.Done():
			return 0
		case <-stop:
			return 0
		}
	}
}
