package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The end-to-end pipeline: datagen writes records {"k","seq","r"} to a
// three-partition topic, keyed by k = seq mod 4, and FileStreamSink appends
// their values to a file, one JSON line each. seq counts 0..N-1, and r is
// drawn from the seeded generator, so every record's line is known up to r
// and a regenerated record must be byte-identical to the first copy.
const (
	e2eTopic = "e2e"
	e2eKeys  = 4
	e2eSeed  = 42
	e2eWait  = 90 * time.Second // bounds every wait for the binary
)

// e2eSchema is datagen's native schema of the records.
const e2eSchema = `{"name":"e2e","fields":[` +
	`{"name":"k","type":"int64","iteration":{"start":0,"step":1,"restart":4}},` +
	`{"name":"seq","type":"int64","generator":"iteration"},` +
	`{"name":"r","type":"int64","range":{"min":0,"max":1000000000}}]}`

// TestStandaloneE2E builds the binary once and runs `conflux standalone`
// with connector files: the datagen → file pipeline with its REST API and
// metrics, restarts in the middle of the stream (SIGTERM and SIGKILL), and
// bad input.
func TestStandaloneE2E(t *testing.T) {
	bin := buildConflux(t)
	t.Run("pipeline", func(t *testing.T) {
		t.Parallel()
		testPipeline(t, bin)
	})
	t.Run("restart_after_sigterm", func(t *testing.T) {
		t.Parallel()
		testRestart(t, bin, syscall.SIGTERM)
	})
	t.Run("restart_after_sigkill", func(t *testing.T) {
		t.Parallel()
		testRestart(t, bin, syscall.SIGKILL)
	})
	t.Run("invalid_connector_file", func(t *testing.T) {
		t.Parallel()
		testInvalidConnectorFile(t, bin)
	})
}

// testPipeline checks one uninterrupted run: every record exactly once and
// in order per key, statuses, metrics, offsets and REST errors.
func testPipeline(t *testing.T, bin string) {
	const n = 2000
	p := newPipeline(t, bin, n, "-1") // as fast as possible
	node := p.start(t)

	var info struct {
		Version, Commit string
		ClusterID       string `json:"kafka_cluster_id"`
	}
	if status := node.getJSON(t, "/", &info); status != http.StatusOK || info.Version == "" || info.ClusterID == "" {
		t.Errorf("GET /: %d %+v", status, info)
	}
	var health struct{ Status, Message string }
	if status := node.getJSON(t, "/health", &health); status != http.StatusOK || health.Status != "healthy" {
		t.Errorf("GET /health: %d %+v", status, health)
	}

	p.waitAllSeqs(t, node)
	p.waitSourceOffset(t, node, 1)

	var expanded map[string]struct {
		Status struct {
			Connector struct{ State string }
			Tasks     []struct{ State string }
		}
	}
	if status := node.getJSON(t, "/connectors?expand=status", &expanded); status != http.StatusOK {
		t.Fatalf("GET /connectors?expand=status: %d", status)
	}
	for _, name := range []string{"gen", "sink"} {
		st := expanded[name].Status
		if st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
			t.Errorf("status of %s: %+v, want the connector and its one task RUNNING", name, st)
		}
	}

	// Every record was acknowledged before the sink could read it, so the
	// counter reaches n; the ack callback may trail the sink by a moment.
	written := regexp.MustCompile(`(?m)^conflux_source_record_write_total\{connector="gen",task="0"\} (\d+)$`)
	eventuallyE2E(t, node, "conflux_source_record_write_total of gen to reach 2000", func() (bool, string) {
		body := node.get(t, "/metrics")
		m := written.FindStringSubmatch(body)
		return m != nil && m[1] == "2000", fmt.Sprint(m)
	})

	// REST errors, in Kafka Connect's shape.
	checkError := func(method, path, body string, status int, message string) {
		t.Helper()
		got, raw := node.do(t, method, path, body)
		var e struct {
			Code    int `json:"error_code"`
			Message string
		}
		if err := json.Unmarshal(raw, &e); err != nil || got != status || e.Code != status || !strings.Contains(e.Message, message) {
			t.Errorf("%s %s: %d %s; want %d with %q", method, path, got, raw, status, message)
		}
	}
	checkError(http.MethodPost, "/connectors", `{"name":"x","config":{`, http.StatusBadRequest, "")
	checkError(http.MethodGet, "/connectors/nope", "", http.StatusNotFound, "Connector nope not found")
	checkError(http.MethodPost, "/connectors", p.genJSON(), http.StatusConflict, "Connector gen already exists")

	node.stop(t, syscall.SIGTERM)
	p.check(t, 1)
}

