package datagen

import (
	"context"
	"testing"
)

// BenchmarkUsersPoll measures unthrottled generation of the users
// quickstart through Poll, the way the runtime drives a task.
func BenchmarkUsersPoll(b *testing.B) {
	task := &Task{}
	cfg := map[string]string{KeyTopic: "users", KeyQuickstart: "users", KeyMaxInterval: "0", KeyRandomSeed: "1"}
	if err := task.Start(context.Background(), nil, cfg); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		recs, err := task.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}
