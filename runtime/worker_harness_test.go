package runtime_test

// The harness of the worker's integration tests: a real broker on
// loopback, workers of one Connect cluster on it, test plugins that report
// what the runtime does to them (probes), and franz-go clients to produce,
// consume and inspect topics and groups independently of the worker's own
// sarama clients.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/broker"
	"conflux/configs"
	"conflux/connectors"
	"conflux/internal/brokertest"
	"conflux/runtime"
	"conflux/runtime/convert"
	"conflux/runtime/rest"
)

// Class names of the probe plugins.
const (
	probeSourceClass = "io.conflux.itest.ProbeSourceConnector"
	probeSinkClass   = "io.conflux.itest.ProbeSinkConnector"
	jsonConverter    = convert.JSONConverterClass
	stringConverter  = convert.StringConverterClass
)

// waitFor bounds every wait for the worker to reach a state; generous, as
// -race on a loaded CI machine is slow, and only a failing test waits that
// long.
const waitFor = 45 * time.Second

// probes holds each test's probes by id; the probe plugins find theirs
// from the "probe" key of their config.
var (
	probes   sync.Map
	probeIDs atomic.Int64
)

func registerProbe(t testing.TB, p any) string {
	id := fmt.Sprintf("probe-%d", probeIDs.Add(1))
	probes.Store(id, p)
	t.Cleanup(func() { probes.Delete(id) })
	return id
}

func probeOf[P any](config map[string]string) (P, error) {
	v, ok := probes.Load(config["probe"])
	p, isP := v.(P)
	if !ok || !isP {
		var zero P
		return zero, fmt.Errorf("no probe %q", config["probe"])
	}
	return p, nil
}

var probeDef = configs.NewDef().Define(configs.Key{Name: "probe", Type: configs.TypeString, Default: configs.NoDefault,
	Importance: configs.High, Documentation: "Id of the test's probe."})

// itestRegistry returns a registry with the built-in plugins and the
// probe connectors.
func itestRegistry() *connectors.Registry {
	reg := connectors.NewRegistry()
	seen := make(map[string]bool)
	for _, p := range connectors.Default().List() {
		if !seen[p.Name] { // converters that also convert headers are listed twice
			seen[p.Name] = true
			reg.Register(p)
		}
	}
	reg.Register(connectors.Plugin{Name: "itest-probe-source", Aliases: []string{probeSourceClass}, Type: connectors.PluginSource,
		Version: "1.0.0", ConfigDef: probeDef, New: func() any { return &probeSourceConnector{} }})
	reg.Register(connectors.Plugin{Name: "itest-probe-sink", Aliases: []string{probeSinkClass}, Type: connectors.PluginSink,
		Version: "1.0.0", ConfigDef: probeDef, New: func() any { return &probeSinkConnector{} }})
	return reg
}

// sourcePartition is the one source partition probe source tasks read.
var sourcePartition = map[string]any{"source": "probe"}

// sourceProbe drives probe source tasks and records what they see. Its
// tasks produce records number next, next+1, … up to total (exclusive),
// where next follows the committed offset {"seq": n}.
type sourceProbe struct {
	topic  string
	gen    func(seq int64) *connectors.Record // set before the connector exists
	total  atomic.Int64
	failAt atomic.Int64 // Poll fails when the next record is this one; -1: never

	mu          sync.Mutex
	connConfigs []map[string]string
	starts      []sourceStart
	produced    int64 // records handed to the runtime
}

// sourceStart is what one task Start received.
type sourceStart struct {
	config map[string]string
	offset map[string]any
}

func newSourceProbe(t testing.TB, topic string, total int64) (*sourceProbe, string) {
	p := &sourceProbe{topic: topic}
	p.total.Store(total)
	p.failAt.Store(-1)
	p.gen = func(seq int64) *connectors.Record {
		return &connectors.Record{Topic: topic, KeySchema: connectors.StringSchema, Key: fmt.Sprintf("key-%d", seq%10),
			ValueSchema: connectors.StringSchema, Value: fmt.Sprintf("value-%d", seq)}
	}
	return p, registerProbe(t, p)
}

func (p *sourceProbe) startsSeen() []sourceStart {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.starts)
}

type probeSourceConnector struct{ config map[string]string }

func (c *probeSourceConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	p, err := probeOf[*sourceProbe](config)
	if err != nil {
		return err
	}
	c.config = maps.Clone(config)
	p.mu.Lock()
	p.connConfigs = append(p.connConfigs, maps.Clone(config))
	p.mu.Unlock()
	return nil
}

