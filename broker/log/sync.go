package log

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// checkpointInterval is the least time between recovery checkpoints written
// by SyncTo. An unclean restart rescans at most what was appended since.
const checkpointInterval = time.Second

// syncer runs group commits: one caller at a time (the leader) fsyncs
// everything appended so far; callers arriving meanwhile wait and are served
// together by the next leader's single fsync.
type syncer struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	synced  int64 // every offset below is durable
	err     error // sticky fsync failure
	rounds  int64 // rounds run, for tests of the grouping
	waiters int   // callers blocked in SyncTo, for tests of the grouping
}

// lead waits for any running round to finish, then runs fn as the leader and
// records the offset it made durable.
func (s *syncer) lead(fn func() (int64, error)) error {
	s.mu.Lock()
	for s.running {
		s.cond.Wait()
	}
	return s.runLocked(fn)
}

// runLocked runs one round with s.mu held on entry; it returns with s.mu
// released.
func (s *syncer) runLocked(fn func() (int64, error)) error {
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.running = true
	s.rounds++
	s.mu.Unlock()
	off, err := fn()
	s.mu.Lock()
	s.running = false
	if err == nil && off > s.synced {
		s.synced = off
	}
	if err != nil && s.err == nil && !isClosed(err) {
		s.err = err
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	return err
}

// SyncTo blocks until every record below endOffset is on stable storage
// (fdatasync of the segment files, including segments rolled since the last
// sync). Concurrent callers share fsyncs: while one runs, later callers queue
// and are all served by the next single fsync. An endOffset beyond the log
// end only waits for what exists. A failed fsync is permanent: the log stops
// accepting appends and every later SyncTo returns the error.
func (l *Log) SyncTo(endOffset int64) error {
	s := &l.sync
	s.mu.Lock()
	for {
		if endOffset <= s.synced {
			s.mu.Unlock()
			return nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return err
		}
		if !s.running {
			break
		}
		s.waiters++
		s.cond.Wait()
		s.waiters--
	}
	return s.runLocked(func() (int64, error) { return l.syncOnce(false) })
}

// syncOnce fsyncs everything appended so far and returns the log end offset
// it covered. It writes the recovery checkpoint when final (Close), when the
// active segment changed since the last one, or at most every
// checkpointInterval. Only the sync leader calls it.
func (l *Log) syncOnce(final bool) (int64, error) {
	l.mu.Lock()
	if l.closed && !final {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	if l.failed != nil && !final {
		err := l.failed
		l.mu.Unlock()
		return 0, fmt.Errorf("sync: earlier write failed: %w", err)
	}
	target := l.end
	rolled := slices.Clone(l.unsynced)
	for _, s := range rolled {
		s.acquire()
	}
	active := l.active
	active.acquire()
	var cp []byte
	cpSeg := int64(-1)
	now := time.Now()
	if l.failed == nil && (final || active.base != l.cpBase || now.Sub(l.lastCP) >= checkpointInterval) {
		if err := active.flushIndexes(); err != nil {
			l.failed = err
		} else {
			c := checkpoint{segBase: active.base, pos: active.size, next: l.end,
				idxBytes: int64(active.idxFlushed), tidxBytes: int64(active.tidxFlushed),
				ib: active.ib, rollBase: active.rollBase}
			l.producers.expire(l.now().UnixMilli())
			cp = c.encode(&l.producers)
			l.lastCP, l.cpBase, cpSeg = now, active.base, active.base
		}
	}
	dirDirty := l.dirDirty
	l.dirDirty = false
	l.mu.Unlock()

	defer func() {
		for _, s := range rolled {
			s.release()
		}
		active.release()
	}()
	for _, s := range rolled {
		// A rolled segment's indexes are final: sync them with it so
		// recovery can trust every segment before the checkpoint.
		for _, f := range []func() error{s.syncLog, s.syncIndexes} {
			if err := f(); err != nil {
				return 0, l.syncFailed(err)
			}
		}
	}
	if err := active.syncLog(); err != nil {
		return 0, l.syncFailed(err)
	}
	if cp != nil {
		if err := active.syncIndexes(); err != nil {
			return 0, l.syncFailed(err)
		}
	}
	if dirDirty {
		if err := syncDirectory(l.dir); err != nil {
			return 0, l.syncFailed(fmt.Errorf("sync directory: %w", err))
		}
	}
	if cp != nil {
		if err := writeFileAtomic(l.dir, checkpointFile, cp, false); err != nil {
			// Not fatal: an older checkpoint only means a longer scan.
			l.logger.Warn("writing recovery checkpoint failed", "dir", l.dir, "err", err)
			cpSeg = -1
		}
	}

	l.mu.Lock()
	l.cpDisk = max(l.cpDisk, cpSeg)
	for _, s := range rolled {
		s.closeIndexFiles()
	}
	l.unsynced = slices.DeleteFunc(l.unsynced, func(u *segment) bool { return slices.Contains(rolled, u) })
	l.mu.Unlock()
	return target, nil
}

// syncFailed makes an fsync error permanent: after a failed fsync the kernel
// may have dropped the dirty pages, so nothing more may be acknowledged.
func (l *Log) syncFailed(err error) error {
	l.mu.Lock()
	if l.failed == nil {
		l.failed = err
	}
	l.mu.Unlock()
	return fmt.Errorf("sync %s: %w", l.dir, err)
}

func isClosed(err error) bool { return errors.Is(err, ErrClosed) }