// testRestart stops the node with sig once a third of the records are in
// the file, starts it again on the same data directory and checks that the
// stream completes without loss.
//
// After SIGTERM the stop is clean: the source's offsets and the sink's
// consumer offsets are committed at shutdown, so every record is in the
// file exactly once, in order per key. After SIGKILL delivery is at least
// once: the source regenerates the records after its last flushed offset
// and the sink rewrites the lines after its last committed offset. Per key
// the file then holds at most three increasing runs of the key's sequence
// (before the kill, the sink's replay, the source's replay), each run
// starting at or before the end of what was written before it (nothing is
// skipped), and every copy of a record is byte-identical (the sequence is
// regenerated from the stored seed and iteration, not started over).
func testRestart(t *testing.T, bin string, sig syscall.Signal) {
	const n = 3000
	p := newPipeline(t, bin, n, "1500")
	node := p.start(t)
	eventuallyE2E(t, node, "a third of the records in the sink file", func() (bool, string) {
		lines := len(readLines(t, p.out))
		return lines >= n/3, fmt.Sprint(lines, " lines")
	})
	if sig == syscall.SIGKILL {
		// Killed after a flush, the restarted task must continue from the
		// stored offset, so the generation below is 2.
		p.waitSourceOffset(t, node, 0)
	}
	node.stop(t, sig)
	before := len(readLines(t, p.out))
	if before >= n {
		t.Fatalf("all %d records were written before the restart; the test restarts nothing", before)
	}

	node = p.start(t)
	p.waitAllSeqs(t, node)
	p.waitSourceOffset(t, node, 2)
	node.stop(t, syscall.SIGTERM)
	if sig == syscall.SIGKILL {
		p.check(t, 3)
	} else {
		p.check(t, 1)
	}
	t.Logf("%d lines before the restart, %d after it", before, len(readLines(t, p.out)))
}

// testInvalidConnectorFile checks that a connector file the worker rejects
// stops the process with Kafka Connect's validation message.
func testInvalidConnectorFile(t *testing.T, bin string) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.properties")
	writeFile(t, bad, "name=bad\nconnector.class=datagen\nquickstart=users\ntasks.max=0\n")
	cmd := exec.Command(bin, "standalone", "--rest", freeAddr(t), "--listen", freeAddr(t),
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn", bad)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := cmd.ProcessState.ExitCode(); err == nil || code == 0 {
			t.Errorf("exit code %d (%v), want non-zero", code, err)
		}
	case <-time.After(e2eWait):
		cmd.Process.Kill()
		<-done
		t.Fatalf("conflux standalone with an invalid connector file still runs after %v", e2eWait)
	}
	for _, want := range []string{
		"Connector configuration is invalid and contains the following 2 error(s):\n",
		"Invalid value 0 for configuration tasks.max: Value must be at least 1\n",
		"Missing required configuration \"kafka.topic\" which has no default value.\n",
		"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// pipeline is one data directory with its connector files.
type pipeline struct {
	bin, dir, out             string
	rest, listen              string
	genFile, sinkFile, worker string
	records                   int
	rate                      string
	stderrs                   []*lockedBuffer // of every start, shown on failure
}

// newPipeline writes the connector files (datagen as .properties, the
// sink as JSON) and creates the topic with three partitions through a
// broker run on the data directory, so that keys spread over partitions.
func newPipeline(t *testing.T, bin string, records int, rate string) *pipeline {
	t.Helper()
	dir := t.TempDir()
	p := &pipeline{
		bin: bin, dir: dir, out: filepath.Join(dir, "out.txt"),
		rest: freeAddr(t), listen: freeAddr(t),
		genFile: filepath.Join(dir, "gen.properties"), sinkFile: filepath.Join(dir, "sink.json"),
		worker:  filepath.Join(dir, "worker.properties"),
		records: records, rate: rate,
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, b := range p.stderrs {
				t.Logf("stderr of conflux standalone, start %d:\n%s", i+1, b.String())
			}
		}
	})
	writeFile(t, p.genFile, fmt.Sprintf("name=gen\nconnector.class=datagen\nkafka.topic=%s\nschema.string=%s\n"+
		"schema.keyfield=k\niterations=%d\nrandom.seed=%d\nrate=%s\ntasks.max=1\n", e2eTopic, e2eSchema, records, e2eSeed, rate))
	writeFile(t, p.sinkFile, fmt.Sprintf(`{"name":"sink","config":{"connector.class":"FileStreamSink","topics":%q,"file":%q}}`,
		e2eTopic, p.out))
	// Frequent offset flushes, so that a kill lands between two of them.
	writeFile(t, p.worker, "offset.flush.interval.ms=500\n")

	data := filepath.Join(dir, "data")
	broker, _ := startBroker(t, bin, data, p.listen)
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.listen))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	_, err = kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, e2eTopic)
	cancel()
	cl.Close()
	if err != nil {
		broker.Process.Kill()
		broker.Wait()
		t.Fatalf("create topic %s: %v", e2eTopic, err)
	}
	stopBroker(t, broker)
	return p
}

