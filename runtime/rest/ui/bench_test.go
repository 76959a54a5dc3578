package ui

import (
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"conflux/runtime/rest/ui/history"
)

// busyWorker returns a registry shaped like the metrics of a worker
// running connectors × tasks source and sink tasks (the families and
// labels of runtime's metrics, a 16-bucket commit histogram, and sink lag
// per partition), with every series set.
func busyWorker(connectors, tasks, partitions int) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	labels := []string{"connector", "task"}
	var counters []*prometheus.CounterVec
	for _, name := range []string{"source_record_poll_total", "source_record_write_total", "source_record_write_bytes_total",
		"source_poll_batches_total", "sink_record_read_total", "sink_record_read_bytes_total", "sink_record_send_total",
		"sink_put_batches_total", "task_record_errors_total", "task_records_skipped_total", "offset_commit_failures_total",
		"deadletterqueue_produce_requests_total"} {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "conflux", Name: name, Help: name}, labels)
		reg.MustRegister(c)
		counters = append(counters, c)
	}
	commit := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "conflux", Name: "offset_commit_seconds",
		Help: "commit", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, labels)
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "conflux", Name: "sink_consumer_lag", Help: "lag"},
		[]string{"connector", "task", "topic", "partition"})
	reg.MustRegister(commit, lag)
	for c := range connectors {
		conn := "connector-" + strconv.Itoa(c)
		for t := range tasks {
			task := strconv.Itoa(t)
			for _, cv := range counters {
				cv.WithLabelValues(conn, task).Add(1000)
			}
			commit.WithLabelValues(conn, task).Observe(0.004)
			for p := range partitions {
				lag.WithLabelValues(conn, task, "topic", strconv.Itoa(p)).Set(10)
			}
		}
	}
	return reg
}

// BenchmarkConsoleCost measures what the console costs a busy worker (8
// connectors of 4 tasks, 3 lag partitions each): one history sample, which
// the worker takes every second whether or not anyone looks, and one poll
// of a connector page (the newest sample of one connector's series),
// which each open browser tab makes every second. cpu-%-at-1Hz is the
// share of one core each takes at that rate.
//
//	go test ./runtime/rest/ui -run '^$' -bench ConsoleCost
func BenchmarkConsoleCost(b *testing.B) {
	reg := busyWorker(8, 4, 3)
	rec, err := history.New(history.Config{Gatherer: reg, Families: Families})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := range rec.Capacity() { // a full ring, as after 16 minutes
		rec.Sample(start.Add(time.Duration(i) * time.Second))
	}
	perSecond := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9*100, "cpu-%-at-1Hz")
	}

	b.Run("sample", func(b *testing.B) {
		b.ReportAllocs()
		i := rec.Capacity()
		for b.Loop() {
			rec.Sample(start.Add(time.Duration(i) * time.Second))
			i++
		}
		perSecond(b)
	})
	b.Run("poll-connector", func(b *testing.B) {
		b.ReportAllocs()
		last := rec.Since(0, nil).Last
		keep := func(k history.Key) bool { return k.Connector == "connector-3" }
		var buf []byte
		for b.Loop() {
			buf = appendWindow(buf[:0], rec.Since(last-1, keep), rec.Capacity())
		}
		perSecond(b)
	})
	b.Run("first-load-all", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendWindow(buf[:0], rec.Since(0, nil), rec.Capacity())
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
}
