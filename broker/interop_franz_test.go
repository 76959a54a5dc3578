package broker_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// topicConfigs returns a topic's described configs by name.
func topicConfigs(t *testing.T, adm *kadm.Client, topic string) map[string]string {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(testCtx(t), topic)
	if err != nil {
		t.Fatalf("DescribeTopicConfigs: %v", err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		t.Fatalf("DescribeTopicConfigs %s: %v", topic, err)
	}
	if rc.Err != nil {
		t.Fatalf("DescribeTopicConfigs %s: %v (%s)", topic, rc.Err, rc.ErrMessage)
	}
	m := map[string]string{}
	for _, c := range rc.Configs {
		m[c.Key] = c.MaybeValue()
	}
	return m
}

func TestFranzAdmin(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	cl := newKgoClient(t, addr)
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)

	dry, err := adm.ValidateCreateTopics(ctx, 2, 1, nil, "dry")
	if err != nil || dry.Error() != nil {
		t.Fatalf("ValidateCreateTopics: %v, %v", err, dry.Error())
	}
	created, err := adm.CreateTopics(ctx, 3, 1, map[string]*string{"retention.ms": kadm.StringPtr("86400000")}, "orders", "payments")
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	for _, name := range []string{"orders", "payments"} {
		r := created[name]
		if r.Err != nil || r.NumPartitions != 3 || r.ReplicationFactor != 1 || r.ID == (kadm.TopicID{}) {
			t.Fatalf("CreateTopics %s = %+v; want 3 partitions, RF 1 and a topic id", name, r)
		}
		retention := r.Configs["retention.ms"]
		if v := retention.MaybeValue(); v != "86400000" {
			t.Fatalf("CreateTopics %s returned retention.ms=%q", name, v)
		}
	}
	again, err := adm.CreateTopics(ctx, 1, 1, nil, "orders")
	if err != nil || !errors.Is(again["orders"].Err, kerr.TopicAlreadyExists) {
		t.Fatalf("creating orders again: %v, %+v; want TOPIC_ALREADY_EXISTS", err, again["orders"])
	}
	rf3, err := adm.CreateTopics(ctx, 1, 3, nil, "replicated")
	if err != nil || !errors.Is(rf3["replicated"].Err, kerr.InvalidReplicationFactor) {
		t.Fatalf("RF 3: %v, %+v; want INVALID_REPLICATION_FACTOR", err, rf3["replicated"])
	}
	defaults, err := adm.CreateTopics(ctx, -1, -1, nil, "defaults")
	if err != nil || defaults["defaults"].Err != nil || defaults["defaults"].NumPartitions != 1 {
		t.Fatalf("CreateTopics with broker defaults: %v, %+v; want 1 partition", err, defaults["defaults"])
	}

	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	if names := topics.Names(); !slices.Equal(names, []string{"defaults", "orders", "payments"}) {
		t.Fatalf("ListTopics = %v, want [defaults orders payments]", names)
	}
	for _, p := range topics["orders"].Partitions.Sorted() {
		if p.Leader != 1 || !slices.Equal(p.Replicas, []int32{1}) || p.Err != nil {
			t.Fatalf("orders partition %d: leader %d replicas %v err %v", p.Partition, p.Leader, p.Replicas, p.Err)
		}
	}

	if got := topicConfigs(t, adm, "orders")["retention.ms"]; got != "86400000" {
		t.Fatalf("retention.ms = %q, want 86400000", got)
	}
	alter, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "cleanup.policy", Value: kadm.StringPtr("compact")},
		{Op: kadm.DeleteConfig, Name: "retention.ms"},
	}, "orders")
	if err != nil || alter[0].Err != nil {
		t.Fatalf("AlterTopicConfigs: %v, %+v", err, alter)
	}
	cfg := topicConfigs(t, adm, "orders")
	if cfg["cleanup.policy"] != "compact" || cfg["retention.ms"] != "604800000" {
		t.Fatalf("after incremental alter: cleanup.policy=%q retention.ms=%q", cfg["cleanup.policy"], cfg["retention.ms"])
	}
	alter, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kadm.StringPtr("delete")}}, "orders")
	if err != nil || alter[0].Err != nil {
		t.Fatalf("AlterTopicConfigs append: %v, %+v", err, alter)
	}
	if got := topicConfigs(t, adm, "orders")["cleanup.policy"]; got != "compact,delete" {
		t.Fatalf("after append cleanup.policy=%q, want compact,delete", got)
	}
	alter, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "no.such.config", Value: kadm.StringPtr("1")}}, "orders")
	if err != nil || !errors.Is(alter[0].Err, kerr.InvalidConfig) {
		t.Fatalf("AlterTopicConfigs with an unknown key: %v, %+v; want INVALID_CONFIG", err, alter)
	}
	state, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: kadm.StringPtr("3600000")}}, "orders")
	if err != nil || state[0].Err != nil {
		t.Fatalf("AlterTopicConfigsState: %v, %+v", err, state)
	}
	cfg = topicConfigs(t, adm, "orders")
	if cfg["segment.ms"] != "3600000" || cfg["cleanup.policy"] != "delete" {
		t.Fatalf("AlterConfigs must replace all overrides: segment.ms=%q cleanup.policy=%q", cfg["segment.ms"], cfg["cleanup.policy"])
	}

	parts, err := adm.CreatePartitions(ctx, 2, "payments")
	if err != nil || parts["payments"].Err != nil {
		t.Fatalf("CreatePartitions: %v, %+v", err, parts)
	}
	parts, err = adm.UpdatePartitions(ctx, 2, "payments")
	if err != nil || !errors.Is(parts["payments"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrinking partitions: %v, %+v; want INVALID_PARTITIONS", err, parts)
	}
	// kadm caches metadata per client: changes are checked with a new one.
	topics, err = kadm.NewClient(newKgoClient(t, addr)).ListTopics(ctx, "payments")
	if err != nil || len(topics["payments"].Partitions) != 5 {
		t.Fatalf("payments after CreatePartitions: %v, %d partitions; want 5", err, len(topics["payments"].Partitions))
	}

	// Records in the new partition 4, then DeleteRecords below them.
	prod := newKgoClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := range 8 {
		recs = append(recs, &kgo.Record{Topic: "payments", Partition: 4, Value: fmt.Append(nil, i)})
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	var del kadm.Offsets
	del.Add(kadm.Offset{Topic: "payments", Partition: 4, At: 5})
	deleted, err := adm.DeleteRecords(ctx, del)
	if err != nil || deleted["payments"][4].Err != nil || deleted["payments"][4].LowWatermark != 5 {
		t.Fatalf("DeleteRecords: %v, %+v; want low watermark 5", err, deleted)
	}
	starts, err := adm.ListStartOffsets(ctx, "payments")
	if err != nil {
		t.Fatalf("ListStartOffsets: %v", err)
	}
	if o, _ := starts.Lookup("payments", 4); o.Offset != 5 {
		t.Fatalf("start offset after DeleteRecords = %d, want 5", o.Offset)
	}

	dels, err := adm.DeleteTopics(ctx, "orders", "payments", "missing")
	if err != nil {
		t.Fatalf("DeleteTopics: %v", err)
	}
	if dels["orders"].Err != nil || dels["payments"].Err != nil || !errors.Is(dels["missing"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("DeleteTopics = %+v; want orders and payments deleted, missing UNKNOWN_TOPIC_OR_PARTITION", dels)
	}
	topics, err = kadm.NewClient(newKgoClient(t, addr)).ListTopics(ctx)
	if err != nil || !slices.Equal(topics.Names(), []string{"defaults"}) {
		t.Fatalf("ListTopics after delete = %v, %v; want [defaults]", topics.Names(), err)
	}
}

// fetchBatches returns the record batches of one raw Fetch from offset.
func fetchBatches(t *testing.T, cl *kgo.Client, topic string, partition int32, offset int64) []kmsg.RecordBatch {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 16 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 16 << 20
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.FetchResponse](t, cl, req)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("Fetch: malformed response %+v", resp)
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatalf("Fetch %s-%d@%d: %v", topic, partition, offset, err)
	}
	var out []kmsg.RecordBatch
	for b := p.RecordBatches; len(b) > 0; {
		var batch kmsg.RecordBatch
		if err := batch.ReadFrom(b); err != nil {
			break // a trailing partial batch
		}
		out = append(out, batch)
		b = b[12+int(batch.Length):]
	}
	return out
}

