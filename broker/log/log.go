package log

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// indexFlushBytes is how many unwritten offset index bytes an append may
// leave buffered before writing them to the index file.
const indexFlushBytes = 4096

// AppendResult is the outcome of an Append, as needed for a produce response.
type AppendResult struct {
	BaseOffset     int64 // offset assigned to the first record (for a duplicate idempotent batch: the ORIGINAL base offset)
	LogAppendTime  int64 // broker timestamp given to the batches, -1 unless Config.LogAppendTime
	LogStartOffset int64 // log start offset after the append
	EndOffset      int64 // log end offset after this append; pass to SyncTo for acks=all
	Duplicate      bool  // the request repeated recently appended idempotent batches and stored nothing
}

// Log is the durable, append-only log of one partition: a directory of
// segments. All methods are safe for concurrent use. Appends are serialised;
// reads copy file data without holding the append lock.
type Log struct {
	dir    string
	logger *slog.Logger
	now    func() time.Time
	cfg    atomic.Pointer[Config]

	// mu is the append lock. It guards the fields below and the active
	// segment's mutable state.
	mu        sync.Mutex
	segs      []*segment // ascending base offsets; the last is active
	active    *segment
	start     int64
	end       int64
	closed    bool
	failed    error      // an I/O error left the files in doubt; no more writes
	producers producers  // idempotent producer state
	unsynced  []*segment // rolled segments not yet fsynced
	dirDirty  bool       // segment files created since the directory was fsynced
	lastCP    time.Time  // when the recovery checkpoint was last written
	cpBase    int64      // segment base of the last recovery checkpoint
	cpDisk    int64      // segment base of the newest checkpoint known to be on disk, -1 if none

	// Compaction state, guarded by mu. Only segments before cpDisk are
	// ever rewritten, so recovery never resumes inside a rewritten file.
	cleanerActive bool  // a cleaning pass holds segment views: segment deletion waits for it
	firstDirty    int64 // cleaner checkpoint: offsets below it were compacted by the last pass
	nextHorizon   int64 // earliest delete horizon of a kept tombstone, math.MaxInt64 if none
	cleanErr      error // a pass failed after its commit point: no more passes until reopened

	// cleaning is held for the whole of a cleaning pass; Delete takes it
	// to wait for an aborting pass before removing the directory.
	cleaning sync.Mutex
	// failpoint, set only by tests, is called at each step of a cleaning
	// pass; returning true stops the pass there as a crash would.
	failpoint func(step cleanStep) bool

	// Lock-free copies for the hot getters.
	startA, endA, sizeA atomic.Int64

	waitMu     sync.Mutex
	waitCh     chan struct{}
	waitClosed bool // Close ran: Wait returns a closed channel

	sync syncer
}

// cfgNow returns the current configuration.
func (l *Log) cfgNow() *Config { return l.cfg.Load() }

// Config returns the configuration in force, with defaults filled in.
func (l *Log) Config() Config { return *l.cfgNow() }

// SetConfig replaces the configuration at runtime (AlterConfigs). The new
// limits apply to the next append; existing segments are not rewritten.
func (l *Log) SetConfig(cfg Config) {
	c := cfg.withDefaults()
	l.cfg.Store(&c)
}

// Dir returns the partition directory.
func (l *Log) Dir() string { return l.dir }

// StartOffset returns the log start offset: the lowest offset readable.
func (l *Log) StartOffset() int64 { return l.startA.Load() }

// EndOffset returns the log end offset (the high watermark on a single
// node): the offset the next appended record gets.
func (l *Log) EndOffset() int64 { return l.endA.Load() }

// Size returns the number of bytes of record batches held in segment files.
func (l *Log) Size() int64 { return l.sizeA.Load() }

