package file

import (
	"context"
	"path/filepath"
	"testing"

	"conflux/connectors"
)

// BenchmarkSinkPut measures Put of users-like Struct values rendered as
// JSON lines into a file, in batches of 1000, with a PreCommit (fsync)
// every 100 batches as a runtime committing every few seconds would.
func BenchmarkSinkPut(b *testing.B) {
	task := &SinkTask{}
	if err := task.Start(context.Background(), nil, map[string]string{KeyFile: filepath.Join(b.TempDir(), "out.txt")}); err != nil {
		b.Fatal(err)
	}
	defer task.Stop()
	batch := make([]*connectors.Record, 1000)
	for i := range batch {
		batch[i] = userRecord(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n, puts := 0, 0
	for n < b.N {
		if err := task.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
		if puts++; puts%100 == 0 {
			if _, err := task.PreCommit(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := task.PreCommit(ctx, nil); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}