func TestFranzProduceConsumeCodecs(t *testing.T) {
	t.Parallel()
	codecs := []struct {
		name  string
		codec kgo.CompressionCodec
		attr  int16
	}{
		{"none", kgo.NoCompression(), 0},
		{"gzip", kgo.GzipCompression(), 1},
		{"snappy", kgo.SnappyCompression(), 2},
		{"lz4", kgo.Lz4Compression(), 3},
		{"zstd", kgo.ZstdCompression(), 4},
	}
	addr := brokertest.Start(t)
	admin := newKgoClient(t, addr)
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			topic := "franz-" + c.name
			createTopic(t, admin, topic, 1, nil)
			cl := newKgoClient(t, addr,
				kgo.ProducerBatchCompression(c.codec),
				kgo.RecordPartitioner(kgo.ManualPartitioner()),
				kgo.ProducerLinger(50*time.Millisecond),
			)
			const n = 200
			t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
			want := make([]*kgo.Record, n)
			for i := range want {
				want[i] = &kgo.Record{
					Topic:     topic,
					Key:       fmt.Appendf(nil, "key-%d", i),
					Value:     bytes.Repeat(fmt.Appendf(nil, "%s value %d;", c.name, i), 10),
					Headers:   []kgo.RecordHeader{{Key: "idx", Value: fmt.Append(nil, i)}, {Key: "empty"}},
					Timestamp: t0.Add(time.Duration(i) * time.Second),
				}
			}
			want[5].Key = nil
			want[6].Value = nil
			if err := cl.ProduceSync(testCtx(t), want...).FirstErr(); err != nil {
				t.Fatalf("ProduceSync: %v", err)
			}
			got := consumeKgo(t, addr, topic, 0, n)
			for i, r := range got {
				w := want[i]
				if r.Offset != int64(i) {
					t.Fatalf("record %d has offset %d", i, r.Offset)
				}
				if !bytes.Equal(r.Key, w.Key) || (r.Key == nil) != (w.Key == nil) {
					t.Errorf("record %d key = %q, want %q", i, r.Key, w.Key)
				}
				if !bytes.Equal(r.Value, w.Value) || (r.Value == nil) != (w.Value == nil) {
					t.Errorf("record %d value = %q, want %q", i, r.Value, w.Value)
				}
				if !r.Timestamp.Equal(w.Timestamp) {
					t.Errorf("record %d timestamp = %v, want %v", i, r.Timestamp, w.Timestamp)
				}
				if len(r.Headers) != len(w.Headers) {
					t.Fatalf("record %d has %d headers, want %d", i, len(r.Headers), len(w.Headers))
				}
				for j, h := range r.Headers {
					if h.Key != w.Headers[j].Key || !bytes.Equal(h.Value, w.Headers[j].Value) {
						t.Errorf("record %d header %d = %q=%q, want %q=%q", i, j, h.Key, h.Value, w.Headers[j].Key, w.Headers[j].Value)
					}
				}
			}
			// The broker stores batches as received: the codec on the
			// wire is the producer's.
			batches := fetchBatches(t, cl, topic, 0, 0)
			if len(batches) == 0 {
				t.Fatal("raw fetch returned no batch")
			}
			for _, b := range batches {
				if b.Attributes&0x07 != c.attr {
					t.Fatalf("batch at %d has codec %d, want %d", b.FirstOffset, b.Attributes&0x07, c.attr)
				}
			}
		})
	}
}

