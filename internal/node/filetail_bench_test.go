package node

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkFileTailToTopic measures filetail end to end: a file of
// 200-byte lines, written beforehand, tailed into a topic of a standalone
// node (JsonConverter with schemas.enable=false; with the producer's
// default lz4 and without compression), timed from the connector's creation until the topic's end offsets
// add up to every line. CONFLUX_BENCH_RECORDS sets the line count
// (default 1,000,000; 100,000 with -short).
//
//	go test ./internal/node -run '^$' -bench FileTailToTopic -benchtime 1x
func BenchmarkFileTailToTopic(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	TuneGC(ctx)
	b.Run("lz4", func(b *testing.B) { benchFileTail(b, "") })
	b.Run("uncompressed", func(b *testing.B) { benchFileTail(b, `,"producer.override.compression.type":"none"`) })
}

// benchFileTail runs the benchmark with extra connector settings (JSON
// members with a leading comma).
func benchFileTail(b *testing.B, settings string) {
	const lineLen = 200
	lines := 1_000_000
	if testing.Short() {
		lines = 100_000
	}
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_RECORDS")); err == nil && n > 0 {
		lines = n
	}
	for i := range b.N {
		b.StopTimer()
		dir := b.TempDir()
		path := filepath.Join(dir, "app.log")
		writeLogLines(b, path, lines, lineLen)
		base := startStandalone(b, dir)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		postConnector(b, base, fmt.Sprintf(`{"name":"tail%d","config":{"connector.class":"filetail","paths":%q,"topic":"logs",`+
			`"value.converter.schemas.enable":"false"%s}}`, i, path, settings))
		waitTopicEnd(b, base, "logs", int64(lines), 5*time.Minute)
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		b.ReportMetric(float64(lines)*lineLen/1e6/elapsed.Seconds(), "MB/s")
		b.ReportMetric(float64(lines)/elapsed.Seconds(), "lines/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(lines), "cpu-µs/line")
	}
}

// writeLogLines writes n numbered lines of lineLen bytes, newline
// included.
func writeLogLines(tb testing.TB, path string, n, lineLen int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	pad := strings.Repeat("x", lineLen)
	for i := range n {
		head := fmt.Sprintf("%d level=info msg=", i)
		w.WriteString(head + pad[:lineLen-1-len(head)] + "\n")
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// waitTopicEnd waits until the end offsets of topic's partitions add up to
// n, asking the console's topics endpoint.
func waitTopicEnd(tb testing.TB, base, topic string, n int64, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	var sum int64
	for {
		var topics []struct {
			Name       string
			Partitions []struct{ End int64 }
		}
		getJSON(tb, base+"/ui/api/topics", &topics)
		sum = 0
		for _, t := range topics {
			if t.Name == topic {
				for _, p := range t.Partitions {
					sum += max(p.End, 0)
				}
			}
		}
		if sum >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("topic %s has %d records after %v; want %d", topic, sum, within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
