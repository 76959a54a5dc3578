package log

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Open opens the log of one partition in dir, creating the directory if it is
// missing, and recovers it.
//
// After a clean shutdown (Close wrote the clean-shutdown marker) Open reads
// only the directory listing, the recovery checkpoint and the active
// segment's index files: its cost does not grow with the amount of data.
// After an unclean shutdown it rescans, batch by batch with CRC checks, every
// segment from the recovery checkpoint on, cuts the log at the first invalid
// or partial batch (deleting any later segment), rebuilds the indexes of what
// it scanned and replays batch headers into the idempotent-producer state.
// Older segments are opened lazily on first read; a missing or damaged index
// file is rebuilt then and never fails Open.
func Open(dir string, cfg Config, opts Options) (*Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	l := &Log{dir: dir, logger: opts.Logger, now: opts.Now, producers: newProducers(), cpBase: -1, cpDisk: -1}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.SetConfig(cfg)
	l.sync.cond = sync.NewCond(&l.sync.mu)
	unclean, err := l.recover()
	if err != nil {
		for _, s := range l.segs {
			s.release()
		}
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	if unclean {
		// Make what recovery kept durable and checkpoint it, so a second
		// crash does not rescan the same data.
		if err := l.sync.lead(func() (int64, error) { return l.syncOnce(false) }); err != nil {
			l.Close()
			return nil, fmt.Errorf("open log %s: %w", dir, err)
		}
	}
	return l, nil
}

// recover loads the directory into l and reports whether the previous
// shutdown was unclean.
func (l *Log) recover() (unclean bool, err error) {
	// A cleaning pass interrupted after its commit point is finished
	// first; one interrupted before it leaves only .cleaned files, which
	// are removed below.
	if err := completeSwap(l.dir, l.logger); err != nil {
		return false, fmt.Errorf("finish interrupted compaction: %w", err)
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return false, err
	}
	var segs []*segment
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, tmpSuffix), strings.HasSuffix(name, cleanedSuffix):
			os.Remove(filepath.Join(l.dir, name))
		case strings.HasSuffix(name, logSuffix) && !e.IsDir():
			digits := strings.TrimSuffix(name, logSuffix)
			base, perr := strconv.ParseInt(digits, 10, 64)
			if perr != nil || len(digits) != 20 || base < 0 {
				l.logger.Warn("ignoring file with a segment suffix", "dir", l.dir, "file", name)
				continue
			}
			info, err := e.Info()
			if err != nil {
				return false, err
			}
			segs = append(segs, newSegment(l.dir, base, info.Size()))
		}
	}
	// ReadDir sorts by name, and zero-padded names sort by offset.
	start := readStartOffset(l.dir)
	_, cerr := os.Stat(filepath.Join(l.dir, cleanFile))
	clean := cerr == nil
	cp := readCheckpoint(l.dir)
	interval := l.cfgNow().IndexIntervalBytes

	switch {
	case len(segs) == 0:
		base := max(start, 0)
		s, err := createSegment(l.dir, base, interval)
		if err != nil {
			return false, err
		}
		l.segs, l.active, l.end = []*segment{s}, s, base
		l.dirDirty = true
	case clean && cp != nil && l.openClean(segs, cp):
	default:
		unclean = true
		l.logger.Info("recovering log after unclean shutdown", "dir", l.dir)
		if err := l.recoverUnclean(segs, cp); err != nil {
			return true, err
		}
	}

	l.start = max(start, l.segs[0].base)
	if l.start > l.end {
		// The persisted start is beyond what survived: nothing below it
		// may be read anyway, so begin an empty log there.
		l.logger.Warn("log start offset beyond recovered data; starting empty", "dir", l.dir, "start", l.start, "end", l.end)
		for _, s := range l.segs {
			s.removeFiles()
			s.release()
		}
		l.segs, l.unsynced = nil, nil
		s, err := createSegment(l.dir, l.start, interval)
		if err != nil {
			return unclean, err
		}
		l.segs, l.active, l.end = []*segment{s}, s, l.start
		l.producers = newProducers()
		l.dirDirty = true
	}
	l.deleteSegmentsBelow(l.start)
	ccp := readCleanerCheckpoint(l.dir)
	l.firstDirty, l.nextHorizon = min(max(ccp.firstDirty, l.start), l.end), ccp.nextHorizon
	var size int64
	for _, s := range l.segs {
		size += s.size
	}
	l.sizeA.Store(size)
	l.startA.Store(l.start)
	l.endA.Store(l.end)
	l.sync.synced = l.end
	if clean {
		// The marker describes the previous shutdown only.
		if err := os.Remove(filepath.Join(l.dir, cleanFile)); err != nil {
			return unclean, err
		}
		if err := syncDirectory(l.dir); err != nil {
			return unclean, err
		}
	}
	if unclean {
		l.sync.synced = 0
	}
	return unclean, nil
}

