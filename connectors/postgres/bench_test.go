package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"conflux/internal/pgtest"
)

// benchRows is the table size of the snapshot benchmark:
// CONFLUX_BENCH_ROWS, default 1,000,000.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchTable is the benchmarks' 10-column table.
var benchTable = pgtest.BenchTable("bench")

func benchInsert(from, to int) string { return pgtest.BenchInsert("bench", from, to) }

// drain polls the task until n change records arrived, committing as the
// runtime does, and returns when the last came.
func drain(b *testing.B, task *Task, store *offsetStore, n int) {
	b.Helper()
	got := 0
	for got < n {
		recs, err := task.Poll(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if r.Value != nil && r.Topic == "dbserver1.public.bench" {
				got++
			}
		}
		store.commit(recs)
	}
}

// BenchmarkSnapshot measures the snapshot of a table of benchRows
// 10-column rows through the task: rows read, decoded and wrapped in
// Debezium envelopes per second, with the process's peak RSS.
//
//	go test ./connectors/postgres -run '^$' -bench Snapshot -benchtime 1x
func BenchmarkSnapshot(b *testing.B) {
	rows := benchRows()
	h := newHarness(b, benchTable, benchInsert(1, rows), "VACUUM ANALYZE public.bench")
	h.config["snapshot.mode"] = "initial_only"
	for i := range b.N {
		h.config["slot.name"] = fmt.Sprintf("bench%d", i)
		h.store = &offsetStore{}
		start := time.Now()
		h.start()
		drain(b, h.task, h.store, rows)
		elapsed := time.Since(start)
		h.stop()
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkStream measures streaming: another session inserts benchRows/4
// rows in transactions of 1,000 as fast as it can while the task reads
// them; rows/s is from the first insert to the last record.
//
//	go test ./connectors/postgres -run '^$' -bench Stream -benchtime 1x
func BenchmarkStream(b *testing.B) {
	rows := benchRows() / 4
	h := newHarness(b, benchTable)
	h.config["snapshot.mode"] = "no_data"
	for i := range b.N {
		h.config["slot.name"] = fmt.Sprintf("bench%d", i)
		h.store = &offsetStore{}
		h.start()
		h.pg.Exec(b, h.db, "TRUNCATE public.bench")
		start := time.Now()
		done := make(chan struct{})
		writer := h.pg.Connect(b, h.db)
		go func() {
			defer close(done)
			for from := 1; from <= rows; from += 1000 {
				if _, err := writer.Exec(context.Background(), benchInsert(from, from+999)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		drain(b, h.task, h.store, rows)
		elapsed := time.Since(start)
		<-done
		h.stop()
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// peakRSSMiB is the process's peak resident set size.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
