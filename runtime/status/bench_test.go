package status_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"conflux/internal/kafkalog/logtest"
	"conflux/runtime/status"
)

// benchStores returns the stores to benchmark: in memory, and on a broker
// in-process (acks=all, fsync before the ack).
func benchStores(b *testing.B) map[string]*status.Store {
	br := logtest.StartBroker(b)
	ks, err := status.OpenStore(context.Background(), status.StoreConfig{Brokers: []string{br.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ks.Close() })
	ms := status.NewMemoryStore(nil, status.StoreOptions{})
	b.Cleanup(func() { ms.Close() })
	return map[string]*status.Store{"memory": ms, "kafka": ks}
}

// BenchmarkPutTask measures the latency of one synchronous status write,
// acknowledged and read back.
func BenchmarkPutTask(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := int32(0)
			for b.Loop() {
				if err := s.PutTask(context.Background(), status.TaskID{Connector: "c", Task: 0}, running("w:8083", i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPutTaskAsync100Tasks measures the cost per status write when 100
// tasks change state at once (ns/op = one round of 100 writes, flushed):
// the writer shares round trips between them.
func BenchmarkPutTaskAsync100Tasks(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			i := int32(0)
			for b.Loop() {
				var wg sync.WaitGroup
				for n := range 100 {
					wg.Go(func() {
						if err := s.PutTaskAsync(status.TaskID{Connector: fmt.Sprintf("c%d", n%10), Task: n}, running("w:8083", i), nil); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				if err := s.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/write")
		})
	}
}
