package http

import (
	"context"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"conflux/connectors"
)

// BenchmarkSink measures records per second from Put to a local endpoint
// that reads every body, in batches of 500 (batch.max.records and the
// runtime's max.poll.records), over four partitions with max.in.flight 4,
// until PreCommit says every record was accepted. The values are
// users-like maps rendered as a JSON array.
//
//	go test ./connectors/http -run '^$' -bench Sink -benchtime 1000000x
func BenchmarkSink(b *testing.B) {
	var requests, bodyBytes atomic.Int64
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		bodyBytes.Add(n)
		requests.Add(1)
	}))
	defer srv.Close()
	task := startSink(b, &taskContext{}, srv.URL, map[string]string{KeyBatchMaxRecords: "500", KeyMaxInFlight: "4"})
	const partitions, batch = 4, 500
	recs := make([][]*connectors.Record, partitions)
	for p := range recs {
		for i := range batch {
			recs[p] = append(recs[p], &connectors.Record{Topic: "users", KafkaPartition: connectors.Partition(int32(p)), KafkaOffset: int64(i),
				Value: map[string]any{"registertime": int64(1491410462303), "userid": "User_2", "regionid": "Region_2", "gender": "FEMALE"}})
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	next := make([]int64, partitions)
	for n := 0; n < b.N; {
		p := (n / batch) % partitions
		for _, r := range recs[p] {
			r.KafkaOffset = next[p]
			next[p]++
		}
		if err := task.Put(ctx, recs[p]); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	want := map[connectors.TopicPartition]int64{}
	for p := range partitions {
		want[connectors.TopicPartition{Topic: "users", Partition: int32(p)}] = next[p]
	}
	waitCommittable(b, task, want)
	b.StopTimer()
	var total int64
	for _, n := range next {
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(requests.Load()), "requests")
	b.ReportMetric(float64(bodyBytes.Load())/float64(total), "body-bytes/record")
}
