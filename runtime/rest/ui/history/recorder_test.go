package history

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	written = "conflux_source_record_write_total"
	lag     = "conflux_sink_consumer_lag"
)

var families = []Family{{Name: written, Kind: Rate}, {Name: lag, Kind: Level}}

// metric is one metric a sample finds: a family's value for a task, with
// an optional partition label (which the recorder sums over).
type metric struct {
	family, connector, task, partition string
	value                              float64
}

// exposition is a collector that exposes the metrics a test sets, as the
// worker's registry would: counters and gauges with connector and task
// labels.
type exposition struct {
	mu      sync.Mutex
	metrics []metric
}

func (e *exposition) set(ms ...metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics = ms
}

func (e *exposition) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(e, ch) }

func (e *exposition) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.metrics {
		typ := prometheus.CounterValue
		if m.family == lag {
			typ = prometheus.GaugeValue
		}
		desc := prometheus.NewDesc(m.family, "test", []string{"connector", "task", "partition"}, nil)
		ch <- prometheus.MustNewConstMetric(desc, typ, m.value, m.connector, m.task, m.partition)
	}
}

// record runs a Recorder of capacity samples in a synctest bubble: before
// each sample the exposition shows the metrics of one step. It returns the
// recorder after the last sample.
func record(t *testing.T, capacity int, steps [][]metric) *Recorder {
	t.Helper()
	var rec *Recorder
	synctest.Test(t, func(t *testing.T) {
		exp := &exposition{}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(exp)
		var err error
		rec, err = New(Config{Gatherer: reg, Families: families, Capacity: capacity})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- rec.Run(ctx) }()
		// Samples are taken at 1 s, 2 s …; each step is shown half a
		// second before its sample.
		time.Sleep(rec.Interval() / 2)
		for _, step := range steps {
			exp.set(step...)
			time.Sleep(rec.Interval())
			synctest.Wait()
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return rec
}

// nan marks a sample without a point in the expected points.
var nan = float32(math.NaN())

func samePoints(got, want []float32) bool {
	return slices.EqualFunc(got, want, func(a, b float32) bool {
		return a == b || math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	})
}

func TestRecorderPoints(t *testing.T) {
	w := func(v float64) metric { return metric{family: written, connector: "c", task: "0", value: v} }
	tests := []struct {
		name   string
		steps  [][]metric
		key    Key
		points []float32
		latest float64
	}{
		{
			name:   "a counter is plotted as its rate, from its second sample on",
			steps:  [][]metric{{w(5)}, {w(15)}, {w(15)}, {w(18)}},
			key:    Key{written, "c", "0"},
			points: []float32{nan, 10, 0, 3},
			latest: 18,
		},
		{
			name:   "a counter that went back to zero restarted: its value is the increase",
			steps:  [][]metric{{w(10)}, {w(20)}, {w(4)}},
			key:    Key{written, "c", "0"},
			points: []float32{nan, 10, 4},
			latest: 4,
		},
		{
			name:   "a series missing from samples has no points there, and no rate right after",
			steps:  [][]metric{{w(1)}, {w(2)}, nil, nil, {w(50)}, {w(57)}},
			key:    Key{written, "c", "0"},
			points: []float32{nan, 1, nan, nan, nan, 7},
			latest: 57,
		},
		{
			name:   "a series that appears late has no points before",
			steps:  [][]metric{nil, nil, {w(3)}, {w(4)}},
			key:    Key{written, "c", "0"},
			points: []float32{nan, nan, nan, 1},
			latest: 4,
		},
		{
			name: "a gauge is plotted as its value, summed over partitions",
			steps: [][]metric{
				{{family: lag, connector: "s", task: "1", partition: "0", value: 7}, {family: lag, connector: "s", task: "1", partition: "1", value: 3}},
				{{family: lag, connector: "s", task: "1", partition: "0", value: 0}, {family: lag, connector: "s", task: "1", partition: "1", value: 2}},
			},
			key:    Key{lag, "s", "1"},
			points: []float32{10, 2},
			latest: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t, 100, tt.steps)
			win := rec.Since(0, nil)
			if win.First != 1 || win.Last != uint64(len(tt.steps)) || len(win.Times) != len(tt.steps) {
				t.Fatalf("window of samples %d..%d with %d times, want 1..%d", win.First, win.Last, len(win.Times), len(tt.steps))
			}
			for i := 1; i < len(win.Times); i++ {
				if d := win.Times[i] - win.Times[i-1]; d != 1000 {
					t.Errorf("samples %d and %d are %d ms apart, want 1000", i-1, i, d)
				}
			}
			if len(win.Series) != 1 || win.Series[0].Key != tt.key {
				t.Fatalf("series %+v, want only %v", win.Series, tt.key)
			}
			if s := win.Series[0]; !samePoints(s.Points, tt.points) || s.Latest != tt.latest {
				t.Errorf("points %v latest %v, want %v latest %v", s.Points, s.Latest, tt.points, tt.latest)
			}
		})
	}
}

