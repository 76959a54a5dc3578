package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"conflux/broker"
	"conflux/internal/perf"
)

// BenchmarkPipeline measures the headline figure: datagen (users
// quickstart) → topic → file sink in one standalone node, end to end, in
// records per second and CPU time per record, with Kafka Connect's default
// JsonConverter (schema envelope), with schemas.enable=false, and with the
// envelope but without the producer's default lz4 compression.
// CONFLUX_BENCH_RECORDS sets the record count (default
// 1,000,000; 100,000 with -short).
//
//	go test ./internal/node -run '^$' -bench Pipeline -benchtime 1x
func BenchmarkPipeline(b *testing.B) {
	// As `conflux standalone` does (GOGC in the environment overrides it).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	TuneGC(ctx)
	for _, conv := range []struct{ name, settings string }{
		{"json-envelope", ""},
		{"json-schemaless", `,"key.converter.schemas.enable":"false","value.converter.schemas.enable":"false"`},
		{"json-envelope-uncompressed", `,"producer.override.compression.type":"none"`},
	} {
		b.Run(conv.name, func(b *testing.B) { benchPipeline(b, conv.settings) })
	}
}

// benchPipeline runs the pipeline with extra connector settings (JSON
// members with a leading comma).
func benchPipeline(b *testing.B, settings string) {
	records := 1_000_000
	if testing.Short() {
		records = 100_000
	}
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_RECORDS")); err == nil && n > 0 {
		records = n
	}
	for i := range b.N {
		b.StopTimer()
		dir := b.TempDir()
		base := startStandalone(b, dir)
		out := filepath.Join(dir, "users.txt")
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		postConnector(b, base, fmt.Sprintf(`{"name":"gen%d","config":{"connector.class":"datagen","kafka.topic":"users","quickstart":"users","max.interval":"0","iterations":"%d","random.seed":"1"%s}}`, i, records, settings))
		postConnector(b, base, fmt.Sprintf(`{"name":"sink%d","config":{"connector.class":"FileStreamSink","topics":"users","file":%q%s}}`, i, out, settings))
		first := waitLines(b, out, records, 5*time.Minute)
		end, cpu := time.Now(), cpuTime()-cpu0
		b.StopTimer()
		b.ReportMetric(float64(records)/end.Sub(start).Seconds(), "records/s")
		b.ReportMetric(first.rateUntil(records, end), "steady-records/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(records), "cpu-µs/record")
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration { return perf.ProcessCPU() }

// peakRSS returns the most resident memory the process has had, in MB: run
// one sub-benchmark per process to read it for that pipeline alone.
func peakRSS() float64 { return perf.PeakRSSMB() }

// startStandalone runs a standalone node in-process on ephemeral ports and
// returns its REST base URL; it stops when the benchmark ends.
func startStandalone(tb testing.TB, dir string) string {
	tb.Helper()
	return startStandaloneWith(tb, dir, nil)
}

// startStandaloneWith is startStandalone with worker settings over the
// standalone defaults.
func startStandaloneWith(tb testing.TB, dir string, props map[string]string) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	bc := broker.DefaultConfig()
	bc.Listen, bc.DataDir, bc.GroupInitialRebalanceDelay = "127.0.0.1:0", filepath.Join(dir, "data"), -1
	bc.Logger = slog.New(slog.DiscardHandler)
	go func() {
		done <- RunStandalone(ctx, StandaloneConfig{Broker: bc, Worker: WorkerConfig{
			Props:  props,
			REST:   "127.0.0.1:0",
			Logger: slog.New(slog.DiscardHandler),
			Ready:  func(addr string) { ready <- addr },
		}})
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("standalone node: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		tb.Fatalf("standalone node did not start: %v", err)
	}
	return ""
}

func postConnector(tb testing.TB, base, body string) {
	tb.Helper()
	resp, err := http.Post(base+"/connectors", "application/json", bytes.NewBufferString(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		tb.Fatalf("create connector: %s: %s", resp.Status, msg)
	}
}

// firstLines is when a file was first seen with lines in it, and how many.
type firstLines struct {
	at    time.Time
	lines int
}

// rateUntil is the lines per second from the first sighting to n lines at
// end: the pipeline's pace once records flow, without the connectors'
// start-up (sarama alone waits 100 ms before a new consumer's first fetch).
func (f firstLines) rateUntil(n int, end time.Time) float64 {
	if n <= f.lines { // all at the first look: no pace to tell
		return 0
	}
	return float64(n-f.lines) / end.Sub(f.at).Seconds()
}

// waitLines waits until path holds n lines, counting the newlines of what
// was appended since the last look, and says when lines first appeared.
func waitLines(tb testing.TB, path string, n int, within time.Duration) firstLines {
	tb.Helper()
	deadline := time.Now().Add(within)
	var first firstLines
	var lines int
	var offset int64
	buf := make([]byte, 1<<20)
	for {
		if f, err := os.Open(path); err == nil {
			for {
				k, err := f.ReadAt(buf, offset)
				lines += bytes.Count(buf[:k], []byte{'\n'})
				offset += int64(k)
				if err != nil {
					break
				}
			}
			f.Close()
		}
		if first.lines == 0 && lines > 0 {
			first = firstLines{time.Now(), lines}
		}
		if lines >= n {
			return first
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s has %d lines after %v; want %d", path, lines, within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