// Wait returns a channel that is closed the next time EndOffset advances, or
// when the log is closed. A fetch long-poll waits on it after reading nothing.
func (l *Log) Wait() <-chan struct{} {
	l.waitMu.Lock()
	defer l.waitMu.Unlock()
	if l.waitCh == nil {
		l.waitCh = make(chan struct{})
		if l.waitClosed {
			close(l.waitCh)
		}
	}
	return l.waitCh
}

// wake closes the current Wait channel, if anyone asked for one. With final
// (Close) every later Wait channel is born closed.
func (l *Log) wake(final bool) {
	l.waitMu.Lock()
	defer l.waitMu.Unlock()
	if l.waitClosed {
		return
	}
	l.waitClosed = final
	if l.waitCh != nil {
		close(l.waitCh)
		l.waitCh = nil
	}
}

// Append validates and appends one produce request's records for this
// partition: one or more concatenated v2 record batches. It assigns offsets
// by rewriting each batch's baseOffset in place (and partitionLeaderEpoch to
// 0, and with LogAppendTime the timestamp and CRC), so records is modified
// and must not be used concurrently. Either every batch is stored or none
// is. Append writes with one system call and does not fsync: call SyncTo
// with the returned EndOffset before acknowledging acks=all.
func (l *Log) Append(records []byte) (AppendResult, error) {
	cfg := l.cfgNow()
	if len(records) == 0 {
		return AppendResult{}, fmt.Errorf("%w: no record batches", ErrCorruptBatch)
	}
	if len(records) > maxSegmentBytes {
		return AppendResult{}, fmt.Errorf("%w: %d bytes in one request", ErrBatchTooLarge, len(records))
	}
	// Header checks and CRCs run before taking the lock.
	var count int64
	n := 0
	for pos := 0; pos < len(records); n++ {
		b := records[pos:]
		size, err := checkBatch(b)
		if err != nil {
			return AppendResult{}, fmt.Errorf("batch %d at byte %d: %w", n, pos, err)
		}
		if size > cfg.MaxMessageBytes {
			return AppendResult{}, fmt.Errorf("%w: batch %d is %d bytes, max.message.bytes is %d", ErrBatchTooLarge, n, size, cfg.MaxMessageBytes)
		}
		if batchAttributes(b)&attrControl != 0 {
			return AppendResult{}, fmt.Errorf("%w: batch %d is a control batch, which clients may not produce", ErrInvalidRecord, n)
		}
		if cfg.Compacted {
			if err := checkKeys(b[:size]); err != nil {
				return AppendResult{}, fmt.Errorf("batch %d at byte %d: %w", n, pos, err)
			}
		}
		count += batchLastOffsetDelta(b) + 1
		pos += size
	}
	nowMs := l.now().UnixMilli()
	appendTime := int64(-1)
	if cfg.LogAppendTime {
		appendTime = nowMs
		for pos := 0; pos < len(records); {
			size := int(int32(be.Uint32(records[pos+offBatchLength:]))) + batchLogOverhead
			setLogAppendTime(records[pos:], size, nowMs)
			pos += size
		}
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return AppendResult{}, ErrClosed
	}
	if l.failed != nil {
		return AppendResult{}, fmt.Errorf("%w: earlier write failed: %v", ErrClosed, l.failed)
	}
	dup, dupBase, err := l.producers.check(records, l.end, nowMs)
	if err != nil {
		return AppendResult{}, err
	}
	if dup {
		return AppendResult{BaseOffset: dupBase, LogAppendTime: appendTime, LogStartOffset: l.start, EndOffset: l.end, Duplicate: true}, nil
	}
	seg := l.active
	if seg.size > 0 && (seg.size+int64(len(records)) > cfg.SegmentBytes ||
		(seg.rollBase >= 0 && nowMs-seg.rollBase > cfg.SegmentMs) ||
		l.end+count-seg.base > math.MaxUint32) {
		if err := l.roll(); err != nil {
			return AppendResult{}, err
		}
		seg = l.active
	}

	// Assign offsets and extend the indexes; nothing is visible to readers
	// until size and end move below.
	base, next := l.end, l.end
	ib := seg.ib
	idx, tidx := seg.index, seg.tindex
	for pos := 0; pos < len(records); {
		b := records[pos:]
		size := int(int32(be.Uint32(b[offBatchLength:]))) + batchLogOverhead
		be.PutUint64(b[offBaseOffset:], uint64(next))
		be.PutUint32(b[offLeaderEpoch:], 0)
		last := next + batchLastOffsetDelta(b)
		idx, tidx = ib.add(idx, tidx, seg.size+int64(pos), size, last, batchMaxTimestamp(b))
		next = last + 1
		pos += size
	}
	seg.reserve(int64(len(records)), cfg.SegmentBytes)
	if _, err := seg.f.WriteAt(records, seg.size); err != nil {
		err = fmt.Errorf("append to %s: %w", seg.path(logSuffix), err)
		if terr := seg.f.Truncate(seg.size); terr != nil {
			l.failed = err
		}
		return AppendResult{}, err
	}
	l.producers.commit()
	seg.ib, seg.index, seg.tindex = ib, idx, tidx
	if seg.rollBase < 0 {
		seg.rollBase = nowMs
	}
	seg.size += int64(len(records))
	l.end = next
	l.endA.Store(next)
	l.sizeA.Add(int64(len(records)))
	if len(seg.index)-seg.idxFlushed >= indexFlushBytes {
		if err := seg.flushIndexes(); err != nil {
			// The batches are stored; only the derived index is in
			// doubt. Stop taking writes so Close does not mark the
			// shutdown clean, and let recovery rebuild it.
			l.failed = err
			l.logger.Error("writing index failed; log stops accepting appends", "dir", l.dir, "err", err)
		}
	}
	l.wake(false)
	return AppendResult{BaseOffset: base, LogAppendTime: appendTime, LogStartOffset: l.start, EndOffset: next}, nil
}

