package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

	"conflux/internal/pgtest"
)

// BenchmarkPostgresWorkerRSS measures the memory of a worker running the
// Postgres CDC source alone: `conflux worker` is its own process, against
// a `conflux broker` process, so the broker's page cache and buffers are
// not counted. It reports the worker's peak RSS while it snapshots a
// table of CONFLUX_BENCH_ROWS rows (default 1,000,000) into the topic
// (snapshot-peak-RSS-MB, with snapshot-rows/s), then, the peak reset
// (/proc/<pid>/clear_refs), while it streams a quarter as many inserts
// at 50,000 rows/s in transactions of 1,000 (stream-peak-RSS-MB, with
// stream-rows/s from the first insert until the topic holds the last).
//
//	go test ./cmd/conflux -run '^$' -bench PostgresWorkerRSS -benchtime 1x
func BenchmarkPostgresWorkerRSS(b *testing.B) {
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	streamed := rows / 4
	pg := pgtest.Start(b)
	db := pg.CreateDatabase(b, "bench")
	pg.Exec(b, db, pgtest.BenchTable("bench"), pgtest.BenchInsert("bench", 1, rows), "VACUUM ANALYZE public.bench")
	bin := buildConflux(b)
	for i := range b.N {
		dir := b.TempDir()
		addr := freeAddr(b)
		broker, _ := startBroker(b, bin, filepath.Join(dir, "data"), addr)
		worker, base := startWorkerProcess(b, bin, dir, addr)
		topic := fmt.Sprintf("rss%d.public.bench", i)
		start := time.Now()
		postJSON(b, base+"/connectors", fmt.Sprintf(`{"name":"pg%d","config":{"connector.class":"postgres","database.url":%q,
			"topic.prefix":"rss%d","slot.name":"rss%d","slot.drop.on.stop":"true"}}`, i, pg.DSN(db), i, i))
		waitTopicRecords(b, addr, topic, int64(rows), 10*time.Minute)
		snapshotTook := time.Since(start)
		snapshotPeak := peakResidentMB(b, worker.Process.Pid)
		resetPeak(b, worker.Process.Pid)

		writer := pg.Connect(b, db)
		pace := time.NewTicker(20 * time.Millisecond) // 1,000 rows each: 50,000 rows/s
		start = time.Now()
		for from := rows + 1; from <= rows+streamed; from += 1000 {
			<-pace.C
			if _, err := writer.Exec(context.Background(), pgtest.BenchInsert("bench", from, min(from+999, rows+streamed))); err != nil {
				b.Fatal(err)
			}
		}
		pace.Stop()
		waitTopicRecords(b, addr, topic, int64(rows+streamed), 5*time.Minute)
		streamTook := time.Since(start)
		b.ReportMetric(float64(rows)/snapshotTook.Seconds(), "snapshot-rows/s")
		b.ReportMetric(snapshotPeak, "snapshot-peak-RSS-MB")
		b.ReportMetric(float64(streamed)/streamTook.Seconds(), "stream-rows/s")
		b.ReportMetric(peakResidentMB(b, worker.Process.Pid), "stream-peak-RSS-MB")

		worker.Process.Signal(os.Interrupt)
		if err := worker.Wait(); err != nil {
			b.Fatalf("worker exited with %v", err)
		}
		stopBroker(b, broker)
	}
}

// startWorkerProcess execs `conflux worker` against the broker at
// bootstrap, with a standalone node's worker settings, and returns it
// once its REST API answers, with its base URL.
func startWorkerProcess(tb testing.TB, bin, dir, bootstrap string) (*exec.Cmd, string) {
	tb.Helper()
	props := filepath.Join(dir, "worker.properties")
	conf := strings.Join([]string{
		"group.id=connect-cluster", "config.storage.topic=connect-configs", "offset.storage.topic=connect-offsets",
		"status.storage.topic=connect-status", "config.storage.replication.factor=1", "offset.storage.replication.factor=1",
		"status.storage.replication.factor=1", "key.converter=org.apache.kafka.connect.json.JsonConverter",
		"value.converter=org.apache.kafka.connect.json.JsonConverter", "scheduled.rebalance.max.delay.ms=0",
	}, "\n")
	if err := os.WriteFile(props, []byte(conf+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	rest := freeAddr(tb)
	cmd := exec.Command(bin, "worker", props, "--bootstrap-servers", bootstrap, "--rest", rest, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill() })
	waitHTTP(tb, "http://"+rest+"/", 60*time.Second)
	return cmd, "http://" + rest
}

// postJSON posts body and fails unless the answer is 201.
func postJSON(tb testing.TB, url, body string) {
	tb.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var msg json.RawMessage
		json.NewDecoder(resp.Body).Decode(&msg)
		tb.Fatalf("POST %s: %d %s", url, resp.StatusCode, msg)
	}
}

// waitTopicRecords polls the topic's end offsets until they add up to n.
func waitTopicRecords(tb testing.TB, bootstrap, topic string, n int64, within time.Duration) {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(within)
	var sum int64
	for {
		ends, err := adm.ListEndOffsets(context.Background(), topic)
		sum = 0
		if err == nil {
			ends.Each(func(o kadm.ListedOffset) { sum += max(o.Offset, 0) })
		}
		if sum >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("topic %s holds %d records after %v; want %d", topic, sum, within, n)
		}
		time.Sleep(20 * time.Millisecond) // polling offsets: the broker has no event to wait on
	}
}

// peakResidentMB returns a process's peak resident set size (VmHWM) in MB.
func peakResidentMB(tb testing.TB, pid int) float64 { return procStatusMB(tb, pid, "VmHWM") }

// resetPeak makes the process's peak RSS its current RSS.
func resetPeak(tb testing.TB, pid int) {
	tb.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		tb.Fatalf("reset the peak RSS: %v", err)
	}
}