func TestFranzListOffsetsByTime(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	cl := newKgoClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	const topic = "by-time"
	createTopic(t, cl, topic, 1, nil)
	t0 := time.Now().Add(-24 * time.Hour).Truncate(time.Millisecond).UnixMilli()
	// Three produce calls: several batches, so lookups cross batch bounds.
	for _, group := range [][]int{{0, 1}, {2, 3, 4}, {5}} {
		var recs []*kgo.Record
		for _, i := range group {
			recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Append(nil, i), Timestamp: time.UnixMilli(t0 + int64(i)*1000)})
		}
		if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
			t.Fatalf("ProduceSync: %v", err)
		}
	}

	cases := []struct {
		name       string
		ts         int64
		wantOffset int64
		wantTs     int64
	}{
		{"before all", t0 - 5000, 0, t0},
		{"exactly first", t0, 0, t0},
		{"just after first", t0 + 1, 1, t0 + 1000},
		{"between 1 and 2", t0 + 1500, 2, t0 + 2000},
		{"exactly third", t0 + 2000, 2, t0 + 2000},
		{"inside second batch", t0 + 3999, 4, t0 + 4000},
		{"exactly last", t0 + 5000, 5, t0 + 5000},
		{"after all", t0 + 5001, -1, -1},
		{"earliest", -2, 0, -1},
		{"latest", -1, 6, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			off, ts := listOffset(t, cl, topic, 0, tc.ts)
			if off != tc.wantOffset {
				t.Fatalf("ListOffsets(%d) offset = %d, want %d", tc.ts, off, tc.wantOffset)
			}
			if ts != tc.wantTs {
				t.Fatalf("ListOffsets(%d) timestamp = %d, want %d", tc.ts, ts, tc.wantTs)
			}
		})
	}

	adm := kadm.NewClient(cl)
	after, err := adm.ListOffsetsAfterMilli(testCtx(t), t0+1500, topic)
	if err != nil {
		t.Fatalf("ListOffsetsAfterMilli: %v", err)
	}
	if o, ok := after.Lookup(topic, 0); !ok || o.Err != nil || o.Offset != 2 || o.Timestamp != t0+2000 {
		t.Fatalf("ListOffsetsAfterMilli(t0+1500) = %+v, want offset 2 at t0+2000", o)
	}
	// kadm falls back to the end offset when the broker answers -1.
	after, err = adm.ListOffsetsAfterMilli(testCtx(t), t0+60000, topic)
	if err != nil {
		t.Fatalf("ListOffsetsAfterMilli: %v", err)
	}
	if o, ok := after.Lookup(topic, 0); !ok || o.Err != nil || o.Offset != 6 {
		t.Fatalf("ListOffsetsAfterMilli(after all) = %+v, want the end offset 6", o)
	}
	ends, err := adm.ListEndOffsets(testCtx(t), topic)
	if err != nil {
		t.Fatalf("ListEndOffsets: %v", err)
	}
	if o, _ := ends.Lookup(topic, 0); o.Offset != 6 {
		t.Fatalf("ListEndOffsets = %+v, want 6", o)
	}
}