// TaskConfigs hands the connector's config to its one task, as most
// connectors do; with "probe.tasks" = n it makes n tasks, each told its
// number in "probe.task".
func (c *probeSourceConnector) TaskConfigs(int) ([]map[string]string, error) {
	n, _ := strconv.Atoi(c.config["probe.tasks"])
	if n <= 1 {
		return []map[string]string{maps.Clone(c.config)}, nil
	}
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = maps.Clone(c.config)
		out[i]["probe.task"] = strconv.Itoa(i)
	}
	return out, nil
}
func (c *probeSourceConnector) Stop() error                    { return nil }
func (c *probeSourceConnector) NewTask() connectors.SourceTask { return &probeSourceTask{} }

type probeSourceTask struct {
	p    *sourceProbe
	next int64
}

func (s *probeSourceTask) Start(ctx context.Context, tctx connectors.SourceTaskContext, config map[string]string) error {
	p, err := probeOf[*sourceProbe](config)
	if err != nil {
		return err
	}
	s.p = p
	off, err := tctx.Offset(ctx, sourcePartition)
	if err != nil {
		return err
	}
	if off != nil {
		n, ok := off["seq"].(int64)
		if !ok {
			return fmt.Errorf("committed offset %v: seq is a %T, not an int64", off, off["seq"])
		}
		s.next = n + 1
	}
	p.mu.Lock()
	p.starts = append(p.starts, sourceStart{config: maps.Clone(config), offset: off})
	p.mu.Unlock()
	return nil
}

func (s *probeSourceTask) Poll(ctx context.Context) ([]*connectors.Record, error) {
	if s.next == s.p.failAt.Load() {
		return nil, fmt.Errorf("probe source cannot read record %d", s.next)
	}
	var out []*connectors.Record
	for len(out) < 20 && s.next < s.p.total.Load() && s.next != s.p.failAt.Load() {
		rec := s.p.gen(s.next)
		rec.SourcePartition = sourcePartition
		rec.SourceOffset = map[string]any{"seq": s.next}
		out = append(out, rec)
		s.next++
	}
	if len(out) == 0 {
		// Nothing to send: wait a little rather than spin, as the SPI asks.
		t := time.NewTimer(10 * time.Millisecond)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		return nil, nil
	}
	s.p.mu.Lock()
	s.p.produced += int64(len(out))
	s.p.mu.Unlock()
	return out, nil
}

func (s *probeSourceTask) Commit(context.Context) error { return nil }
func (s *probeSourceTask) Stop() error                  { return nil }

// sinkProbe records what probe sink tasks receive and decides what their
// Put and PreCommit answer.
type sinkProbe struct {
	failPut atomic.Bool

	mu       sync.Mutex
	recs     []gotRecord
	starts   []map[string]string
	holdBack map[connectors.TopicPartition]int64 // PreCommit answers at most this offset
	safe     map[connectors.TopicPartition]int64 // what PreCommit last answered
}

// gotRecord is a record as a probe sink task received it.
type gotRecord struct {
	topic     string
	partition int32
	offset    int64
	key       any
	value     any
	headers   connectors.Headers
}

func newSinkProbe(t testing.TB) (*sinkProbe, string) {
	p := &sinkProbe{holdBack: make(map[connectors.TopicPartition]int64), safe: make(map[connectors.TopicPartition]int64)}
	return p, registerProbe(t, p)
}

func (p *sinkProbe) received() []gotRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.recs)
}

func (p *sinkProbe) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.recs)
}

// waitRecords waits until the probe received at least n records.
func (p *sinkProbe) waitRecords(t testing.TB, n int) []gotRecord {
	t.Helper()
	eventually(t, fmt.Sprintf("the sink receives %d records", n), func() error {
		if got := p.count(); got < n {
			return fmt.Errorf("%d records so far", got)
		}
		return nil
	})
	return p.received()
}

type probeSinkConnector struct{ config map[string]string }

func (c *probeSinkConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	if _, err := probeOf[*sinkProbe](config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}
func (c *probeSinkConnector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.config)}, nil
}
func (c *probeSinkConnector) Stop() error                  { return nil }
func (c *probeSinkConnector) NewTask() connectors.SinkTask { return &probeSinkTask{} }

type probeSinkTask struct{ p *sinkProbe }

func (s *probeSinkTask) Start(_ context.Context, _ connectors.SinkTaskContext, config map[string]string) error {
	p, err := probeOf[*sinkProbe](config)
	if err != nil {
		return err
	}
	s.p = p
	p.mu.Lock()
	p.starts = append(p.starts, maps.Clone(config))
	p.mu.Unlock()
	return nil
}

func (s *probeSinkTask) Open(context.Context, []connectors.TopicPartition) error { return nil }

