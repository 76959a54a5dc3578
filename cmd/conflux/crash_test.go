package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashSafety kills the broker process with SIGKILL while an idempotent
// producer sends with acks=all, restarts it on the same data directory, lets
// the producer finish, and checks that every acknowledged record is in the
// log, in order, exactly once. CONFLUX_CRASH_LOOPS sets the number of rounds
// (default 2; the long run uses 20 or more).
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the broker binary several times")
	}
	loops := 2
	if n, err := strconv.Atoi(os.Getenv("CONFLUX_CRASH_LOOPS")); err == nil && n > 0 {
		loops = n
	}
	bin := buildConflux(t)
	for round := range loops {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) { crashRound(t, bin) })
	}
}

// crashRound is one kill-and-recover round on a fresh data directory.
func crashRound(t *testing.T, bin string) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cmd, _ := startBroker(t, bin, dataDir, addr)
	defer func() {
		if cmd != nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic("crash"),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(30*time.Second),
		kgo.ProducerLinger(time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "crash"); err != nil {
		t.Fatal(err)
	}

	const total = 20000
	var (
		mu       sync.Mutex
		acked    = make([]bool, total)
		failures []error
		sent     = make(chan int, total)
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		for i := range total {
			cl.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					acked[i] = true
				}
				mu.Unlock()
				sent <- i
			})
		}
	})

	// Kill the broker once a random share of the records is acknowledged,
	// so the kill lands at a different point of the stream each round.
	killAfter := total/10 + rand.IntN(total/2)
	for range killAfter {
		<-sent
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	cmd, _ = startBroker(t, bin, dataDir, addr)

	wg.Wait()
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush after restart: %v", err)
	}
	mu.Lock()
	ackedCount := 0
	for _, ok := range acked {
		if ok {
			ackedCount++
		}
	}
	mu.Unlock()
	if len(failures) > 0 {
		t.Logf("%d records failed delivery (allowed: not acknowledged), first: %v", len(failures), failures[0])
	}

	// Restart once more, cleanly this time, and read everything back.
	stopBroker(t, cmd)
	cmd, _ = startBroker(t, bin, dataDir, addr)
	values := consumeAll(t, ctx, addr, "crash")
	last := -1
	seen := make([]bool, total)
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n >= total {
			t.Fatalf("unexpected value %q in the log", v)
		}
		if seen[n] {
			t.Fatalf("record %d is in the log twice", n)
		}
		if n < last {
			t.Fatalf("record %d follows record %d: order lost", n, last)
		}
		seen[n], last = true, n
	}
	for i, ok := range acked {
		if ok && !seen[i] {
			t.Fatalf("record %d was acknowledged but is missing after the crash (killed after %d deliveries)", i, killAfter)
		}
	}
	t.Logf("killed after %d deliveries; %d acknowledged, %d in the log", killAfter, ackedCount, len(values))
}

// consumeAll reads a topic from the beginning to its current end.
func consumeAll(t *testing.T, ctx context.Context, addr, topic string) []string {
	t.Helper()
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, topic)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var values []string
	for int64(len(values)) < end.Offset {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading back %d records: got %d: %v", end.Offset, len(values), err)
		}
		fetches.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch: %v", err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
	}
	return values
}