// roll seals the active segment and starts a new one at the log end offset.
// The old segment is fsynced by the next SyncTo or by Close.
func (l *Log) roll() error {
	old := l.active
	old.tindex = old.ib.seal(old.tindex, l.end-1)
	old.maxTs = old.ib.maxTs
	if err := old.flushIndexes(); err != nil {
		l.failed = err
		return err
	}
	if err := old.releaseReserve(); err != nil {
		l.failed = err
		return err
	}
	seg, err := createSegment(l.dir, l.end, l.cfgNow().IndexIntervalBytes)
	if err != nil {
		return fmt.Errorf("roll segment at offset %d: %w", l.end, err)
	}
	l.segs = append(l.segs, seg)
	l.active = seg
	l.unsynced = append(l.unsynced, old)
	l.dirDirty = true
	l.logger.Debug("rolled segment", "dir", l.dir, "base", seg.base)
	return nil
}

// findSegment returns the index in l.segs of the segment holding offset.
func (l *Log) findSegment(offset int64) int {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > offset })
	return max(i-1, 0)
}

// segmentView is what a reader needs of a segment, captured under Log.mu.
type segmentView struct {
	seg   *segment
	limit int64  // bytes of the file that are complete, committed batches
	next  int64  // offset following the segment's last record
	index []byte // offset index (nil: load it)
	tidx  []byte // time index (nil with index)
	maxTs int64  // valid with index
	ready bool   // index, tidx and maxTs are set
}

// view captures segment i for reading and takes a reference; call done.
func (l *Log) view(i int) segmentView {
	s := l.segs[i]
	s.acquire() // the Log's own reference keeps it above zero
	v := segmentView{seg: s, limit: s.size, next: l.end}
	if i+1 < len(l.segs) {
		v.next = l.segs[i+1].base
	}
	if s == l.active {
		v.index = s.index[:len(s.index):len(s.index)]
		v.tidx = s.tindex[:len(s.tindex):len(s.tindex)]
		v.maxTs = s.ib.maxTs
		v.ready = true
	}
	return v
}