// genJSON is the datagen connector as POST /connectors takes it.
func (p *pipeline) genJSON() string {
	return fmt.Sprintf(`{"name":"gen","config":{"connector.class":"datagen","kafka.topic":%q,"schema.string":%q,`+
		`"schema.keyfield":"k","iterations":"%d","random.seed":"%d","rate":%q}}`, e2eTopic, e2eSchema, p.records, e2eSeed, p.rate)
}

// standalone is one running `conflux standalone` process.
type standalone struct {
	cmd    *exec.Cmd
	base   string
	done   chan struct{}
	err    error // valid once done is closed
	stderr *lockedBuffer
}

// start runs `conflux standalone` on the pipeline's data directory with
// both connector files and waits until /health answers 200.
func (p *pipeline) start(t *testing.T) *standalone {
	t.Helper()
	s := startStandalone(t, p.bin, p.rest, "--listen", p.listen,
		"--data-dir", filepath.Join(p.dir, "data"), "--worker-config", p.worker, "--log-level", "info",
		p.genFile, p.sinkFile)
	p.stderrs = append(p.stderrs, s.stderr)
	return s
}

// startStandalone runs `conflux standalone --rest rest args...`, kills it
// when the test ends, and waits until /health answers 200.
func startStandalone(t *testing.T, bin, rest string, args ...string) *standalone {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin, append([]string{"standalone", "--rest", rest}, args...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &standalone{cmd: cmd, base: "http://" + rest, done: make(chan struct{}), stderr: stderr}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	eventuallyE2E(t, s, "GET /health to answer 200", func() (bool, string) {
		resp, err := client.Get(s.base + "/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return s
}

// stop sends sig and waits for the process to end: with status 0 after
// SIGTERM, killed after SIGKILL.
func (s *standalone) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(e2eWait):
		s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("conflux standalone did not stop within %v of %v", e2eWait, sig)
	}
	if sig == syscall.SIGTERM && s.err != nil {
		t.Fatalf("conflux standalone exited with %v after SIGTERM, want status 0", s.err)
	}
}

// exited reports why the process ended, or "" while it runs.
func (s *standalone) exited() string {
	select {
	case <-s.done:
		return fmt.Sprintf("conflux standalone exited: %v", s.err)
	default:
		return ""
	}
}

// do sends a request to the REST API and returns the status and body.
func (s *standalone) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func (s *standalone) get(t *testing.T, path string) string {
	t.Helper()
	status, raw := s.do(t, http.MethodGet, path, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, raw)
	}
	return string(raw)
}

func (s *standalone) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	status, raw := s.do(t, http.MethodGet, path, "")
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("GET %s: %d, body is not the expected JSON: %v: %s", path, status, err, raw)
	}
	return status
}

