package node

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"conflux/internal/pgtest"
)

// BenchmarkPostgresSnapshotToTopic measures the CDC source end to end: a
// 10-column table of CONFLUX_BENCH_ROWS rows (default 1,000,000)
// snapshotted by a standalone node into its topic with the JsonConverter
// envelope, timed from the connector's creation until the topic holds
// every row.
//
//	go test ./internal/node -run '^$' -bench PostgresSnapshotToTopic -benchtime 1x
func BenchmarkPostgresSnapshotToTopic(b *testing.B) {
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	TuneGC(ctx)
	pg := pgtest.Start(b)
	db := pg.CreateDatabase(b, "bench")
	pg.Exec(b, db, pgtest.BenchTable("bench"), pgtest.BenchInsert("bench", 1, rows),
		"VACUUM ANALYZE public.bench")
	for i := range b.N {
		b.StopTimer()
		base := startStandalone(b, b.TempDir())
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		postConnector(b, base, fmt.Sprintf(`{"name":"pg%d","config":{"connector.class":"postgres","database.url":%q,
			"topic.prefix":"bench%d","slot.name":"bench%d","snapshot.mode":"initial_only"%s}}`, i, pg.DSN(db), i, i, os.Getenv("CONFLUX_BENCH_SETTINGS")))
		waitTopicEnd(b, base, fmt.Sprintf("bench%d.public.bench", i), int64(rows), 10*time.Minute)
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(rows), "cpu-µs/row")
	}
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}
