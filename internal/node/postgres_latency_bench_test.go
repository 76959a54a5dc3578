package node

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/broker"
	"conflux/internal/brokertest"
	"conflux/internal/pgtest"
)

// BenchmarkPostgresStreamLatency streams inserts at a fixed rate (in
// transactions every 10 ms) for five seconds through the CDC source on a
// worker and a broker, and measures with a Kafka consumer the time from
// each row's commit (source.ts_ms) to its arrival at the consumer, an upper
// bound of commit → topic. p99 at 5,000 rows/s is the latency
// figure; max at 50,000 rows/s is its lag.
//
//	go test ./internal/node -run '^$' -bench PostgresStreamLatency -benchtime 1x
func BenchmarkPostgresStreamLatency(b *testing.B) {
	for _, rate := range []int{5000, 50000} {
		b.Run(fmt.Sprintf("rows=%d/s", rate), func(b *testing.B) { benchStreamLatency(b, rate) })
	}
}

func benchStreamLatency(b *testing.B, rate int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	TuneGC(ctx)
	pg := pgtest.Start(b)
	db := pg.CreateDatabase(b, "bench")
	pg.Exec(b, db, pgtest.BenchTable("ticks"))
	bc := broker.DefaultConfig() // with auto-created topics, like the embedded broker
	bc.Listen, bc.DataDir, bc.GroupInitialRebalanceDelay = "", "", -1
	bootstrap := brokertest.StartWith(b, bc)
	base := startWorkerNode(b, bootstrap)
	postConnector(b, base, fmt.Sprintf(`{"name":"pg","config":{"connector.class":"postgres","database.url":%q,
		"topic.prefix":"lat","slot.name":"lat","status.update.interval.ms":"1000"}}`, pg.DSN(db)))
	writer := pg.Connect(b, db)
	// The test server runs with synchronous_commit=off, which delays WAL
	// (and so the stream) by up to three wal_writer_delay; a production
	// commit is flushed at once.
	if _, err := writer.Exec(ctx, "SET synchronous_commit = on"); err != nil {
		b.Fatal(err)
	}
	insert := func(from, to int) {
		if _, err := writer.Exec(ctx, pgtest.BenchInsert("ticks", from, to)); err != nil {
			b.Fatal(err)
		}
	}
	consumer, err := sarama.NewConsumer([]string{bootstrap}, sarama.NewConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer consumer.Close()
	// Wait for streaming: a first row must come through.
	insert(0, 0)
	var pc sarama.PartitionConsumer
	deadline := time.Now().Add(60 * time.Second)
	for pc == nil {
		if pc, err = consumer.ConsumePartition("lat.public.ticks", 0, sarama.OffsetOldest); err != nil {
			if time.Now().After(deadline) {
				_, status := fetch(b, "GET", base+"/connectors/pg/status", nil)
				b.Fatalf("%v; connector status: %s", err, status)
			}
			pc = nil
			time.Sleep(100 * time.Millisecond)
		}
	}
	defer pc.Close()
	<-pc.Messages()

	const tick, duration = 10 * time.Millisecond, 5 * time.Second
	perTick := rate * int(tick) / int(time.Second)
	total := perTick * int(duration/tick)
	b.ResetTimer()
	go func() {
		next := time.Now()
		for id := 1; id <= total; id += perTick {
			insert(id, id+perTick-1)
			next = next.Add(tick)
			time.Sleep(time.Until(next))
		}
	}()
	lat := make([]time.Duration, 0, total)
	for len(lat) < total {
		select {
		case m := <-pc.Messages():
			if ts, ok := commitMillis(m.Value); ok {
				lat = append(lat, time.Since(time.UnixMilli(ts)))
			}
		case <-time.After(30 * time.Second):
			b.Fatalf("%d of %d rows after 30 s of silence", len(lat), total)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}

// commitMillis finds source.ts_ms in a change event's JSON: the first
// ts_ms after the source's connector name.
func commitMillis(v []byte) (int64, bool) {
	i := bytes.Index(v, []byte(`"connector":"postgresql"`))
	if i < 0 {
		return 0, false
	}
	j := bytes.Index(v[i:], []byte(`"ts_ms":`))
	if j < 0 {
		return 0, false
	}
	rest := v[i+j+len(`"ts_ms":`):]
	end := bytes.IndexAny(rest, ",}")
	ts, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return ts, err == nil
}