// waitAllSeqs waits until every record's sequence number is in the sink
// file. Each partition's records reach the file in order, and a restarted
// source regenerates records before producing new ones, so once the last
// records are in, every copy the run will write is in.
func (p *pipeline) waitAllSeqs(t *testing.T, s *standalone) {
	t.Helper()
	eventuallyE2E(t, s, fmt.Sprintf("all %d records in the sink file", p.records), func() (bool, string) {
		seen := make(map[int64]bool)
		for _, line := range readLines(t, p.out) {
			var r e2eRecord
			if json.Unmarshal([]byte(line), &r) == nil {
				seen[r.Seq] = true
			}
		}
		return len(seen) == p.records, fmt.Sprint(len(seen), " distinct records")
	})
}

// waitSourceOffset waits until datagen's stored offset says it has
// generated every record (or, with generation 0, anything at all), with
// the configured seed, in its given lifetime: 1 before any restart, 2
// after one, which shows that the restarted task read the stored offset.
func (p *pipeline) waitSourceOffset(t *testing.T, s *standalone, generation int64) {
	t.Helper()
	eventuallyE2E(t, s, "datagen's stored offset", func() (bool, string) {
		var body struct {
			Offsets []struct {
				Partition map[string]int64
				Offset    map[string]int64
			}
		}
		if status := s.getJSON(t, "/connectors/gen/offsets", &body); status != http.StatusOK || len(body.Offsets) != 1 {
			return false, fmt.Sprintf("%d %+v", status, body)
		}
		o := body.Offsets[0]
		if o.Partition["task.id"] != 0 || o.Offset["random.seed"] != e2eSeed {
			t.Fatalf("datagen offset %+v: want partition task.id 0 and random.seed %d", o, e2eSeed)
		}
		if generation == 0 {
			return o.Offset["current.iteration"] > 0, fmt.Sprint(o)
		}
		return o.Offset["current.iteration"] == int64(p.records) && o.Offset["task.generation"] == generation, fmt.Sprint(o)
	})
}

// e2eRecord is one line of the sink file.
type e2eRecord struct{ K, Seq, R int64 }

// check reads the final sink file and checks the at-least-once contract
// described on testRestart: every record present, each line a record of
// the sequence, copies identical, and per key at most maxRuns increasing
// runs with no gap (maxRuns 1: exactly once, in order).
func (p *pipeline) check(t *testing.T, maxRuns int) {
	t.Helper()
	lines := readLines(t, p.out)
	first := make(map[int64]string)
	perKey := make(map[int64][]int64)
	for i, line := range lines {
		var r e2eRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Seq < 0 || r.Seq >= int64(p.records) || r.K != r.Seq%e2eKeys {
			t.Fatalf("line %d is not a record of the sequence: %q", i+1, line)
		}
		if prev, ok := first[r.Seq]; !ok {
			first[r.Seq] = line
		} else if prev != line {
			t.Fatalf("record %d was generated twice differently:\n%s\n%s", r.Seq, prev, line)
		}
		perKey[r.K] = append(perKey[r.K], r.Seq)
	}
	if len(first) != p.records {
		t.Fatalf("%d distinct records in the sink file, want %d", len(first), p.records)
	}
	for k := range int64(e2eKeys) {
		seqs := perKey[k]
		runs, high := 0, k-e2eKeys
		for i, s := range seqs {
			if i > 0 && s == seqs[i-1]+e2eKeys {
				high = max(high, s)
				continue
			}
			runs++
			if s > high+e2eKeys {
				t.Fatalf("key %d: record %d follows %d: records between them were lost", k, s, high)
			}
			high = max(high, s)
		}
		if runs > maxRuns {
			t.Errorf("key %d: %d runs of records (%d lines), want at most %d", k, runs, len(seqs), maxRuns)
		}
	}
	if maxRuns == 1 && len(lines) != p.records {
		t.Errorf("%d lines, want exactly %d", len(lines), p.records)
	}
}

// readLines returns the complete lines of a file; a missing file has none.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil
	}
	return strings.Split(string(data[:end]), "\n")
}

// eventuallyE2E polls cond until it holds, failing after e2eWait or as
// soon as the process ends; cond returns what it saw, for the message.
func eventuallyE2E(t *testing.T, s *standalone, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if why := s.exited(); why != "" {
			t.Fatalf("waiting for %s: %s (last seen: %s)", what, why, saw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not after %v (last seen: %s)", what, e2eWait, saw)
		}
		time.Sleep(50 * time.Millisecond) // polling a process from outside: no event to wait on
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer collects a process's stderr, written by exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
