package history

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Defaults of Config's optional fields.
const (
	// DefaultInterval is the time between two samples.
	DefaultInterval = time.Second
	// DefaultCapacity is how many samples each series keeps: 16 minutes
	// at one sample a second.
	DefaultCapacity = 960
)

// Kind says how a family's samples become points.
type Kind int

const (
	// Rate plots a counter as its increase per second since the previous
	// sample.
	Rate Kind = iota
	// Level plots a gauge's value.
	Level
)

// Family is a metric family to record, by its full name
// (conflux_source_record_write_total).
type Family struct {
	Name string
	Kind Kind
}

// Key names one series: a family's value for one connector task.
type Key struct {
	Family    string
	Connector string
	Task      string
}

// Config configures a Recorder. Gatherer and Families are required.
type Config struct {
	// Gatherer is sampled: the registry /metrics serves.
	Gatherer prometheus.Gatherer
	// Families are the families recorded; others are ignored. Their
	// metrics are told apart by their "connector" and "task" labels and
	// summed over any other label.
	Families []Family
	// Interval is the time between samples; 0 means DefaultInterval.
	Interval time.Duration
	// Capacity is the number of samples each series keeps; 0 means
	// DefaultCapacity.
	Capacity int
	// Logger receives gathering errors; nil discards them.
	Logger *slog.Logger
}

// Recorder samples a Gatherer into rings. Its methods are safe for
// concurrent use.
type Recorder struct {
	gatherer prometheus.Gatherer
	kinds    map[string]Kind
	interval time.Duration
	capacity int
	log      *slog.Logger

	mu     sync.Mutex
	next   uint64  // sequence number of the next sample; the first is 1
	times  []int64 // Unix milliseconds of sample n at n % capacity
	series map[Key]*series
	// scratch is reused by every sample to sum each key's metrics.
	scratch map[Key]float64
	lastErr string
}

// series is one ring and what computing its next point needs.
type series struct {
	values  []float32 // the point of sample n at n % capacity
	last    uint64    // sequence number of the last sample that saw it
	prevRaw float64   // the metric's value at that sample
	prevAt  time.Time
}

// New checks cfg and returns a Recorder that has taken no sample yet.
func New(cfg Config) (*Recorder, error) {
	if cfg.Gatherer == nil || len(cfg.Families) == 0 {
		return nil, fmt.Errorf("%w: a gatherer and at least one family are needed", ErrInvalidConfig)
	}
	if cfg.Interval < 0 || cfg.Capacity < 0 {
		return nil, fmt.Errorf("%w: negative interval or capacity", ErrInvalidConfig)
	}
	r := &Recorder{
		gatherer: cfg.Gatherer,
		kinds:    make(map[string]Kind, len(cfg.Families)),
		interval: cfg.Interval,
		capacity: cfg.Capacity,
		log:      cfg.Logger,
		next:     1,
		series:   make(map[Key]*series),
		scratch:  make(map[Key]float64),
	}
	for _, f := range cfg.Families {
		r.kinds[f.Name] = f.Kind
	}
	if r.interval == 0 {
		r.interval = DefaultInterval
	}
	if r.capacity == 0 {
		r.capacity = DefaultCapacity
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.times = make([]int64, r.capacity)
	return r, nil
}

// Interval returns the time between two samples.
func (r *Recorder) Interval() time.Duration { return r.interval }

// Capacity returns the number of samples each series keeps.
func (r *Recorder) Capacity() int { return r.capacity }

// Run samples once per interval until ctx ends, then returns ctx.Err().
func (r *Recorder) Run(ctx context.Context) error {
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			r.Sample(now)
		}
	}
}

