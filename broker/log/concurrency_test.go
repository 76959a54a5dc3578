package log

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

// Parallel appends, reads, syncs, timestamp lookups and deletions; run
// with -race. Every read must return whole, valid batches at the offsets
// asked for, and synced data must survive a crash.
func TestConcurrentAppendReadSync(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 8 << 10, IndexIntervalBytes: 512}
	l := openLog(t, dir, cfg, nil)
	const writers, perWriter = 4, 150
	var wg sync.WaitGroup
	var synced sync.Map // end offsets acknowledged by SyncTo
	errc := make(chan error, 64)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				res, err := l.Append(buildBatch(t, idem(int64(w), 0, int32(i*2), 2)))
				if err != nil {
					errc <- err
					return
				}
				if i%10 == 0 {
					if err := l.SyncTo(res.EndOffset); err != nil {
						errc <- err
						return
					}
					synced.Store(res.EndOffset, true)
				}
			}
		}()
	}
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for r := range 3 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			var buf []byte
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				end := l.EndOffset()
				start := l.StartOffset()
				if end == start {
					continue
				}
				off := start + int64(i*7+r)%(end-start)
				var err error
				buf, err = l.Read(off, 4096, buf[:0])
				if errors.Is(err, ErrOffsetOutOfRange) {
					continue // the start moved meanwhile
				}
				if err != nil {
					errc <- err
					return
				}
				for p := 0; p < len(buf); {
					n, err := checkBatch(buf[p:])
					if err != nil {
						errc <- err
						return
					}
					p += n
				}
				if len(buf) == 0 || batchBaseOffset(buf) > off || lastBatchEnd(buf) < off {
					errc <- errors.New("read returned the wrong batches")
					return
				}
				if i%50 == 0 {
					if _, _, err := l.OffsetForTimestamp(1001); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-l.Wait():
			}
			if i%40 == 39 {
				if _, err := l.DeleteRecordsBefore(l.EndOffset() / 4); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	end := l.EndOffset()
	if end != writers*perWriter*2 {
		t.Fatalf("end %d, want %d", end, writers*perWriter*2)
	}
	var maxSynced int64
	synced.Range(func(k, _ any) bool { maxSynced = max(maxSynced, k.(int64)); return true })
	start := l.StartOffset()
	before := readAll(t, l, start)
	crash(l)
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.EndOffset() < maxSynced {
		t.Fatalf("lost synced data: end %d < synced %d", l.EndOffset(), maxSynced)
	}
	after := readAll(t, l, start)
	if !bytes.Equal(after, before[:len(after)]) {
		t.Fatal("recovered data is not a prefix of what was written")
	}
}

// Callers queued behind a running fsync are served by one more fsync, not
// one each.
func TestGroupCommit(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	defer l.Close()
	const n = 32
	ends := make([]int64, n)
	for i := range n {
		ends[i] = mustAppend(t, l, buildBatch(t, plain(1))).EndOffset
	}
	// Hold leadership so every caller queues.
	l.sync.mu.Lock()
	l.sync.running = true
	l.sync.mu.Unlock()
	rounds := l.sync.rounds
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.SyncTo(ends[i]); err != nil {
				t.Error(err)
			}
		}()
	}
	// Release once all are waiting on the condition: each waiter holds
	// the mutex only briefly, so polling it is enough.
	for {
		l.sync.mu.Lock()
		waiting := l.sync.waiters
		l.sync.mu.Unlock()
		if waiting == n {
			break
		}
	}
	l.sync.mu.Lock()
	l.sync.running = false
	l.sync.cond.Broadcast()
	l.sync.mu.Unlock()
	wg.Wait()
	if got := l.sync.rounds - rounds; got != 1 {
		t.Fatalf("%d fsync rounds for %d queued callers, want 1", got, n)
	}
}
