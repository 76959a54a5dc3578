package postgres

import (
	"sync"
	"sync/atomic"

	"conflux/connectors"
)

// progress is what the task tells of its snapshot. The reader writes it
// (a row count per row, atomically); status requests and metrics scrapes
// read it from other goroutines.
type progress struct {
	planned   atomic.Bool
	completed atomic.Bool

	mu     sync.Mutex
	tables []*tableProgress // set once, when the snapshot lists its tables
}

// tableProgress is one table's count.
type tableProgress struct {
	name     string
	rows     atomic.Int64
	expected atomic.Int64
	done     atomic.Bool
}

// begin records the tables the snapshot reads and how many rows each is
// expected to hold.
func (p *progress) begin(names []string, expected []int64) []*tableProgress {
	tables := make([]*tableProgress, len(names))
	for i, n := range names {
		tables[i] = &tableProgress{name: n}
		tables[i].expected.Store(expected[i])
	}
	p.mu.Lock()
	p.tables = tables
	p.mu.Unlock()
	return tables
}

// finish marks a table read in full; its expected count becomes the rows
// read, which the estimate may have missed.
func (tp *tableProgress) finish() {
	tp.expected.Store(tp.rows.Load())
	tp.done.Store(true)
}

// SnapshotProgress implements connectors.SnapshotReporter: tables and rows
// read so far, with each table's expected rows estimated from pg_class
// until it is done.
func (t *Task) SnapshotProgress() (connectors.SnapshotProgress, bool) {
	p := &t.progress
	if !p.planned.Load() {
		return connectors.SnapshotProgress{}, false
	}
	p.mu.Lock()
	tables := p.tables
	p.mu.Unlock()
	out := connectors.SnapshotProgress{TablesTotal: len(tables), Tables: make([]connectors.TableProgress, len(tables))}
	for i, tp := range tables {
		done := tp.done.Load()
		tb := connectors.TableProgress{Table: tp.name, RowsDone: tp.rows.Load(), RowsTotal: tp.expected.Load(), Done: done}
		if done {
			out.TablesDone++
		}
		out.RowsDone += tb.RowsDone
		out.RowsTotal += tb.RowsTotal
		out.Tables[i] = tb
	}
	out.Completed = p.completed.Load()
	return out, true
}