func (s *probeSinkTask) Put(_ context.Context, recs []*connectors.Record) error {
	if len(recs) > 0 && s.p.failPut.Load() {
		return errors.New("probe sink: the destination refuses writes")
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for _, r := range recs {
		s.p.recs = append(s.p.recs, gotRecord{topic: r.Topic, partition: *r.KafkaPartition, offset: r.KafkaOffset,
			key: r.Key, value: r.Value, headers: r.Headers.Clone()})
	}
	return nil
}

func (s *probeSinkTask) PreCommit(_ context.Context, offsets map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	safe := make(map[connectors.TopicPartition]int64, len(offsets))
	for tp, off := range offsets {
		if limit, ok := s.p.holdBack[tp]; ok && off > limit {
			off = limit
		}
		safe[tp] = off
		s.p.safe[tp] = off
	}
	return safe, nil
}

func (s *probeSinkTask) Close(context.Context, []connectors.TopicPartition) error { return nil }
func (s *probeSinkTask) Stop() error                                              { return nil }

// syncBuffer collects the logs of the workers of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testCluster is one Connect cluster (group and internal topics) on a
// broker of its own.
type testCluster struct {
	addr    string
	props   map[string]string
	reg     *connectors.Registry
	logs    *syncBuffer
	workers atomic.Int32
}

var clusterIDs atomic.Int64

// newTestCluster starts a broker and describes a Connect cluster on it;
// extra worker settings replace the defaults.
func newTestCluster(t testing.TB, extra map[string]string) *testCluster {
	t.Helper()
	addr := brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1})
	name := fmt.Sprintf("itest-%d", clusterIDs.Add(1))
	props := map[string]string{
		configs.KeyBootstrapServers:           addr,
		configs.KeyGroupID:                    name,
		configs.KeyConfigStorageTopic:         name + "-configs",
		configs.KeyOffsetStorageTopic:         name + "-offsets",
		configs.KeyStatusStorageTopic:         name + "-status",
		configs.KeyConfigStorageReplication:   "1",
		configs.KeyOffsetStorageReplication:   "1",
		configs.KeyStatusStorageReplication:   "1",
		configs.KeyKeyConverter:               jsonConverter,
		configs.KeyValueConverter:             jsonConverter,
		"key.converter.schemas.enable":        "true",
		"value.converter.schemas.enable":      "true",
		configs.KeyOffsetFlushInterval:        "100",
		configs.KeyScheduledRebalanceMaxDelay: "0",
		// Members learn of a rebalance at their next heartbeat: keep
		// rebalances quick, within Kafka's default session timeout.
		configs.KeyHeartbeatInterval: "300",
	}
	maps.Copy(props, extra)
	return &testCluster{addr: addr, props: props, reg: itestRegistry(), logs: &syncBuffer{}}
}

// testWorker is a running worker of a testCluster, with its REST API on
// loopback at URL (the worker's id is that listener's host:port, so other
// workers forward requests to it).
type testWorker struct {
	*runtime.Worker
	URL     string
	metrics *prometheus.Registry
	// taskWrites counts the internal POST /connectors/{name}/tasks
	// requests this worker's REST API received.
	taskWrites atomic.Int32
	cancel     context.CancelFunc
	done       chan error
	once       sync.Once
}

// startWorker starts a worker of the cluster; it is stopped when the test
// ends, if the test does not stop it first.
func (c *testCluster) startWorker(t testing.TB) *testWorker {
	t.Helper()
	cfg, err := runtime.ParseWorkerConfig(c.props)
	if err != nil {
		t.Fatal(err)
	}
	c.workers.Add(1)
	srv := httptest.NewUnstartedServer(nil)
	id := srv.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("worker", id)
	metrics := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := runtime.NewWorker(ctx, cfg, runtime.Options{WorkerID: id, Registry: c.reg, Logger: logger, Metrics: metrics})
	if err != nil {
		cancel()
		srv.Close()
		t.Fatal(err)
	}
	tw := &testWorker{Worker: w, URL: srv.URL, metrics: metrics, cancel: cancel, done: make(chan error, 1)}
	api := rest.New(rest.Config{Herder: w, Registry: c.reg})
	srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tasks") {
			tw.taskWrites.Add(1)
		}
		api.ServeHTTP(rw, r)
	})
	srv.Start()
	tw.URL = srv.URL
	go func() { tw.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		tw.stop(t)
		srv.Close()
	})
	hctx, hcancel := context.WithTimeout(context.Background(), waitFor)
	defer hcancel()
	if err := w.Healthy(hctx); err != nil {
		t.Fatalf("worker %s did not start: %v", id, err)
	}
	return tw
}

// stop stops the worker and waits for Run to return, which must be a clean
// stop.
func (w *testWorker) stop(t testing.TB) {
	t.Helper()
	w.once.Do(func() {
		w.cancel()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("worker %s: Run: %v", w.ID(), err)
			}
		case <-time.After(waitFor):
			t.Errorf("worker %s did not stop within %v", w.ID(), waitFor)
		}
	})
}

