package perf

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/console"
)

// ConsumeOptions configures the consumer test.
type ConsumeOptions struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Topic is read from the earliest offset of every partition.
	Topic string
	// Messages is how many records to read.
	Messages int64
	// FetchBytes is the fetch size per partition request; 1 MiB if zero.
	FetchBytes int32
	// IdleTimeout ends the test with ErrIdleTimeout when no record arrives
	// for that long; 10s if zero.
	IdleTimeout time.Duration
	// Progress, if not nil, receives a live progress line every
	// ProgressInterval (1s if zero).
	Progress         io.Writer
	ProgressInterval time.Duration
}

// ConsumeResult describes a consumer test run.
type ConsumeResult struct {
	// Records and Bytes (keys plus values) read.
	Records, Bytes int64
	// Elapsed runs from the start of consumption to the last record.
	Elapsed time.Duration
	// CPU is the client process's CPU time during the run.
	CPU CPUUsage
}

// RecordsPerSec returns records read per second.
func (r *ConsumeResult) RecordsPerSec() float64 { return perSecond(float64(r.Records), r.Elapsed) }

// MBPerSec returns megabytes (MiB) of keys and values read per second.
func (r *ConsumeResult) MBPerSec() float64 { return perSecond(float64(r.Bytes)/mb, r.Elapsed) }

// WriteSummary prints the result in the manner of Kafka's
// ConsumerPerformance, followed by the client's CPU time.
func (r *ConsumeResult) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%d records consumed, %.2f MB, %.1f records/sec (%.2f MB/sec) in %.2fs.\n",
		r.Records, float64(r.Bytes)/mb, r.RecordsPerSec(), r.MBPerSec(), r.Elapsed.Seconds())
	fmt.Fprintf(w, "client CPU: %.2fs user, %.2fs system, %.2f cores busy on average over %.2fs\n",
		r.CPU.User.Seconds(), r.CPU.System.Seconds(), r.CPU.Cores(r.Elapsed), r.Elapsed.Seconds())
}

// Consume runs the consumer test: it reads Messages records from the start
// of every partition, as fast as sarama delivers them.
func Consume(ctx context.Context, o ConsumeOptions) (*ConsumeResult, error) {
	if o.Topic == "" || len(o.Brokers) == 0 || o.Messages <= 0 {
		return nil, fmt.Errorf("%w: need a topic, bootstrap servers and a positive --messages", ErrInvalidOptions)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 10 * time.Second
	}
	conf := console.NewSaramaConfig()
	conf.ClientID = console.ClientID + "-perf"
	conf.Consumer.Return.Errors = false
	conf.Consumer.Fetch.Default = 1 << 20
	if o.FetchBytes > 0 {
		conf.Consumer.Fetch.Default = o.FetchBytes
	}
	conf.Consumer.MaxWaitTime = 100 * time.Millisecond
	conf.ChannelBufferSize = 8192
	client, err := sarama.NewClient(o.Brokers, conf)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", o.Brokers, console.ExplainError(err))
	}
	defer client.Close()
	parts, err := client.Partitions(o.Topic)
	if err != nil {
		return nil, fmt.Errorf("topic %q: %w", o.Topic, console.ExplainError(err))
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("start consumer: %w", err)
	}
	defer consumer.Close()

	cpu := startCPU()
	start := time.Now()
	var (
		records, bytes atomic.Int64
		lastNanos      atomic.Int64 // time of the last record, since start
		wg             sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	stop := make(chan struct{})
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(o.Topic, p, sarama.OffsetOldest)
		if err != nil {
			close(stop)
			wg.Wait()
			return nil, fmt.Errorf("consume %s-%d: %w", o.Topic, p, console.ExplainError(err))
		}
		wg.Go(func() {
			defer func() {
				// sarama wants the channel drained until it closes.
				pc.AsyncClose()
				for range pc.Messages() {
				}
			}()
			// Records are counted one by one so that exactly Messages are
			// taken; bytes and the time of the last record are published
			// in chunks to keep the shared counters cool.
			var b, n int64
			publish := func() {
				if n > 0 {
					bytes.Add(b)
					lastNanos.Store(int64(time.Since(start)))
					b, n = 0, 0
				}
			}
			defer publish()
			msgs := pc.Messages()
			for {
				select {
				case m := <-msgs:
					total := records.Add(1)
					if total > o.Messages {
						return
					}
					b += int64(len(m.Key) + len(m.Value))
					n++
					if total == o.Messages {
						publish()
						once.Do(func() { close(enough) })
						return
					}
					if n == 256 || len(msgs) == 0 {
						publish()
					}
				case <-stop:
					return
				}
			}
		})
	}

	var tick <-chan time.Time
	line := progressLine{w: o.Progress}
	if o.Progress != nil {
		iv := o.ProgressInterval
		if iv <= 0 {
			iv = time.Second
		}
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	idle := time.NewTicker(o.IdleTimeout / 4)
	defer idle.Stop()
	var runErr error
	lastCount, lastTick := int64(0), start
	lastSeen, lastSeenAt := int64(0), start
wait:
	for {
		select {
		case <-enough:
			break wait
		case <-ctx.Done():
			runErr = ctx.Err()
			break wait
		case now := <-idle.C:
			if n := records.Load(); n != lastSeen {
				lastSeen, lastSeenAt = n, now
			} else if now.Sub(lastSeenAt) >= o.IdleTimeout {
				runErr = fmt.Errorf("%d of %d records read: %w (%v)", n, o.Messages, ErrIdleTimeout, o.IdleTimeout)
				break wait
			}
		case now := <-tick:
			n := records.Load()
			line.show("%d records consumed, %.1f records/sec", n, perSecond(float64(n-lastCount), now.Sub(lastTick)))
			lastCount, lastTick = n, now
		}
	}
	line.clear()
	cpuUsed := cpu.used()
	close(stop)
	wg.Wait()
	return &ConsumeResult{
		Records: min(records.Load(), o.Messages),
		Bytes:   bytes.Load(),
		Elapsed: time.Duration(lastNanos.Load()),
		CPU:     cpuUsed,
	}, runErr
}
