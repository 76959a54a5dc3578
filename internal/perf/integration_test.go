package perf_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/brokertest"
	"conflux/internal/console"
	"conflux/internal/perf"
)

func TestProduceThenConsume(t *testing.T) {
	addr := brokertest.Start(t)
	a, err := console.NewTopicAdmin([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Create(console.TopicSpec{Name: "perf", Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}

	const n = 20_000
	var progress bytes.Buffer
	res, err := perf.Produce(context.Background(), perf.ProduceOptions{
		Brokers: []string{addr}, Topic: "perf", NumRecords: n, RecordSize: 100,
		Throughput: -1, Acks: sarama.WaitForAll, MaxPending: 1000,
		Progress: &progress, ProgressInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	if res.Sent != n || res.Acked != n || res.Failed != 0 || res.Latency.Count() != n {
		t.Fatalf("result %+v", res)
	}
	if res.RecordsPerSec() <= 0 || res.Latency.Percentile(99) <= 0 || res.Latency.Max() < res.Latency.Percentile(99) {
		t.Errorf("rate %.0f p99 %v max %v", res.RecordsPerSec(), res.Latency.Percentile(99), res.Latency.Max())
	}
	var summary bytes.Buffer
	res.WriteSummary(&summary)
	for _, want := range []string{"20000 records sent", "records/sec", "MB/sec", "ms 99th", "ms 99.9th", "client CPU"} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.String())
		}
	}
	t.Logf("perf produce: %s", summary.String())

	cres, err := perf.Consume(context.Background(), perf.ConsumeOptions{
		Brokers: []string{addr}, Topic: "perf", Messages: n, IdleTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	if cres.Records != n || cres.Bytes != n*100 {
		t.Errorf("consumed %d records, %d bytes", cres.Records, cres.Bytes)
	}
	summary.Reset()
	cres.WriteSummary(&summary)
	t.Logf("perf consume: %s", summary.String())

	// Asking for more than the topic holds ends with the idle timeout.
	cres, err = perf.Consume(context.Background(), perf.ConsumeOptions{
		Brokers: []string{addr}, Topic: "perf", Messages: n + 1, IdleTimeout: time.Second,
	})
	if err == nil || cres == nil || cres.Records != n {
		t.Errorf("over-asking: %v, %+v", err, cres)
	}
}

// TestPacedProduce checks that --throughput holds the rate.
func TestPacedProduce(t *testing.T) {
	addr := brokertest.Start(t)
	a, err := console.NewTopicAdmin([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Create(console.TopicSpec{Name: "paced", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	const rate, n = 5000, 5000
	res, err := perf.Produce(context.Background(), perf.ProduceOptions{
		Brokers: []string{addr}, Topic: "paced", NumRecords: n, RecordSize: 100, Throughput: rate, Acks: sarama.WaitForAll,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The send rate is what the pacer controls; the acknowledged rate also
	// depends on how fast the broker's disk syncs the tail.
	if got := float64(res.Sent) / res.SendElapsed.Seconds(); math.Abs(got-rate)/rate > 0.02 {
		t.Errorf("paced at %d/s: sent at %.0f/s", rate, got)
	}
	if res.Acked != n {
		t.Errorf("%d of %d acknowledged", res.Acked, n)
	}
	var summary bytes.Buffer
	res.WriteSummary(&summary)
	t.Logf("paced: %s", summary.String())
}

func TestProduceOptionsValidation(t *testing.T) {
	_, err := perf.Produce(context.Background(), perf.ProduceOptions{Brokers: []string{"127.0.0.1:1"}, Topic: "t"})
	if err == nil || !strings.Contains(err.Error(), "num-records") {
		t.Errorf("zero records: %v", err)
	}
}