// eventually polls cond until it returns nil, failing the test with its
// last error after waitFor.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %v", waitFor, what, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// consistently checks cond holds during d, for what must not happen: it is
// an observation window, not a synchronisation.
func consistently(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := cond(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// createConnector creates a connector through the Herder.
func createConnector(t testing.TB, h runtime.Herder, name string, config map[string]string) {
	t.Helper()
	config = maps.Clone(config)
	config[configs.KeyName] = name
	if _, created, err := h.PutConnectorConfig(ctxT(t), name, config, false, ""); err != nil || !created {
		t.Fatalf("create connector %s: created %v, %v", name, created, err)
	}
}

// states renders a status as "CONNECTOR task0 task1 …".
func states(st runtime.ConnectorStateInfo) string {
	s := string(st.Connector.State)
	for _, ts := range st.Tasks {
		s += " " + string(ts.State)
	}
	return s
}

// waitStates waits until the connector and its tasks are in the given
// states, "RUNNING RUNNING" say, and returns that status.
func waitStates(t testing.TB, h runtime.Herder, name, want string) runtime.ConnectorStateInfo {
	t.Helper()
	var st runtime.ConnectorStateInfo
	eventually(t, fmt.Sprintf("connector %s to be %s", name, want), func() error {
		var err error
		if st, err = h.ConnectorStatus(ctxT(t), name); err != nil {
			return err
		}
		if got := states(st); got != want {
			return fmt.Errorf("status %s (%+v)", got, st)
		}
		return nil
	})
	return st
}

// Kafka helpers, on franz-go.

func kafkaClient(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t testing.TB, addr, topic string, partitions int32) {
	t.Helper()
	adm := kadm.NewClient(kafkaClient(t, addr))
	if _, err := adm.CreateTopic(ctxT(t), partitions, 1, nil, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce writes records with acks=all and fails the test on any error.
func produce(t testing.TB, addr string, recs ...*kgo.Record) {
	t.Helper()
	cl := kafkaClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// readTopic reads a topic from its start to its current end.
func readTopic(t testing.TB, addr, topic string) []*kgo.Record {
	t.Helper()
	ctx := ctxT(t)
	adm := kadm.NewClient(kafkaClient(t, addr))
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("end offsets of %s: %v %v", topic, err, ends.Error())
	}
	want := make(map[int32]int64)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	var out []*kgo.Record
	if len(want) == 0 {
		return out
	}
	cl := kafkaClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s: %v; still to read up to %v", topic, err, want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok && r.Offset < end {
				out = append(out, r)
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			}
		})
	}
	return out
}

// groupOffsets returns a group's committed offsets of one topic.
func groupOffsets(t testing.TB, addr, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(kafkaClient(t, addr))
	resp, err := adm.FetchOffsets(ctxT(t), group)
	if err != nil {
		t.Fatalf("offsets of group %s: %v", group, err)
	}
	out := make(map[int32]int64)
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.Topic == topic && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// endOffsets returns a topic's end offsets.
func endOffsets(t testing.TB, addr, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(kafkaClient(t, addr))
	ends, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("end offsets of %s: %v %v", topic, err, ends.Error())
	}
	out := make(map[int32]int64)
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// seqOf reads the record number out of "value-<n>" (any encoding that
// keeps that text).
var seqRE = regexp.MustCompile(`value-(\d+)`)

func seqOf(t testing.TB, value []byte) int64 {
	t.Helper()
	m := seqRE.FindSubmatch(value)
	if m == nil {
		t.Fatalf("record value %q has no value-<n>", value)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// restGet calls the REST API served over the worker and decodes the JSON
// answer into out.
func restGet(t testing.TB, w *testWorker, reg *connectors.Registry, path string, out any) int {
	t.Helper()
	srv := httptest.NewServer(rest.New(rest.Config{Herder: w.Worker, Registry: reg}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode
}

// statusRecord returns the latest value of key in the status topic, as
// another reader of the topic sees it.
func statusRecord(t testing.TB, c *testCluster, key string) map[string]any {
	t.Helper()
	var last []byte
	for _, r := range readTopic(t, c.addr, c.props[configs.KeyStatusStorageTopic]) {
		if string(r.Key) == key {
			last = r.Value
		}
	}
	if last == nil {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal(last, &v); err != nil {
		t.Fatalf("status record %s: %v", key, err)
	}
	return v
}

// containsAll reports which of subs s lacks.
func missingFrom(s string, subs ...string) []string {
	var out []string
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			out = append(out, sub)
		}
	}
	return out
}
