package producer_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"conflux/broker"
	"conflux/runtime/producer"
)

// BenchmarkProducerDistantBroker sends 1 KiB records to a broker whose
// every byte arrives oneWay late in each direction, as a cluster in another
// zone would, with a source task's batching (512 KiB batches, four buffered):
// with one request in flight a partition waits a round trip per batch, with
// several it does not.
func BenchmarkProducerDistantBroker(b *testing.B) {
	const (
		oneWay  = 2 * time.Millisecond
		records = 100_000
	)
	srv := distantBroker(b, oneWay)
	value := make([]byte, 1024)
	for _, inFlight := range []int{1, 5} {
		b.Run(fmt.Sprintf("in-flight=%d", inFlight), func(b *testing.B) {
			sc := config()
			sc.Net.MaxOpenRequests = inFlight
			sc.Producer.Flush.Bytes = 512 << 10
			b.SetBytes(records * int64(len(value)))
			for b.Loop() {
				a := newAcks(records)
				p := startWith(b, srv, sc, producer.Options{Ack: a.ack})
				start := time.Now()
				for range records {
					if err := p.Send(context.Background(), &producer.Message{Topic: "distant", Value: value}); err != nil {
						b.Fatal(err)
					}
				}
				a.await(b, time.Minute)
				b.ReportMetric(records/time.Since(start).Seconds(), "records/s")
				p.Close()
				for _, err := range a.errs {
					b.Fatal(err)
				}
			}
		})
	}
}

// distantBroker starts a broker behind a proxy that delays each direction
// by oneWay, advertising the proxy's address, and returns that address.
func distantBroker(tb testing.TB, oneWay time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := broker.New(broker.Config{
		Listen: "127.0.0.1:0", AdvertisedListener: ln.Addr().String(), DataDir: tb.TempDir(),
		AutoCreateTopics: true, NumPartitions: 1, Logger: slog.New(slog.DiscardHandler),
	})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		tb.Fatal(err)
	}
	var conns sync.WaitGroup
	tb.Cleanup(func() {
		ln.Close()
		srv.Close()
		conns.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				client.Close()
				continue
			}
			conns.Go(func() { delayCopy(upstream, client, oneWay) })
			conns.Go(func() { delayCopy(client, upstream, oneWay) })
		}
	}()
	return ln.Addr().String()
}

// delayCopy copies from src to dst, each read delivered oneWay after it
// arrived and in order, until either side closes; then it closes both.
func delayCopy(dst, src net.Conn, oneWay time.Duration) {
	type chunk struct {
		data []byte
		due  time.Time
	}
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(oneWay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range chunks { // let the reader end
	}
}
