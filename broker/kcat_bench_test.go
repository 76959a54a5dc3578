package broker_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"conflux/internal/brokertest"
	"conflux/internal/perf"
)

// kcatWorkload is one row of the broker's throughput table: n records of
// size payload bytes, on one partition, read with kcat's defaults unless
// consumerArgs sets more.
type kcatWorkload struct {
	name         string
	n            int
	size         int
	consumerArgs []string
}

// kcatWorkloads are the rows of ../shared/tools/bench-broker.sh.
var kcatWorkloads = []kcatWorkload{
	{"1M-x-100B", 1_000_000, 100, nil},
	{"300k-x-1KiB", 300_000, 1024, nil},
}

// kcatConsumeWorkloads adds a row that is not bench-broker.sh's: 100-byte
// records read with a fetch queue deep enough for the whole partition.
// With the default queued.min.messages (100,000) librdkafka stops fetching
// once its queue holds that many messages, and in kcat -d fetch traces
// resumes only about a second later, the queue by then empty, so
// kcat's default figure is bound by that pause; this row shows what the
// broker serves without it.
var kcatConsumeWorkloads = slices.Concat(kcatWorkloads, []kcatWorkload{
	{"1M-x-100B-deep-queue", 1_000_000, 100, []string{"-X", "queued.min.messages=1000000"}},
})

// BenchmarkKcatProduce measures the broker under kcat's producer
// (librdkafka defaults: acks=all, no compression, linger 5 ms) on one
// partition, as bench-broker.sh does: wall-clock MB/s and records/s, and
// the broker's CPU (this process; kcat runs in its own) per run and per
// record. Each iteration produces the workload to a fresh topic and checks
// the high watermark; before it, recyclePageCache puts the page cache in the
// state dd and a long-running broker see.
//
//	go test ./broker -run '^$' -bench KcatProduce -benchtime 3x
func BenchmarkKcatProduce(b *testing.B) {
	kcat := kcatPath(b)
	for _, w := range kcatWorkloads {
		b.Run(w.name, func(b *testing.B) {
			input := kcatInput(b, w)
			addr := brokertest.Start(b)
			adm := kadm.NewClient(newKgoClient(b, addr))
			b.ResetTimer()
			var cpu, kcatCPU, wall time.Duration
			for i := range b.N {
				topic := fmt.Sprintf("produce-%d", i)
				createTopic(b, newKgoClient(b, addr), topic, 1, nil)
				recyclePageCache(b, 2*int64(w.n)*int64(w.size))
				start, cpu0 := time.Now(), perf.ProcessCPU()
				_, kcpu := runKcatBench(b, kcat, "-P", "-b", addr, "-t", topic, "-l", input)
				wall += time.Since(start)
				cpu += perf.ProcessCPU() - cpu0
				kcatCPU += kcpu
				b.StopTimer()
				ends, err := adm.ListEndOffsets(testCtx(b), topic)
				if err != nil {
					b.Fatal(err)
				}
				if end, _ := ends.Lookup(topic, 0); end.Offset != int64(w.n) {
					b.Fatalf("topic %s ends at %d after producing %d records", topic, end.Offset, w.n)
				}
				b.StartTimer()
			}
			reportKcat(b, w, wall, cpu, kcatCPU)
		})
	}
}

