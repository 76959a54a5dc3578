// Package history keeps the recent past of the worker's Prometheus metrics
// in memory, so that the web console can plot them: a [Recorder] gathers a
// prometheus.Gatherer (the registry /metrics serves) once per interval and
// appends one point per connector task and tracked family to fixed-size
// rings, counters as their per-second rate, gauges as their value summed
// over the other labels (the sink lag of every partition of a task).
//
// Every series shares one clock: sample n of every series was taken at
// Times[n], and a series without a value at a sample (not yet created,
// gone, or on the first sample of a counter, which has no rate yet) holds
// NaN there. [Recorder.Since] returns the samples after a sequence number,
// so a page that polls every second receives one new point per series.
//
// The one thing to know: memory is fixed by Capacity × series, whatever
// the uptime; a series that has not been seen for a whole ring is dropped.
package history