func TestFranzIdempotentProduce(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	const topic = "idem"
	const partitions = 3
	cl := newKgoClient(t, addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(time.Millisecond), kgo.MaxBufferedRecords(500))
	createTopic(t, cl, topic, partitions, nil)

	const n = 3000
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ctx := testCtx(t)
	for i := range n {
		wg.Add(1)
		r := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%97), Value: fmt.Append(nil, i)}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("produce: %v", firstErr)
	}

	seen := map[string]bool{}
	total := 0
	for p := range int32(partitions) {
		end := endOffset(t, cl, topic, p)
		recs := consumeKgo(t, addr, topic, p, int(end))
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("partition %d: record %d at offset %d, offsets not contiguous", p, i, r.Offset)
			}
			if seen[string(r.Value)] {
				t.Fatalf("partition %d offset %d: duplicate record %s", p, r.Offset, r.Value)
			}
			seen[string(r.Value)] = true
			if r.ProducerID < 0 {
				t.Fatalf("partition %d offset %d: no producer id, franz-go did not produce idempotently", p, r.Offset)
			}
		}
		total += len(recs)
	}
	if total != n || len(seen) != n {
		t.Fatalf("stored %d records (%d distinct), want %d", total, len(seen), n)
	}
}

// initProducerID asks the broker for an idempotent producer id.
func initProducerID(t *testing.T, cl *kgo.Client) (int64, int16) {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = 60000
	req.ProducerID, req.ProducerEpoch = -1, -1
	resp := request[*kmsg.InitProducerIDResponse](t, cl, req)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil || resp.ProducerID < 0 {
		t.Fatalf("InitProducerID: %v, id %d", err, resp.ProducerID)
	}
	return resp.ProducerID, resp.ProducerEpoch
}

