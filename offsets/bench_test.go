package offsets_test

import (
	"context"
	"testing"

	"conflux/internal/kafkalog/logtest"
	"conflux/offsets"
)

// benchStores returns the stores to benchmark: in memory, and on a broker
// in-process (acks=all, fsync before the ack).
func benchStores(b *testing.B) map[string]*offsets.Store {
	br := logtest.StartBroker(b)
	ks, err := offsets.OpenStore(context.Background(), offsets.StoreConfig{Brokers: []string{br.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ks.Close() })
	ms := offsets.NewMemoryStore(nil)
	b.Cleanup(func() { ms.Close() })
	return map[string]*offsets.Store{"memory": ms, "kafka": ks}
}

// BenchmarkSet1000Partitions measures one offset flush writing 1,000 source
// partitions (ns/op = one whole flush, acknowledged and read back).
func BenchmarkSet1000Partitions(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			batch := make([]offsets.PartitionOffset, 1000)
			for i := range batch {
				batch[i] = offsets.PartitionOffset{Partition: map[string]any{"table": "public.t", "shard": i}, Offset: map[string]any{"lsn": 0}}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for j := range batch {
					batch[j].Offset = map[string]any{"lsn": i}
				}
				if err := s.Set(context.Background(), "pg", batch); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/partition")
		})
	}
}

// BenchmarkSet1Partition measures the latency of a flush of one partition.
func BenchmarkSet1Partition(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				err := s.Set(context.Background(), "datagen", []offsets.PartitionOffset{{Partition: map[string]any{"task.id": 0}, Offset: map[string]any{"current.iteration": i}}})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkOffsetWriterFlush measures a task's flush cycle: 1,000 records
// over 10 source partitions submitted and acknowledged, then one Flush.
func BenchmarkOffsetWriterFlush(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			w := offsets.NewOffsetWriter(s, "datagen")
			parts := make([]map[string]any, 10)
			for i := range parts {
				parts[i] = map[string]any{"task.id": i}
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for range 1000 {
					r, err := w.Submit(parts[n%10], map[string]any{"i": n})
					if err != nil {
						b.Fatal(err)
					}
					r.Ack()
					n++
				}
				if _, err := w.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