// load makes the view's indexes available, loading an older segment.
func (l *Log) load(v *segmentView) error {
	if v.ready {
		return nil
	}
	if err := v.seg.load(v.next, l.cfgNow().IndexIntervalBytes, l.logger); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// Deleted by DeleteRecordsBefore after the view was taken.
			return fmt.Errorf("%w: segment %d was deleted", ErrOffsetOutOfRange, v.seg.base)
		}
		return err
	}
	v.index, v.tidx, v.maxTs, v.ready = v.seg.index, v.seg.tindex, v.seg.maxTs, true
	return nil
}

func (v *segmentView) done() { v.seg.release() }

// scanBufPool holds read-ahead buffers for walking batch headers on reads.
var scanBufPool = sync.Pool{New: func() any { b := make([]byte, 0, readScanChunk); return &b }}

const readScanChunk = 16 << 10

// locate finds the batch that holds offset in a loaded view and returns its
// file position and size; found is false if the segment has no such batch.
func (v *segmentView) locate(offset int64) (pos int64, size int, found bool, err error) {
	bp := scanBufPool.Get().(*[]byte)
	defer scanBufPool.Put(bp)
	sc := scanner{f: v.seg.f, end: v.limit, buf: (*bp)[:0], chunk: readScanChunk}
	sc.start(lookupPosition(v.index, offset-v.seg.base))
	for sc.next(false) {
		if batchBaseOffset(sc.batch)+batchLastOffsetDelta(sc.batch) >= offset {
			*bp = sc.buf[:0]
			return sc.pos, sc.size, true, nil
		}
	}
	*bp = sc.buf[:0]
	if sc.err != nil {
		return 0, 0, false, fmt.Errorf("read %s at %d: %w", v.seg.path(logSuffix), sc.pos, sc.err)
	}
	return 0, 0, false, nil
}

// Read appends to dst whole batches starting with the batch that contains
// offset, up to maxBytes in total but always at least one whole batch if any
// exists at or after offset (KIP-74), and never beyond EndOffset. The first
// batch may begin before offset; consumers skip the records they did not ask
// for. In a compacted log offset may fall in a gap left by removed batches:
// the read then starts with the next batch that remains, in a later segment
// if need be. A read stops at the end of a segment. offset == EndOffset
// returns dst unchanged; offset below StartOffset or above EndOffset returns
// ErrOffsetOutOfRange. The append lock is held only to capture positions,
// never during I/O.
func (l *Log) Read(offset int64, maxBytes int, dst []byte) ([]byte, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return dst, ErrClosed
	}
	if offset < l.start || offset > l.end {
		start, end := l.start, l.end
		l.mu.Unlock()
		return dst, fmt.Errorf("%w: offset %d outside [%d, %d]", ErrOffsetOutOfRange, offset, start, end)
	}
	for from := offset; ; {
		if from >= l.end {
			l.mu.Unlock()
			return dst, nil
		}
		v := l.view(l.findSegment(from))
		l.mu.Unlock()
		out, found, err := l.readView(&v, from, maxBytes, dst)
		v.done()
		if err != nil {
			return out, fmt.Errorf("read offset %d: %w", offset, err)
		}
		if found {
			return out, nil
		}
		// Nothing at or after from in this segment (compaction removed
		// its tail): continue with the next one.
		from = max(from+1, v.next)
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return dst, ErrClosed
		}
	}
}

// readView reads from one captured segment for Read. found is false when the
// segment holds no batch ending at or after offset.
func (l *Log) readView(v *segmentView, offset int64, maxBytes int, dst []byte) ([]byte, bool, error) {
	if err := l.load(v); err != nil {
		return dst, false, err
	}
	pos, first, found, err := v.locate(offset)
	if err != nil || !found {
		return dst, false, err
	}
	n := max(first, maxBytes)
	if rem := v.limit - pos; int64(n) > rem {
		n = int(rem)
	}
	dst = slices.Grow(dst, n)
	buf := dst[len(dst) : len(dst)+n]
	if _, err := v.seg.f.ReadAt(buf, pos); err != nil {
		return dst, false, fmt.Errorf("read %s at %d: %w", v.seg.path(logSuffix), pos, err)
	}
	keep := first
	for keep+batchLogOverhead <= n {
		size, err := batchSize(buf[keep:])
		if err != nil || keep+size > n {
			break
		}
		keep += size
	}
	return dst[:len(dst)+keep], true, nil
}