func TestFranzRawDuplicateDetection(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	// The raw client never produces itself; idempotence off keeps it from
	// asking for a producer id of its own.
	cl := newKgoClient(t, addr, kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.AllISRAcks()))
	const topic = "dedupe"
	createTopic(t, cl, topic, 1, nil)
	pid, epoch := initProducerID(t, cl)
	pid2, _ := initProducerID(t, cl)
	if pid2 == pid {
		t.Fatalf("InitProducerID returned %d twice", pid)
	}
	ts := time.Now().UnixMilli()
	batch := func(id int64, ep int16, seq int32, n int) []byte {
		return rawBatch{producerID: id, producerEpoch: ep, baseSequence: seq, baseTimestamp: ts, records: simpleRecords(fmt.Sprint(seq), n)}.encode()
	}

	steps := []struct {
		name     string
		batch    []byte
		wantErr  *kerr.Error
		wantBase int64
		wantEnd  int64
	}{
		{"first batch", batch(pid, epoch, 0, 3), nil, 0, 3},
		{"retry of first batch", batch(pid, epoch, 0, 3), nil, 0, 3},
		{"next batch", batch(pid, epoch, 3, 2), nil, 3, 5},
		{"retry of the older batch", batch(pid, epoch, 0, 3), nil, 0, 5},
		{"retry of the last batch", batch(pid, epoch, 3, 2), nil, 3, 5},
		{"sequence gap", batch(pid, epoch, 9, 1), kerr.OutOfOrderSequenceNumber, -1, 5},
		{"sequence going back", batch(pid, epoch, 4, 1), kerr.OutOfOrderSequenceNumber, -1, 5},
		{"in sequence after the rejections", batch(pid, epoch, 5, 1), nil, 5, 6},
		{"second producer", batch(pid2, 0, 0, 2), nil, 6, 8},
		{"non-idempotent batch", batch(-1, -1, -1, 1), nil, 8, 9},
		{"same non-idempotent batch again", batch(-1, -1, -1, 1), nil, 9, 10},
		{"bumped epoch restarts at 0", batch(pid, epoch+1, 0, 1), nil, 10, 11},
		{"fenced old epoch", batch(pid, epoch, 6, 1), kerr.InvalidProducerEpoch, -1, 11},
	}
	for _, st := range steps {
		got := produceRaw(t, cl, topic, 0, st.batch)
		err := kerr.ErrorForCode(got.ErrorCode)
		switch {
		case st.wantErr == nil && err != nil:
			t.Fatalf("%s: %v", st.name, err)
		case st.wantErr != nil && !errors.Is(err, st.wantErr):
			t.Fatalf("%s: error %v, want %v", st.name, err, st.wantErr)
		case st.wantErr == nil && got.BaseOffset != st.wantBase:
			t.Fatalf("%s: base offset %d, want %d", st.name, got.BaseOffset, st.wantBase)
		}
		if end := endOffset(t, cl, topic, 0); end != st.wantEnd {
			t.Fatalf("%s: end offset %d, want %d", st.name, end, st.wantEnd)
		}
	}
	// What is stored is the first copy of each batch, once.
	type stored struct {
		offset, pid int64
		epoch       int16
		seq, count  int32
	}
	want := []stored{
		{0, pid, epoch, 0, 3}, {3, pid, epoch, 3, 2}, {5, pid, epoch, 5, 1}, {6, pid2, 0, 0, 2},
		{8, -1, -1, -1, 1}, {9, -1, -1, -1, 1}, {10, pid, epoch + 1, 0, 1},
	}
	var got []stored
	for _, b := range fetchBatches(t, cl, topic, 0, 0) {
		got = append(got, stored{b.FirstOffset, b.ProducerID, b.ProducerEpoch, b.FirstSequence, b.NumRecords})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stored batches\n%+v\nwant\n%+v", got, want)
	}
}

