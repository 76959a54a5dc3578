package runtime

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"conflux/connectors"
)

// snapshotProgress knows the running source tasks of this worker that
// report snapshot progress (connectors.SnapshotReporter). It asks them
// when asked itself: by a status request or a metrics scrape, so a task
// pays nothing per row for being watched.
type snapshotProgress struct {
	tasks sync.Map // TaskID -> connectors.SnapshotReporter

	tables, tablesDone, completed *prometheus.Desc
	rows, rowsExpected            *prometheus.Desc
}

func newSnapshotProgress() *snapshotProgress {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("conflux_source_snapshot_"+name, help, append([]string{"connector", "task"}, labels...), nil)
	}
	return &snapshotProgress{
		tables:       desc("tables", "Tables the source task's snapshot copies."),
		tablesDone:   desc("tables_done", "Tables the source task's snapshot copied in full."),
		completed:    desc("completed", "1 once the source task's snapshot was read in full, else 0."),
		rows:         desc("rows", "Rows of one table the source task's snapshot read so far.", "table"),
		rowsExpected: desc("rows_expected", "Rows of one table the source task's snapshot expects: an estimate until the table is done, then the rows read.", "table"),
	}
}

// add starts watching a task, if it reports snapshots.
func (s *snapshotProgress) add(id TaskID, task connectors.SourceTask) {
	if rep, ok := task.(connectors.SnapshotReporter); ok {
		s.tasks.Store(id, rep)
	}
}

// remove stops watching a task.
func (s *snapshotProgress) remove(id TaskID) { s.tasks.Delete(id) }

// of returns a task's progress, or nil when the task is not running here
// or has no snapshot to report.
func (s *snapshotProgress) of(id TaskID) *connectors.SnapshotProgress {
	rep, ok := s.tasks.Load(id)
	if !ok {
		return nil
	}
	p, ok := rep.(connectors.SnapshotReporter).SnapshotProgress()
	if !ok {
		return nil
	}
	return &p
}

// Describe implements prometheus.Collector.
func (s *snapshotProgress) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.tables, s.tablesDone, s.completed, s.rows, s.rowsExpected} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *snapshotProgress) Collect(ch chan<- prometheus.Metric) {
	s.tasks.Range(func(k, _ any) bool {
		id := k.(TaskID)
		p := s.of(id)
		if p == nil {
			return true
		}
		task := strconv.Itoa(id.Task)
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{id.Connector, task}, labels...)...)
		}
		completed := 0.0
		if p.Completed {
			completed = 1
		}
		gauge(s.tables, float64(p.TablesTotal))
		gauge(s.tablesDone, float64(p.TablesDone))
		gauge(s.completed, completed)
		for _, tb := range p.Tables {
			gauge(s.rows, float64(tb.RowsDone), tb.Table)
			gauge(s.rowsExpected, float64(tb.RowsTotal), tb.Table)
		}
		return true
	})
}
