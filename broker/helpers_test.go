package broker_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testTimeout bounds every client call of the interop tests, so a broker that
// stops answering fails a test instead of hanging the package.
const testTimeout = 30 * time.Second

// testCtx returns a context cancelled when the test ends or testTimeout passes.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newKgoClient returns a franz-go client seeded with addr, closed when the
// test ends.
func newKgoClient(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// createTopic creates a topic through kadm and fails the test on any error.
func createTopic(t testing.TB, cl *kgo.Client, name string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(testCtx(t), partitions, 1, configs, name)
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", name, resp.Err, resp.ErrMessage)
	}
}

// request issues a raw request and returns its typed response.
func request[R kmsg.Response](t testing.TB, cl *kgo.Client, req kmsg.Request) R {
	t.Helper()
	resp, err := cl.Request(testCtx(t), req)
	if err != nil {
		t.Fatalf("%s request: %v", kmsg.NameForKey(req.Key()), err)
	}
	r, ok := resp.(R)
	if !ok {
		t.Fatalf("%s request: response of type %T", kmsg.NameForKey(req.Key()), resp)
	}
	return r
}

// listOffset asks for one partition's offset at timestamp ts (-1 latest,
// -2 earliest) with a raw ListOffsets request and returns offset and
// timestamp; a Kafka error fails the test.
func listOffset(t testing.TB, cl *kgo.Client, topic string, partition int32, ts int64) (offset, timestamp int64) {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = partition
	rp.Timestamp = ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.ListOffsetsResponse](t, cl, req)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("ListOffsets %s-%d: malformed response %+v", topic, partition, resp)
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatalf("ListOffsets %s-%d at %d: %v", topic, partition, ts, err)
	}
	return p.Offset, p.Timestamp
}

// endOffset returns a partition's log end offset (high watermark).
func endOffset(t testing.TB, cl *kgo.Client, topic string, partition int32) int64 {
	t.Helper()
	off, _ := listOffset(t, cl, topic, partition, -1)
	return off
}

// rawBatch describes an uncompressed v2 record batch built by hand.
type rawBatch struct {
	producerID    int64 // -1 for none
	producerEpoch int16
	baseSequence  int32
	baseTimestamp int64
	records       []kmsg.Record // Length and OffsetDelta are filled in
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode returns the batch's wire bytes with a correct CRC-32C over bytes
// 21..end (attributes to the end), as the protocol requires.
func (b rawBatch) encode() []byte {
	var recs []byte
	maxTs := b.baseTimestamp
	for i, r := range b.records {
		r.OffsetDelta = int32(i)
		r.Length = 0
		body := r.AppendTo(nil)
		r.Length = int32(len(body) - 1) // a zero Length is one varint byte
		recs = r.AppendTo(recs)
		maxTs = max(maxTs, b.baseTimestamp+r.TimestampDelta64)
	}
	batch := kmsg.RecordBatch{
		FirstOffset:          0,
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           0,
		LastOffsetDelta:      int32(len(b.records) - 1),
		FirstTimestamp:       b.baseTimestamp,
		MaxTimestamp:         maxTs,
		ProducerID:           b.producerID,
		ProducerEpoch:        b.producerEpoch,
		FirstSequence:        b.baseSequence,
		NumRecords:           int32(len(b.records)),
		Records:              recs,
	}
	batch.Length = int32(61 - 12 + len(recs))
	out := batch.AppendTo(nil)
	crc := crc32.Checksum(out[21:], castagnoli)
	out[17], out[18], out[19], out[20] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return out
}

// simpleRecords returns n records with keys, values and a header.
func simpleRecords(prefix string, n int) []kmsg.Record {
	recs := make([]kmsg.Record, n)
	for i := range recs {
		recs[i] = kmsg.Record{
			TimestampDelta64: int64(i),
			Key:              fmt.Appendf(nil, "%s-key-%d", prefix, i),
			Value:            fmt.Appendf(nil, "%s-value-%d", prefix, i),
			Headers:          []kmsg.Header{{Key: "h", Value: fmt.Appendf(nil, "%d", i)}},
		}
	}
	return recs
}

// produceRequest builds an acks=all Produce request carrying one batch for
// one partition.
func produceRequest(topic string, partition int32, batch []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// produceRaw sends one batch and returns the partition's answer.
func produceRaw(t testing.TB, cl *kgo.Client, topic string, partition int32, batch []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	resp := request[*kmsg.ProduceResponse](t, cl, produceRequest(topic, partition, batch))
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("Produce %s-%d: malformed response %+v", topic, partition, resp)
	}
	return resp.Topics[0].Partitions[0]
}

// consumeKgo reads n records of one partition from the start with a fresh
// franz-go consumer, failing the test if they do not arrive in time.
func consumeKgo(t testing.TB, addr, topic string, partition int32, n int) []*kgo.Record {
	t.Helper()
	cl := newKgoClient(t, addr,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	ctx := testCtx(t)
	var out []*kgo.Record
	for len(out) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s-%d: got %d of %d records before the deadline", topic, partition, len(out), n)
		}
		for _, fe := range fetches.Errors() {
			t.Fatalf("consume %s-%d: fetch error: %v", fe.Topic, fe.Partition, fe.Err)
		}
		out = append(out, fetches.Records()...)
	}
	return out
}

// eventually polls cond until it reports true or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