func TestRestartDurability(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const topic = "durable"
	type key struct {
		partition int32
		offset    int64
	}
	acked := map[key]string{} // every acknowledged record, by position
	produce := func(t *testing.T, addr string, round, n int) {
		t.Helper()
		cl := newKgoClient(t, addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(time.Millisecond))
		var recs []*kgo.Record
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%13), Value: fmt.Appendf(nil, "round %d record %d", round, i)})
		}
		results := cl.ProduceSync(testCtx(t), recs...)
		if err := results.FirstErr(); err != nil {
			t.Fatalf("round %d: produce: %v", round, err)
		}
		for _, r := range results {
			k := key{r.Record.Partition, r.Record.Offset}
			if prev, dup := acked[k]; dup {
				t.Fatalf("round %d: %s acknowledged at %+v, where %s already was", round, r.Record.Value, k, prev)
			}
			acked[k] = string(r.Record.Value)
		}
		cl.Close()
	}

	srv := brokertest.New(t, broker.Config{DataDir: dir})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	cl := newKgoClient(t, srv.Addr(), kgo.DisableIdempotentWrite())
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	created, err := adm.CreateTopic(ctx, 2, 1, map[string]*string{"retention.ms": kadm.StringPtr("123456789"), "max.message.bytes": kadm.StringPtr("2000000")}, topic)
	if err != nil || created.Err != nil {
		t.Fatalf("CreateTopic: %v, %v", err, created.Err)
	}
	if resp, err := adm.CreatePartitions(ctx, 1, topic); err != nil || resp[topic].Err != nil {
		t.Fatalf("CreatePartitions: %v, %+v", err, resp)
	}
	produce(t, srv.Addr(), 0, 300)
	var del kadm.Offsets
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 3})
	if resp, err := adm.DeleteRecords(ctx, del); err != nil || resp[topic][0].Err != nil {
		t.Fatalf("DeleteRecords: %v, %+v", err, resp)
	}
	// One idempotent batch whose retry must still be recognised after the
	// restart.
	pid, epoch := initProducerID(t, cl)
	idem := rawBatch{producerID: pid, producerEpoch: epoch, baseSequence: 0, baseTimestamp: time.Now().UnixMilli(), records: simpleRecords("idem", 2)}.encode()
	first := produceRaw(t, cl, topic, 2, idem)
	if first.ErrorCode != 0 {
		t.Fatalf("idempotent produce: %v", kerr.ErrorForCode(first.ErrorCode))
	}
	for i := range int64(2) {
		acked[key{2, first.BaseOffset + i}] = fmt.Sprintf("idem-value-%d", i)
	}
	cl.Close()

	for restart := 1; restart <= 2; restart++ {
		if err := srv.Close(); err != nil {
			t.Fatalf("close before restart %d: %v", restart, err)
		}
		srv = brokertest.New(t, broker.Config{DataDir: dir})
		if err := srv.Start(); err != nil {
			t.Fatalf("restart %d: %v", restart, err)
		}
		addr := srv.Addr()
		cl := newKgoClient(t, addr, kgo.DisableIdempotentWrite())
		adm := kadm.NewClient(cl)

		topics, err := adm.ListTopics(ctx, topic)
		if err != nil || topics[topic].Err != nil || len(topics[topic].Partitions) != 3 || topics[topic].ID != created.ID {
			t.Fatalf("restart %d: topic %+v, %v; want 3 partitions and id %v", restart, topics[topic], err, created.ID)
		}
		cfg := topicConfigs(t, adm, topic)
		if cfg["retention.ms"] != "123456789" || cfg["max.message.bytes"] != "2000000" {
			t.Fatalf("restart %d: configs retention.ms=%q max.message.bytes=%q", restart, cfg["retention.ms"], cfg["max.message.bytes"])
		}
		if start, _ := listOffset(t, cl, topic, 0, -2); start != 3 {
			t.Fatalf("restart %d: partition 0 starts at %d, want 3 (DeleteRecords)", restart, start)
		}
		retry := produceRaw(t, cl, topic, 2, idem)
		if retry.ErrorCode != 0 || retry.BaseOffset != first.BaseOffset {
			t.Fatalf("restart %d: retried idempotent batch: %v at %d, want the original offset %d", restart, kerr.ErrorForCode(retry.ErrorCode), retry.BaseOffset, first.BaseOffset)
		}

		for p := range int32(3) {
			start, _ := listOffset(t, cl, topic, p, -2)
			end := endOffset(t, cl, topic, p)
			var wantEnd int64
			for k := range acked {
				if k.partition == p {
					wantEnd = max(wantEnd, k.offset+1)
				}
			}
			if end != wantEnd {
				t.Fatalf("restart %d: partition %d ends at %d, want %d", restart, p, end, wantEnd)
			}
			recs := consumeKgo(t, addr, topic, p, int(end-start))
			read := map[int64]bool{}
			for _, r := range recs {
				want, ok := acked[key{p, r.Offset}]
				if !ok || string(r.Value) != want {
					t.Fatalf("restart %d: partition %d offset %d = %q, acknowledged %q", restart, p, r.Offset, r.Value, want)
				}
				read[r.Offset] = true
			}
			for k := range acked {
				if k.partition == p && k.offset >= start && !read[k.offset] {
					t.Fatalf("restart %d: acknowledged record at %+v is missing", restart, k)
				}
			}
		}
		// Appends continue after the recovered end, never over it.
		produce(t, addr, restart, 100)
		cl.Close()
	}
}