// BenchmarkKcatConsume measures the broker serving kcat's consumer reading
// a partition from the beginning to its end (kcat -C -e), the records
// produced beforehand and in the page cache. MB/s and records/s include
// kcat's fixed cost (start-up, metadata, and the last fetch, which waits
// fetch.wait.max.ms = 500 ms for data before kcat sees the end), as
// bench-broker.sh's rows do; the steady-* figures subtract the wall time of
// the same read of a one-record topic, as its "tiny" row suggests.
//
//	go test ./broker -run '^$' -bench KcatConsume -benchtime 3x
func BenchmarkKcatConsume(b *testing.B) {
	kcat := kcatPath(b)
	for _, w := range kcatConsumeWorkloads {
		b.Run(w.name, func(b *testing.B) {
			input := kcatInput(b, w)
			addr := brokertest.Start(b)
			createTopic(b, newKgoClient(b, addr), "consume", 1, nil)
			runKcatBench(b, kcat, "-P", "-b", addr, "-t", "consume", "-l", input)
			// The fixed cost: the same read of a one-record topic.
			createTopic(b, newKgoClient(b, addr), "tiny", 1, nil)
			runKcatBench(b, kcat, "-P", "-b", addr, "-t", "tiny", "-l", kcatInput(b, kcatWorkload{"tiny", 1, w.size, nil}))
			consume := func(topic string, n int) (took, kcatCPU time.Duration) {
				start := time.Now()
				args := append([]string{"-C", "-b", addr, "-t", topic, "-o", "beginning", "-e"}, w.consumerArgs...)
				stderr, kcatCPU := runKcatBench(b, kcat, args...)
				took = time.Since(start)
				if m := reachedEnd.FindStringSubmatch(stderr); m == nil || m[1] != topic || m[2] != strconv.Itoa(n) {
					b.Fatalf("kcat did not read %s to offset %d:\n%s", topic, n, stderr)
				}
				return took, kcatCPU
			}
			b.ResetTimer()
			var cpu, kcatCPU, wall, fixed, fixedCPU time.Duration
			for range b.N {
				b.StopTimer()
				took, kcpu := consume("tiny", 1)
				fixed, fixedCPU = fixed+took, fixedCPU+kcpu
				b.StartTimer()
				cpu0 := perf.ProcessCPU()
				took, kcpu = consume("consume", w.n)
				wall, kcatCPU = wall+took, kcatCPU+kcpu
				cpu += perf.ProcessCPU() - cpu0
			}
			reportKcat(b, w, wall, cpu, kcatCPU)
			if steady := wall - fixed; steady > 0 {
				b.ReportMetric(float64(w.n)*float64(b.N)/steady.Seconds(), "steady-records/s")
				b.ReportMetric(float64(w.n)*float64(b.N)*float64(w.size)/1e6/steady.Seconds(), "steady-MB/s")
				// kcat's own CPU over the same stretch, in cores: near 1,
				// kcat (one consuming thread) is what bounds the read.
				b.ReportMetric((kcatCPU-fixedCPU).Seconds()/steady.Seconds(), "steady-kcat-cores")
			}
		})
	}
}

// reachedEnd is kcat's report that it read a partition to its end.
var reachedEnd = regexp.MustCompile(`Reached end of topic (\S+) \[0\] at offset (\d+)`)

// reportKcat reports a workload's figures over b.N runs: wall is their
// time, cpu the broker's CPU and kcatCPU kcat's.
func reportKcat(b *testing.B, w kcatWorkload, wall, cpu, kcatCPU time.Duration) {
	records := float64(w.n) * float64(b.N)
	b.ReportMetric(records*float64(w.size)/1e6/wall.Seconds(), "MB/s")
	b.ReportMetric(records/wall.Seconds(), "records/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "broker-cpu-s/run")
	b.ReportMetric(float64(cpu.Nanoseconds())/records, "broker-cpu-ns/record")
	b.ReportMetric(kcatCPU.Seconds()/float64(b.N), "kcat-cpu-s/run")
	b.ReportMetric(perf.PeakRSSMB(), "peak-RSS-MB")
}

// runKcatBench runs kcat with its output discarded and returns its
// standard error and the CPU time it used; a failure ends the benchmark.
func runKcatBench(b *testing.B, kcat string, args ...string) (string, time.Duration) {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), kcat, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("kcat %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stderr.String(), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// kcatInput writes w.n lines of w.size random printable bytes for kcat -l.
func kcatInput(b *testing.B, w kcatWorkload) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), w.name+".txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := bufio.NewWriterSize(f, 1<<20)
	raw := make([]byte, base64.StdEncoding.DecodedLen(w.size)+3)
	line := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
	for range w.n {
		rand.Read(raw)
		base64.StdEncoding.Encode(line, raw)
		out.Write(line[:w.size])
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		b.Fatal(err)
	}
	return path
}

// recyclePageCache writes and removes a file of n bytes, so that the pages
// the next writes take for the page cache come from the kernel's free lists
// warm. On this VM the first write to a guest page that was never touched
// costs ten times a write to a recycled one (300 MB: 1.2 s of CPU against
// 0.12 s, see docs/performance.md), which would make a fresh broker look
// slower than dd, whose runs reuse their file's pages, and than a broker that
// has been running. CONFLUX_BENCH_COLD_MEMORY=1 skips it, to measure the
// cold case.
func recyclePageCache(b *testing.B, n int64) {
	b.Helper()
	if os.Getenv("CONFLUX_BENCH_COLD_MEMORY") != "" {
		return
	}
	b.StopTimer()
	defer b.StartTimer()
	f, err := os.CreateTemp(b.TempDir(), "recycle-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 1<<20)
	for written := int64(0); written < n; written += int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
}