// DeleteRecordsBefore moves the log start offset up to offset (DeleteRecords),
// persisting it before deleting every segment whose records all lie below
// it. It returns the new log start offset; an offset at or below the
// current start changes nothing, one above EndOffset returns
// ErrOffsetOutOfRange.
func (l *Log) DeleteRecordsBefore(offset int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if offset < 0 || offset > l.end {
		return 0, fmt.Errorf("%w: cannot delete before %d, log ends at %d", ErrOffsetOutOfRange, offset, l.end)
	}
	if offset <= l.start {
		return l.start, nil
	}
	if err := writeStartOffset(l.dir, offset); err != nil {
		return 0, fmt.Errorf("delete records: %w", err)
	}
	l.start = offset
	l.startA.Store(offset)
	if offset == l.end && l.active.size > 0 && l.failed == nil {
		// Everything is deleted: start a new segment so the old active
		// one can go too.
		if err := l.roll(); err != nil {
			return offset, fmt.Errorf("delete records: %w", err)
		}
	}
	l.deleteSegmentsBelow(offset)
	return offset, nil
}

// deleteSegmentsBelow removes the segments whose records are all below
// offset, never the active one. While a cleaning pass runs it removes
// nothing (the pass is rewriting those files); the pass calls it again with
// the log start offset when it ends.
func (l *Log) deleteSegmentsBelow(offset int64) {
	if l.cleanerActive {
		return
	}
	k := 0
	for k+1 < len(l.segs) && l.segs[k+1].base <= offset {
		k++
	}
	if k == 0 {
		return
	}
	var errs []error
	for _, s := range l.segs[:k] {
		errs = append(errs, s.removeFiles())
		l.unsynced = slices.DeleteFunc(l.unsynced, func(u *segment) bool { return u == s })
		l.sizeA.Add(-s.size)
		s.release()
	}
	l.segs = slices.Delete(l.segs, 0, k)
	l.dirDirty = true
	if err := errors.Join(errs...); err != nil {
		l.logger.Warn("removing deleted segment files", "dir", l.dir, "err", err)
	}
}

// Close fsyncs the log, writes the recovery checkpoint and the clean-shutdown
// marker, and closes the files. Further calls return nil; other methods
// return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	failed := l.failed
	if l.active != nil && failed == nil {
		if err := l.active.releaseReserve(); err != nil {
			failed = err
		}
	}
	l.mu.Unlock()
	l.wake(true)

	err := l.sync.lead(func() (int64, error) { return l.syncOnce(true) })
	if err == nil && failed == nil {
		err = writeFileAtomic(l.dir, cleanFile, nil, true)
	}
	l.mu.Lock()
	segs := l.segs
	l.segs, l.active, l.unsynced = nil, nil, nil
	l.mu.Unlock()
	for _, s := range segs {
		s.release()
	}
	if err != nil {
		return fmt.Errorf("close log %s: %w", l.dir, err)
	}
	return nil
}

// Delete closes the log and removes its directory. A cleaning pass in
// progress notices the close and stops; Delete waits for it first.
func (l *Log) Delete() error {
	cerr := l.Close()
	l.cleaning.Lock()
	defer l.cleaning.Unlock()
	if err := os.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("delete log %s: %w", l.dir, err)
	}
	if cerr != nil {
		l.logger.Warn("closing deleted log", "dir", l.dir, "err", cerr)
	}
	return nil
}
