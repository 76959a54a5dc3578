package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// buildConflux compiles the conflux binary into a temporary directory.
func buildConflux(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "conflux")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBroker execs `conflux broker` with extra arguments and returns once
// it accepts a TCP connection, with the time that took.
func startBroker(tb testing.TB, bin, dataDir, addr string, extra ...string) (*exec.Cmd, time.Duration) {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"broker", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}, extra...)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	deadline := start.Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return cmd, time.Since(start)
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			tb.Fatalf("broker did not accept connections within 30 s: %v", err)
		}
		time.Sleep(time.Millisecond) // polling a port: there is no event to wait on
	}
}

func stopBroker(tb testing.TB, cmd *exec.Cmd) {
	tb.Helper()
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("broker exited with %v", err)
	}
}

// BenchmarkStartupEmpty measures exec of `conflux broker` on an empty data
// directory until it accepts connections.
func BenchmarkStartupEmpty(b *testing.B) {
	bin := buildConflux(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		cmd, took := startBroker(b, bin, b.TempDir(), freeAddr(b))
		total += took
		stopBroker(b, cmd)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-accept")
}

// BenchmarkStartupLarge measures the same with CONFLUX_BENCH_DATA_GB
// gigabytes of data in 10 partitions (skipped when unset: filling the
// directory takes a while). The data directory is filled once through the
// Kafka protocol, then the broker is restarted b.N times.
func BenchmarkStartupLarge(b *testing.B) {
	gb, _ := strconv.Atoi(os.Getenv("CONFLUX_BENCH_DATA_GB"))
	if gb <= 0 {
		b.Skip("set CONFLUX_BENCH_DATA_GB to the amount of data to recover")
	}
	bin := buildConflux(b)
	dataDir := b.TempDir()
	addr := freeAddr(b)
	cmd, _ := startBroker(b, bin, dataDir, addr)
	fillBroker(b, addr, int64(gb)<<30)
	stopBroker(b, cmd)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		cmd, took := startBroker(b, bin, dataDir, addr)
		total += took
		stopBroker(b, cmd)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-accept")
}

// fillBroker produces total bytes of 64 KiB records into a 10-partition topic.
func fillBroker(tb testing.TB, addr string, total int64) {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerBatchMaxBytes(1<<20), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 10, 1, nil, "fill"); err != nil {
		tb.Fatal(err)
	}
	value := make([]byte, 64<<10)
	errs := make(chan error, 1)
	for sent := int64(0); sent < total; sent += int64(len(value)) {
		cl.Produce(ctx, &kgo.Record{Topic: "fill", Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-errs:
		tb.Fatal(fmt.Errorf("fill: %w", err))
	default:
	}
}

// BenchmarkStandaloneStartup measures exec of `conflux standalone` on an
// empty data directory until GET / answers 200 (ms/start), and the resident
// memory of the idle node once /health answers 200 and its internal topics
// exist (idle-RSS-MB).
func BenchmarkStandaloneStartup(b *testing.B) {
	bin := buildConflux(b)
	var total time.Duration
	var rss float64
	for range b.N {
		dir := b.TempDir()
		rest := freeAddr(b)
		cmd := exec.Command(bin, "standalone", "--listen", freeAddr(b), "--rest", rest,
			"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn")
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		waitHTTP(b, "http://"+rest+"/", 30*time.Second)
		total += time.Since(start)
		waitHTTP(b, "http://"+rest+"/health", 30*time.Second)
		rss = max(rss, residentMB(b, cmd.Process.Pid))
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("standalone exited with %v", err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/start")
	b.ReportMetric(rss, "idle-RSS-MB")
}

// waitHTTP polls url until it answers 200.
func waitHTTP(tb testing.TB, url string, within time.Duration) {
	tb.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not answer 200 within %v (last error %v)", url, within, err)
		}
		time.Sleep(time.Millisecond) // polling a port: there is no event to wait on
	}
}

// residentMB returns a process's resident set size in MB.
func residentMB(tb testing.TB, pid int) float64 { return procStatusMB(tb, pid, "VmRSS") }

// procStatusMB reads a size in kB from /proc/<pid>/status, in MB.
func procStatusMB(tb testing.TB, pid int, field string) float64 {
	tb.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatalf("no %s in /proc status", field)
	return 0
}