// Sample gathers the metrics and appends one point to every series, as
// taken at now; Run calls it once per interval.
func (r *Recorder) Sample(now time.Time) {
	mfs, err := r.gatherer.Gather()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.noteError(err)
	clear(r.scratch)
	for _, mf := range mfs {
		kind, ok := r.kinds[mf.GetName()]
		if !ok {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := Key{Family: mf.GetName()}
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "connector":
					k.Connector = l.GetValue()
				case "task":
					k.Task = l.GetValue()
				}
			}
			r.scratch[k] += valueOf(m, kind)
		}
	}

	seq := r.next
	r.next++
	slot := int(seq % uint64(r.capacity))
	r.times[slot] = now.UnixMilli()
	for k, raw := range r.scratch {
		s := r.series[k]
		if s == nil {
			s = &series{values: make([]float32, r.capacity)}
			for i := range s.values {
				s.values[i] = float32(math.NaN())
			}
			r.series[k] = s
		}
		s.values[slot] = float32(s.point(seq, raw, now, r.kinds[k.Family], r.capacity))
		s.last, s.prevRaw, s.prevAt = seq, raw, now
	}
	for k, s := range r.series {
		if seq-s.last >= uint64(r.capacity) {
			delete(r.series, k) // nothing of it is left in the ring
		}
	}
}

// point returns the point of sample seq for the metric's value raw, and
// marks the samples it missed since it was last seen.
func (s *series) point(seq uint64, raw float64, now time.Time, kind Kind, capacity int) float64 {
	nan := math.NaN()
	continued := s.last != 0 && s.last == seq-1
	if s.last != 0 && !continued {
		for n := max(s.last+1, seq-min(seq, uint64(capacity))+1); n < seq; n++ {
			s.values[n%uint64(capacity)] = float32(nan)
		}
	}
	if kind == Level {
		return raw
	}
	// A counter needs the previous sample for a rate. One seen again after
	// a gap was recreated (its task restarted): its old value says nothing.
	if !continued {
		return nan
	}
	dt := now.Sub(s.prevAt).Seconds()
	if dt <= 0 {
		return nan
	}
	delta := raw - s.prevRaw
	if delta < 0 {
		delta = raw // reset to zero in between
	}
	return delta / dt
}

// valueOf reads a metric as kind: a counter's or untyped value, or a
// gauge's.
func valueOf(m *dto.Metric, kind Kind) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// noteError logs a gathering error when it differs from the last one, so
// that a lasting problem is logged once, not every second.
func (r *Recorder) noteError(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg != r.lastErr && msg != "" {
		r.log.Warn("metrics history: gathering the metrics failed; recording what was gathered", "error", err)
	}
	r.lastErr = msg
}

// Window is the recorded history after some sample.
type Window struct {
	// Interval is the time between samples.
	Interval time.Duration
	// Last is the sequence number of the newest sample, 0 before the
	// first; pass it to the next Since to get only newer samples.
	Last uint64
	// First is the sequence number of Times[0].
	First uint64
	// Times are the Unix milliseconds of the samples, oldest first.
	Times []int64
	// Series hold one point per sample, NaN where a series had none,
	// sorted by key; only series with a point in the window are there.
	Series []Series
}

// Series is one series of a Window.
type Series struct {
	Key
	// Latest is the metric's value at its last sample: a counter's total,
	// a gauge's value.
	Latest float64
	// Points are the series' points, one per Window.Times.
	Points []float32
}

// Since returns the samples taken after sequence number after (0: every
// sample still in the rings), of the series keep accepts (nil: all).
func (r *Recorder) Since(after uint64, keep func(Key) bool) Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := Window{Interval: r.interval, Last: r.next - 1}
	oldest := uint64(1)
	if r.next > uint64(r.capacity) {
		oldest = r.next - uint64(r.capacity)
	}
	first := max(after+1, oldest)
	if first > w.Last {
		return w
	}
	w.First = first
	n := int(w.Last - first + 1)
	w.Times = make([]int64, n)
	for i := range n {
		w.Times[i] = r.times[(first+uint64(i))%uint64(r.capacity)]
	}
	for k, s := range r.series {
		if s.last < first || keep != nil && !keep(k) {
			continue
		}
		ser := Series{Key: k, Latest: s.prevRaw, Points: make([]float32, n)}
		for i := range n {
			seq := first + uint64(i)
			if seq > s.last {
				ser.Points[i] = float32(math.NaN())
			} else {
				ser.Points[i] = s.values[seq%uint64(r.capacity)]
			}
		}
		w.Series = append(w.Series, ser)
	}
	sortSeries(w.Series)
	return w
}
