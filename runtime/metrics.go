package runtime

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the worker's Prometheus metrics, labelled by connector and
// task. Names follow Kafka Connect's task metrics (source-record-poll-total
// becomes conflux_source_record_poll_total) so dashboards translate
// directly.
type metrics struct {
	sourcePolled     *prometheus.CounterVec
	sourceWritten    *prometheus.CounterVec
	sourceBytes      *prometheus.CounterVec
	sourceBatches    *prometheus.CounterVec
	sinkRead         *prometheus.CounterVec
	sinkBytes        *prometheus.CounterVec
	sinkSent         *prometheus.CounterVec
	sinkBatches      *prometheus.CounterVec
	recordErrors     *prometheus.CounterVec
	recordsSkipped   *prometheus.CounterVec
	offsetCommit     *prometheus.HistogramVec
	offsetCommitFail *prometheus.CounterVec
	sinkLag          *prometheus.GaugeVec
	dlqProduced      *prometheus.CounterVec
	snapshots        *snapshotProgress
}

var taskLabels = []string{"connector", "task"}

// newMetrics creates the worker's metrics and registers them with reg
// (nil: not registered, as in tests that build several workers).
func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "conflux", Name: name, Help: help}, taskLabels)
	}
	m := &metrics{
		sourcePolled:   counter("source_record_poll_total", "Records returned by source task polls, before transforms."),
		sourceWritten:  counter("source_record_write_total", "Source records acknowledged by Kafka after transforms and conversion."),
		sourceBytes:    counter("source_record_write_bytes_total", "Bytes of key and value of the source records acknowledged by Kafka, as converted."),
		sourceBatches:  counter("source_poll_batches_total", "Non-empty batches returned by source task polls."),
		sinkRead:       counter("sink_record_read_total", "Records read from Kafka by sink tasks, before conversion and transforms."),
		sinkBytes:      counter("sink_record_read_bytes_total", "Bytes of key and value of the records read from Kafka by sink tasks, before conversion."),
		sinkSent:       counter("sink_record_send_total", "Records handed to sink tasks' put after conversion and transforms."),
		sinkBatches:    counter("sink_put_batches_total", "Calls of sink tasks' put with records."),
		recordErrors:   counter("task_record_errors_total", "Records that failed in conversion, transformation, put or produce."),
		recordsSkipped: counter("task_records_skipped_total", "Records skipped because errors.tolerance=all."),
		offsetCommit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "conflux", Name: "offset_commit_seconds",
			Help:    "Time to flush source offsets or commit sink consumer offsets, task commit hooks included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, taskLabels),
		offsetCommitFail: counter("offset_commit_failures_total", "Offset flushes or commits that failed."),
		sinkLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "conflux", Name: "sink_consumer_lag",
			Help: "Records between a sink task's position and the end of each partition it consumes.",
		}, []string{"connector", "task", "topic", "partition"}),
		dlqProduced: counter("deadletterqueue_produce_requests_total", "Records written to the dead letter queue."),
		snapshots:   newSnapshotProgress(),
	}
	if reg != nil {
		for _, c := range m.collectors() {
			reg.MustRegister(c)
		}
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.sourcePolled, m.sourceWritten, m.sourceBytes, m.sourceBatches, m.sinkRead,
		m.sinkBytes, m.sinkSent, m.sinkBatches, m.recordErrors, m.recordsSkipped, m.offsetCommit, m.offsetCommitFail, m.sinkLag, m.dlqProduced, m.snapshots}
}

// taskMetrics are one task's children of the worker's metrics.
type taskMetrics struct {
	m                *metrics
	labels           prometheus.Labels
	polled, written  prometheus.Counter
	writtenBytes     prometheus.Counter
	readBytes        prometheus.Counter
	pollBatches      prometheus.Counter
	read, sent       prometheus.Counter
	putBatches       prometheus.Counter
	errors, skipped  prometheus.Counter
	commitFailures   prometheus.Counter
	dlqProduced      prometheus.Counter
	commitLatency    prometheus.Observer
	id               TaskID
	connector, taskS string
}

func (m *metrics) forTask(id TaskID) *taskMetrics {
	task := strconv.Itoa(id.Task)
	l := prometheus.Labels{"connector": id.Connector, "task": task}
	return &taskMetrics{
		m: m, labels: l, id: id, connector: id.Connector, taskS: task,
		polled: m.sourcePolled.With(l), written: m.sourceWritten.With(l), pollBatches: m.sourceBatches.With(l),
		writtenBytes: m.sourceBytes.With(l), readBytes: m.sinkBytes.With(l),
		read: m.sinkRead.With(l), sent: m.sinkSent.With(l), putBatches: m.sinkBatches.With(l),
		errors: m.recordErrors.With(l), skipped: m.recordsSkipped.With(l),
		commitFailures: m.offsetCommitFail.With(l), dlqProduced: m.dlqProduced.With(l),
		commitLatency: m.offsetCommit.With(l),
	}
}

// lag sets the sink consumer lag of one partition.
func (t *taskMetrics) lag(topic string, partition int32, lag int64) {
	t.m.sinkLag.WithLabelValues(t.connector, t.taskS, topic, strconv.Itoa(int(partition))).Set(float64(lag))
}

// forgetLag drops a partition's lag gauge when the task no longer owns it.
func (t *taskMetrics) forgetLag(topic string, partition int32) {
	t.m.sinkLag.DeleteLabelValues(t.connector, t.taskS, topic, strconv.Itoa(int(partition)))
}

// remove deletes the task's series once it stopped, so that a moved or
// deleted task leaves nothing stale behind.
func (t *taskMetrics) remove() {
	for _, c := range []*prometheus.CounterVec{t.m.sourcePolled, t.m.sourceWritten, t.m.sourceBytes, t.m.sourceBatches,
		t.m.sinkRead, t.m.sinkBytes, t.m.sinkSent, t.m.sinkBatches, t.m.recordErrors, t.m.recordsSkipped, t.m.offsetCommitFail, t.m.dlqProduced} {
		c.Delete(t.labels)
	}
	t.m.offsetCommit.Delete(t.labels)
	t.m.sinkLag.DeletePartialMatch(t.labels)
	t.m.snapshots.remove(t.id)
}
