package tolerance

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/connectors"
	"conflux/internal/brokertest"
)

// endOffset returns the end offset of partition 0 of topic.
func endOffset(t *testing.T, addr, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).ListEndOffsets(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := offs.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("end offset of %s-0: %v", topic, o.Err)
	}
	return o.Offset
}

// openOp opens an operator on the broker at addr.
func openOp(t *testing.T, addr string, cfg Config) *Operator {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	op, err := Open(ctx, cfg, []string{addr}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := op.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return op
}

func kgoHeaders(h []kgo.RecordHeader) connectors.RawHeaders {
	out := make(connectors.RawHeaders, len(h))
	for i, x := range h {
		out[i] = connectors.RawHeader{Key: x.Key, Value: x.Value}
	}
	return out
}

// TestDLQOnBroker writes failing records to a dead letter queue on a real
// broker, with and without context headers, and reads them back.
func TestDLQOnBroker(t *testing.T) {
	addr := brokertest.Start(t)
	cause := &connectors.DataError{Msg: "Converting byte[] to Kafka Connect data failed due to serialization error"}
	for _, headers := range []bool{false, true} {
		name := "plain"
		if headers {
			name = "context-headers"
		}
		t.Run(name, func(t *testing.T) {
			topic := "dlq-" + name
			op := openOp(t, addr, Config{Connector: "pg-sink", Task: 2, Tolerance: ToleranceAll,
				DLQTopic: topic, DLQReplicationFactor: 1, DLQContextHeaders: headers})
			first := consumedContext()
			second := &Context{Topic: "orders", Partition: 0, Offset: 7, Value: []byte("not json")} // null key, no timestamp
			failValue(t, op, first, cause)
			skip, err := op.Execute(t.Context(), StageTransformation, "org.example.Mask", second, func() error {
				return errors.New("field card missing")
			})
			if !skip || err != nil {
				t.Fatalf("Execute = %v, %v", skip, err)
			}
			if err := op.Flush(t.Context()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			// Flush returned: both records are in the log already, before
			// any offset commit could happen.
			if end := endOffset(t, addr, topic); end != 2 {
				t.Fatalf("end offset right after Flush is %d, want 2", end)
			}
			got := brokertest.ReadRecords(t, addr, topic, 2)
			for i, want := range []*Context{first, second} {
				r := got[i]
				if r.Partition != 0 || !bytes.Equal(r.Key, want.Key) || (r.Key == nil) != (want.Key == nil) || !bytes.Equal(r.Value, want.Value) {
					t.Errorf("record %d: partition %d key %q value %q; want the original", i, r.Partition, r.Key, r.Value)
				}
				h := kgoHeaders(r.Headers)
				if !equalHeaders(h[:len(want.Headers)], want.Headers) {
					t.Errorf("record %d: original headers lost: %s", i, showHeaders(h))
				}
				if !headers && len(h) != len(want.Headers) {
					t.Errorf("record %d: unexpected headers %s", i, showHeaders(h))
				}
			}
			if !got[0].Timestamp.Equal(first.Timestamp) {
				t.Errorf("timestamp %v, want the original %v", got[0].Timestamp, first.Timestamp)
			}
			if headers {
				h := kgoHeaders(got[1].Headers)
				want := connectors.RawHeaders{
					{Key: HeaderTopic, Value: []byte("orders")},
					{Key: HeaderPartition, Value: []byte("0")},
					{Key: HeaderOffset, Value: []byte("7")},
					{Key: HeaderConnectorName, Value: []byte("pg-sink")},
					{Key: HeaderTaskID, Value: []byte("2")},
					{Key: HeaderStage, Value: []byte("TRANSFORMATION")},
					{Key: HeaderClassName, Value: []byte("org.example.Mask")},
					{Key: HeaderExceptionClassName, Value: []byte("*errors.errorString")},
					{Key: HeaderExceptionMessage, Value: []byte("field card missing")},
					{Key: HeaderExceptionTrace, Value: []byte("*errors.errorString: field card missing")},
				}
				if !equalHeaders(h, want) {
					t.Errorf("context headers:\n got  %s\n want %s", showHeaders(h), showHeaders(want))
				}
				if v, _ := kgoHeaders(got[0].Headers).Last(HeaderStage); string(v) != "VALUE_CONVERTER" {
					t.Errorf("first record's stage header %q", v)
				}
			}
			if st := op.Stats(); st.DLQProduceRequests != 2 || st.DLQProduceFailures != 0 || st.RecordsSkipped != 2 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestDLQTopicCreation checks how the dead letter queue topic is set up:
// created with one partition, kept as it is when it exists, and a clear
// error when the cluster cannot honour the replication factor.
func TestDLQTopicCreation(t *testing.T) {
	addr := brokertest.Start(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(t.Context(), 3, 1, nil, "dlq-existing"); err != nil {
		t.Fatal(err)
	}
	partitions := func(topic string) int {
		t.Helper()
		td, err := adm.ListTopics(t.Context(), topic)
		if err != nil || td[topic].Err != nil {
			t.Fatalf("list %s: %v %v", topic, err, td[topic].Err)
		}
		return len(td[topic].Partitions)
	}

	for _, tt := range []struct {
		topic          string
		rf             int16
		wantPartitions int
	}{{"dlq-rf1", 1, 1}, {"dlq-default-rf", -1, 1}, {"dlq-existing", 1, 3}} {
		t.Run(tt.topic, func(t *testing.T) {
			op := openOp(t, addr, Config{Connector: "c", Tolerance: ToleranceAll, DLQTopic: tt.topic, DLQReplicationFactor: tt.rf})
			if got := partitions(tt.topic); got != tt.wantPartitions {
				t.Errorf("%d partitions, want %d", got, tt.wantPartitions)
			}
			failValue(t, op, consumedContext(), errors.New("bad"))
			if err := op.Flush(t.Context()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if r := brokertest.ReadRecords(t, addr, tt.topic, 1)[0]; string(r.Key) != "s3cret-key" {
				t.Errorf("read key %q", r.Key)
			}
		})
	}

	t.Run("replication factor above the broker count", func(t *testing.T) {
		_, err := Open(t.Context(), Config{Connector: "c", DLQTopic: "dlq-rf3", DLQReplicationFactor: 3}, []string{addr}, nil)
		if !errors.Is(err, ErrDeadLetterQueue) || !errors.Is(err, sarama.ErrInvalidReplicationFactor) {
			t.Fatalf("Open = %v, want ErrDeadLetterQueue wrapping INVALID_REPLICATION_FACTOR", err)
		}
		for _, s := range []string{"could not initialize dead letter queue with topic=dlq-rf3", "errors.deadletterqueue.topic.replication.factor"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
		td, err := adm.ListTopics(t.Context(), "dlq-rf3")
		if err == nil && td.Has("dlq-rf3") && td["dlq-rf3"].Err == nil {
			t.Errorf("the topic was created anyway")
		}
	})
}

// TestErrantReporterOnBroker has a sink task report records it could not
// write; the dead letter queue receives the original consumed bytes.
func TestErrantReporterOnBroker(t *testing.T) {
	addr := brokertest.Start(t)
	op := openOp(t, addr, Config{Connector: "pg-sink", Tolerance: ToleranceAll, DLQTopic: "dlq", DLQReplicationFactor: 1, DLQContextHeaders: true})
	if !op.ReportsErrantRecords() {
		t.Fatal("a dead letter queue should enable the errant record reporter")
	}
	originals := []Context{
		{Topic: "orders", Partition: 1, Offset: 10, Key: []byte("k10"), Value: []byte(`{"id":10}`)},
		{Topic: "orders", Partition: 1, Offset: 11, Key: []byte("k11"), Value: []byte(`{"id":11}`)},
	}
	delivered := []*connectors.Record{
		{Topic: "orders-routed", KafkaPartition: connectors.Partition(1), KafkaOffset: 10, Value: map[string]any{"id": 10}},
		{Topic: "orders-routed", KafkaPartition: connectors.Partition(1), KafkaOffset: 11, Value: map[string]any{"id": 11}},
	}
	rep := op.NewErrantReporter(&fakeTask{}, nil)
	rep.SetBatch(delivered, originals)
	var reporter connectors.ErrantRecordReporter = rep
	// The task reports a copy of the second record.
	if err := reporter.Report(t.Context(), delivered[1].Copy(), errors.New("constraint violation")); err != nil {
		t.Fatalf("Report: %v", err)
	}
	if err := op.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	r := brokertest.ReadRecords(t, addr, "dlq", 1)[0]
	h := kgoHeaders(r.Headers)
	stage, _ := h.Last(HeaderStage)
	class, _ := h.Last(HeaderClassName)
	offset, _ := h.Last(HeaderOffset)
	if string(r.Key) != "k11" || string(r.Value) != `{"id":11}` || string(stage) != "TASK_PUT" ||
		string(class) != "*conflux/runtime/tolerance.fakeTask" || string(offset) != "11" {
		t.Errorf("got key %q value %q headers %s", r.Key, r.Value, showHeaders(h))
	}
}

func TestDLQProducer(t *testing.T) {
	if _, err := OpenDLQ(t.Context(), DLQConfig{Topic: "dlq"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("OpenDLQ without brokers = %v", err)
	}
	addr := brokertest.Start(t)
	p, err := OpenDLQ(t.Context(), DLQConfig{Brokers: []string{addr}, Topic: "dlq", ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan error, 1)
	if err := p.Send(t.Context(), &DLQRecord{Value: []byte("v")}, func(err error) { acked <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-acked; err != nil {
		t.Fatalf("write failed: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Send(t.Context(), &DLQRecord{}, func(error) { t.Error("done called after a refused Send") }); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}
