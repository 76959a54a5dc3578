package offsets_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog/logtest"
	"conflux/offsets"
)

func submit(t *testing.T, w *offsets.OffsetWriter, p map[string]any, pos int) *offsets.SubmittedRecord {
	t.Helper()
	r, err := w.Submit(p, map[string]any{"pos": pos})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func stored(t *testing.T, s *offsets.Store, conn string, p map[string]any) any {
	t.Helper()
	got, err := s.Get(ctx(t), conn, []map[string]any{p})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := got[mustKey(t, p)]; ok {
		return o["pos"]
	}
	return nil
}

func flush(t *testing.T, w *offsets.OffsetWriter) int {
	t.Helper()
	n, err := w.Flush(ctx(t))
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return n
}

// TestOffsetWriterFlushesOnlyAcknowledged checks the commit rule: an offset
// is flushed only once its record and every earlier record of the same
// source partition are acknowledged.
func TestOffsetWriterFlushesOnlyAcknowledged(t *testing.T) {
	s := offsets.NewMemoryStore(nil)
	defer s.Close()
	w := offsets.NewOffsetWriter(s, "conn")
	a, b := part(0), part(1)

	ra1, ra2, ra3 := submit(t, w, a, 1), submit(t, w, a, 2), submit(t, w, a, 3)
	rb1 := submit(t, w, b, 10)
	if n := flush(t, w); n != 0 {
		t.Fatalf("flushed %d partitions before any ack", n)
	}
	if stored(t, s, "conn", a) != nil {
		t.Fatalf("offset stored before any ack")
	}

	// Record 3 acked before 1 and 2: nothing of partition a is committable.
	ra3.Ack()
	rb1.Ack()
	if n := flush(t, w); n != 1 {
		t.Fatalf("flushed %d partitions, want 1 (b only)", n)
	}
	if got := stored(t, s, "conn", a); got != nil {
		t.Fatalf("partition a stored at %v although records 1 and 2 are unacknowledged", got)
	}
	if got := stored(t, s, "conn", b); got != int64(10) {
		t.Fatalf("partition b = %v, want 10", got)
	}

	ra1.Ack()
	if got := w.Committable(); len(got) != 1 || got[0].Offset["pos"] != 1 {
		t.Fatalf("committable = %v, want a at 1", got)
	}
	flush(t, w)
	if got := stored(t, s, "conn", a); got != int64(1) {
		t.Fatalf("partition a = %v, want 1 (2 is still unacknowledged)", got)
	}

	ra2.Ack()
	ra2.Ack() // idempotent
	flush(t, w)
	if got := stored(t, s, "conn", a); got != int64(3) {
		t.Fatalf("partition a = %v, want 3 once 2 filled the gap", got)
	}
	if w.Outstanding() != 0 {
		t.Errorf("outstanding = %d, want 0", w.Outstanding())
	}
	// Nothing changed: nothing to write.
	if n := flush(t, w); n != 0 {
		t.Errorf("idle flush wrote %d partitions", n)
	}

	// A record that is never acknowledged holds its partition back for good.
	submit(t, w, b, 11)
	rb12 := submit(t, w, b, 12)
	rb12.Ack()
	flush(t, w)
	if got := stored(t, s, "conn", b); got != int64(10) {
		t.Errorf("partition b = %v, want 10 while 11 is unacknowledged", got)
	}
	if w.Outstanding() != 1 {
		t.Errorf("outstanding = %d, want 1", w.Outstanding())
	}

	// Records without partition or offset carry nothing.
	r, err := w.Submit(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Ack()
}

// TestOffsetWriterRecordsWithoutOffset checks records that carry their
// partition but no offset: they hold the partition's later offsets back
// until acknowledged, and never move the committed offset themselves.
func TestOffsetWriterRecordsWithoutOffset(t *testing.T) {
	s := offsets.NewMemoryStore(nil)
	defer s.Close()
	w := offsets.NewOffsetWriter(s, "conn")
	a := part(0)
	bare := func() *offsets.SubmittedRecord {
		t.Helper()
		r, err := w.Submit(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// ackInTurn acks first, checks that nothing can be flushed, acks last
	// and checks that the partition is stored at want.
	ackInTurn := func(first, last []*offsets.SubmittedRecord, want int64) {
		t.Helper()
		for _, r := range first {
			r.Ack()
		}
		if n := flush(t, w); n != 0 {
			t.Fatalf("flushed %d partitions before the records ahead were acknowledged", n)
		}
		for _, r := range last {
			r.Ack()
		}
		flush(t, w)
		if got := stored(t, s, "conn", a); got != want {
			t.Fatalf("partition a = %v, want %d", got, want)
		}
	}
	r1, r2, r3 := bare(), bare(), submit(t, w, a, 3)
	ackInTurn([]*offsets.SubmittedRecord{r3, r2}, []*offsets.SubmittedRecord{r1}, 3)

	// An acknowledged prefix of records without offsets changes nothing; the
	// offset of the last record that has one wins.
	r4, r5 := submit(t, w, a, 4), bare()
	ackInTurn([]*offsets.SubmittedRecord{r5}, []*offsets.SubmittedRecord{r4}, 4)
	if w.Outstanding() != 0 {
		t.Errorf("outstanding = %d, want 0", w.Outstanding())
	}
}

func TestOffsetWriterKeepsOffsetsOfAFailedFlush(t *testing.T) {
	s := offsets.NewMemoryStore(nil)
	w := offsets.NewOffsetWriter(s, "conn")
	submit(t, w, part(0), 1).Ack()
	s.Close() // every write fails from now on
	if _, err := w.Flush(ctx(t)); err == nil {
		t.Fatal("flush to a closed store succeeded")
	}
	if got := w.Committable(); len(got) != 1 || got[0].Offset["pos"] != 1 {
		t.Fatalf("after a failed flush, committable = %v; want the offset kept", got)
	}
	// A newer offset acknowledged meanwhile wins over the failed one.
	submit(t, w, part(0), 2).Ack()
	if got := w.Committable(); len(got) != 1 || got[0].Offset["pos"] != 2 {
		t.Fatalf("committable = %v, want pos 2", got)
	}
}

func TestOffsetWriterConcurrentAcks(t *testing.T) {
	s := offsets.NewMemoryStore(nil)
	defer s.Close()
	w := offsets.NewOffsetWriter(s, "conn")
	const n = 2000
	recs := make([]*offsets.SubmittedRecord, n)
	for i := range n {
		recs[i] = submit(t, w, part(i%4), i)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := n - 1 - g; i >= 0; i -= 8 { // acks arrive out of order
				recs[i].Ack()
			}
		})
		wg.Go(func() {
			if _, err := w.Flush(ctx(t)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	flush(t, w)
	for p := range 4 {
		if got := stored(t, s, "conn", part(p)); got != int64(n-4+p) {
			t.Errorf("partition %d = %v, want %d", p, got, n-4+p)
		}
	}
}

// TestOffsetWriterWithKafkaAcks produces real records to Kafka and acks their
// offsets from the producer's success callbacks, as a source task does; only
// what the broker acknowledged reaches the offsets topic.
func TestOffsetWriterWithKafkaAcks(t *testing.T) {
	b := logtest.StartBroker(t)
	s, err := offsets.OpenStore(ctx(t), offsets.StoreConfig{Brokers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := offsets.NewOffsetWriter(s, "datagen")
	logtest.CreateTopic(t, b.Addr(), "users", 3, nil)

	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	prod, err := sarama.NewAsyncProducer([]string{b.Addr()}, conf)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			select {
			case m := <-prod.Successes():
				m.Metadata.(*offsets.SubmittedRecord).Ack()
			case e := <-prod.Errors():
				t.Errorf("produce: %v", e.Err) // never acked
			}
		}
	}()
	for i := range n {
		r := submit(t, w, map[string]any{"task.id": i % 3}, i)
		prod.Input() <- &sarama.ProducerMessage{Topic: "users", Value: sarama.StringEncoder(fmt.Sprint(i)), Metadata: r}
	}
	<-done
	prod.Close()
	if got := flush(t, w); got != 3 {
		t.Errorf("flushed %d partitions, want 3", got)
	}
	list, err := s.ConnectorOffsets(ctx(t), "datagen")
	if err != nil {
		t.Fatal(err)
	}
	want := []offsets.PartitionOffset{
		{Partition: map[string]any{"task.id": int64(0)}, Offset: map[string]any{"pos": int64(n - 3)}},
		{Partition: map[string]any{"task.id": int64(1)}, Offset: map[string]any{"pos": int64(n - 2)}},
		{Partition: map[string]any{"task.id": int64(2)}, Offset: map[string]any{"pos": int64(n - 1)}},
	}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("offsets = %v\nwant %v", list, want)
	}
}