func TestRecorderSince(t *testing.T) {
	// Ten samples in a ring of four: a counter growing by 2 a second, and
	// another task seen only in the first two samples.
	var steps [][]metric
	for i := range 10 {
		step := []metric{{family: written, connector: "a", task: "0", value: float64(2 * i)}}
		if i < 2 {
			step = append(step, metric{family: written, connector: "b", task: "0", value: 1})
		}
		steps = append(steps, step)
	}
	rec := record(t, 4, steps)
	a := Key{written, "a", "0"}

	tests := []struct {
		name        string
		after       uint64
		keep        func(Key) bool
		first, last uint64
		series      []Key
	}{
		{name: "everything still in the ring", after: 0, first: 7, last: 10, series: []Key{a}},
		{name: "after a sample", after: 8, first: 9, last: 10, series: []Key{a}},
		{name: "after the newest sample: nothing", after: 10, first: 0, last: 10},
		{name: "after a future sample: nothing", after: 99, first: 0, last: 10},
		{name: "filtered out", after: 0, keep: func(k Key) bool { return k.Connector == "b" }, first: 7, last: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			win := rec.Since(tt.after, tt.keep)
			if win.First != tt.first || win.Last != tt.last {
				t.Errorf("samples %d..%d, want %d..%d", win.First, win.Last, tt.first, tt.last)
			}
			var keys []Key
			for _, s := range win.Series {
				keys = append(keys, s.Key)
				if want := make([]float32, len(win.Times)); !samePoints(s.Points, fill(want, 2)) {
					t.Errorf("%v: points %v, want 2 a second", s.Key, s.Points)
				}
			}
			if !slices.Equal(keys, tt.series) {
				t.Errorf("series %v, want %v", keys, tt.series)
			}
			if tt.first != 0 && len(win.Times) != int(tt.last-tt.first+1) {
				t.Errorf("%d times for samples %d..%d", len(win.Times), tt.first, tt.last)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if _, kept := rec.series[Key{written, "b", "0"}]; kept {
		t.Error("a series unseen for a whole ring is still held")
	}
}

func fill(s []float32, v float32) []float32 {
	for i := range s {
		s[i] = v
	}
	return s
}

func TestRecorderSortsSeries(t *testing.T) {
	step := []metric{
		{family: written, connector: "b", task: "0", value: 1},
		{family: written, connector: "a", task: "10", value: 1},
		{family: written, connector: "a", task: "9", value: 1},
		{family: lag, connector: "a", task: "9", value: 1},
	}
	rec := record(t, 10, [][]metric{step})
	var got []Key
	for _, s := range rec.Since(0, nil).Series {
		got = append(got, s.Key)
	}
	want := []Key{{lag, "a", "9"}, {written, "a", "9"}, {written, "a", "10"}, {written, "b", "0"}}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, cfg := range []Config{
		{Families: families},
		{Gatherer: reg},
		{Gatherer: reg, Families: families, Interval: -time.Second},
		{Gatherer: reg, Families: families, Capacity: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
}