// openClean takes the checkpoint written by Close at face value: it must
// describe the end of the last segment, and the active segment's index
// files must hold exactly what it says. It reports false (touching nothing)
// if anything disagrees, and the caller recovers as after a crash.
func (l *Log) openClean(segs []*segment, cp *checkpoint) bool {
	s := segs[len(segs)-1]
	if cp.segBase != s.base || cp.pos != s.size {
		return false
	}
	maxRel := cp.next - 1 - s.base
	idx, err1 := os.ReadFile(s.path(indexSuffix))
	tidx, err2 := os.ReadFile(s.path(timeIndexSuffix))
	if err1 != nil || err2 != nil || int64(len(idx)) != cp.idxBytes || int64(len(tidx)) != cp.tidxBytes ||
		!checkOffsetIndex(idx, s.size, maxRel) || !checkTimeIndex(tidx, maxRel) {
		return false
	}
	f, err := os.OpenFile(s.path(logSuffix), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	if err := s.openIndexFiles(false); err != nil {
		f.Close()
		return false
	}
	s.f, s.loaded = f, true
	s.index, s.tindex = idx, tidx
	s.idxFlushed, s.tidxFlushed = len(idx), len(tidx)
	s.ib = cp.ib
	s.ib.base, s.ib.interval = s.base, l.cfgNow().IndexIntervalBytes
	s.rollBase = cp.rollBase
	l.segs, l.active, l.end = segs, s, cp.next
	l.producers.m = cp.producers
	l.cpBase, l.cpDisk, l.lastCP = s.base, s.base, time.Now()
	return true
}

// recoverUnclean rescans the segments that may hold unsynced data: from the
// checkpoint's position when the checkpoint is usable, otherwise all of them.
func (l *Log) recoverUnclean(segs []*segment, cp *checkpoint) error {
	interval := l.cfgNow().IndexIntervalBytes
	nowMs := l.now().UnixMilli()
	k := -1
	if cp != nil {
		for i, s := range segs {
			if s.base == cp.segBase && cp.pos <= s.size {
				k = i
			}
		}
	}
	var (
		pos        int64
		expect     int64
		ib         = indexBuilder{maxTs: -1, lastTimeIdxTs: -1}
		idx, tidx  []byte
		rollBase   = int64(-1)
		replayFrom = int64(math.MinInt64)
	)
	switch {
	case k >= 0:
		s := segs[k]
		pos, expect = 0, s.base
		i, _ := os.ReadFile(s.path(indexSuffix))
		t, _ := os.ReadFile(s.path(timeIndexSuffix))
		if int64(len(i)) >= cp.idxBytes && int64(len(t)) >= cp.tidxBytes {
			i, t = i[:cp.idxBytes], t[:cp.tidxBytes]
			if checkOffsetIndex(i, cp.pos, cp.next-1-s.base) && checkTimeIndex(t, cp.next-1-s.base) {
				pos, expect, ib, idx, tidx, rollBase = cp.pos, cp.next, cp.ib, i, t, cp.rollBase
			}
		}
		l.producers.m, replayFrom = cp.producers, cp.next
	default:
		k = 0
		expect = segs[0].base
		if cp != nil && cp.next <= segs[0].base {
			// The checkpointed segment was deleted: its producer
			// state is still the right starting point.
			l.producers.m, replayFrom = cp.producers, cp.next
		}
	}
	if pos == 0 {
		idx, tidx = nil, nil
		ib = indexBuilder{maxTs: -1, lastTimeIdxTs: -1}
		rollBase = -1
	}

	// Compaction removes whole batches, leaving gaps between the offsets of
	// consecutive batches and before the next segment's base. It rewrites
	// only segments before the recovery checkpoint, and never the last
	// one (it was active), so gaps are accepted in every rescanned segment
	// but the last, as long as offsets increase and stay below the next
	// segment's base.
	lastFile := len(segs) - 1
	l.segs = segs[:k] // trusted, loaded lazily
	var scanned []*segment
	for j := k; j < len(segs); j++ {
		s := segs[j]
		if j > k {
			if s.base < expect {
				l.logger.Warn("deleting segments that overlap earlier offsets", "dir", l.dir, "segment", s.path(logSuffix), "expected", expect)
				dropSegments(segs[j:])
				break
			}
			expect = s.base
			pos, idx, tidx, rollBase = 0, nil, nil, -1
			ib = indexBuilder{maxTs: -1, lastTimeIdxTs: -1}
		}
		limit := int64(math.MaxInt64)
		if j < lastFile {
			limit = segs[j+1].base
		}
		ib.base, ib.interval = s.base, interval
		f, err := os.OpenFile(s.path(logSuffix), os.O_RDWR, 0)
		if err != nil {
			dropSegments(segs[j:])
			return err
		}
		sc := &scanner{f: f, end: s.size}
		sc.start(pos)
		for sc.next(true) {
			b := sc.batch
			got := batchBaseOffset(b)
			last := got + batchLastOffsetDelta(b)
			if got < expect || (got > expect && j == lastFile) || last >= limit {
				sc.err = fmt.Errorf("%w: batch at %d has offsets %d-%d, expected %d", ErrCorruptBatch, sc.pos, got, last, expect)
				break
			}
			idx, tidx = ib.add(idx, tidx, sc.pos, sc.size, last, batchMaxTimestamp(b))
			if got >= replayFrom {
				l.producers.replay(b, nowMs)
			}
			if rollBase < 0 {
				// The real first-append time is unknown: count
				// segment.ms from the restart rather than from
				// producer timestamps, which may be far in the past
				// and would roll on every append.
				rollBase = nowMs
			}
			expect = last + 1
		}
		if sc.err != nil && sc.ioErr {
			f.Close()
			dropSegments(segs[j:])
			return sc.err
		}
		s.f, s.loaded, s.rollBase = f, true, rollBase
		s.ib, s.index, s.tindex = ib, idx, tidx
		l.segs = append(l.segs, s)
		scanned = append(scanned, s)
		good := sc.pos
		if sc.err == nil {
			good = s.size
		}
		if good < s.size {
			l.logger.Warn("truncating log at the first invalid batch", "dir", l.dir,
				"segment", s.path(logSuffix), "position", good, "size", s.size, "reason", sc.err)
			if err := f.Truncate(good); err != nil {
				return fmt.Errorf("truncate %s: %w", s.path(logSuffix), err)
			}
			s.size = good
			if j+1 < len(segs) {
				l.logger.Warn("deleting segments after a truncated one", "dir", l.dir, "count", len(segs)-j-1)
				dropSegments(segs[j+1:])
			}
			break
		}
	}
	l.active = l.segs[len(l.segs)-1]
	l.end = expect
	// Rewrite the indexes of what was scanned; rolled ones are sealed and
	// synced with the first SyncTo, which Open runs next.
	for _, s := range scanned {
		if s != l.active {
			s.tindex = s.ib.seal(s.tindex, nextBase(l.segs, s)-1)
			s.maxTs = s.ib.maxTs
			l.unsynced = append(l.unsynced, s)
		}
		if err := s.openIndexFiles(true); err != nil {
			return err
		}
		s.idxFlushed, s.tidxFlushed = 0, 0
		if err := s.flushIndexes(); err != nil {
			return err
		}
	}
	return nil
}

// nextBase returns the base offset of the segment after s.
func nextBase(segs []*segment, s *segment) int64 {
	for i, x := range segs {
		if x == s && i+1 < len(segs) {
			return segs[i+1].base
		}
	}
	return s.base
}

// dropSegments deletes segments found unusable during recovery. Failing to
// remove a file is not fatal: a leftover segment is rescanned next time.
func dropSegments(segs []*segment) {
	for _, s := range segs {
		_ = s.removeFiles()
		s.release()
	}
}
