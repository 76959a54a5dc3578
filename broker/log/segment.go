package log

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// segment is one <base>.log file with its sparse indexes.
//
// The active segment (the last one) is mutated only under Log.mu. Once a
// segment is rolled its size, index and time index never change again, so
// readers that found it under Log.mu may use them without the lock. Older
// segments found at Open are loaded lazily (file opened, indexes read and
// checked) under segment.mu the first time a reader needs them, which keeps
// Open independent of the amount of data.
type segment struct {
	dir  string
	base int64

	// size is the number of bytes of batches in the file. Guarded by
	// Log.mu while the segment is active; fixed afterwards.
	size int64

	// refs counts the Log's own reference (dropped when the segment is
	// closed or deleted) plus one per in-flight reader or syncer. The
	// files are closed when it reaches zero.
	refs atomic.Int32

	mu     sync.Mutex // guards lazy loading of inactive segments
	loaded bool       // f, index, tindex and maxTs are valid
	f      *os.File
	index  []byte // offset index entries, same encoding as the file
	tindex []byte // time index entries, same encoding as the file
	maxTs  int64  // largest batch maxTimestamp in the segment, -1 if none

	// Active-segment state, guarded by Log.mu.
	ib          indexBuilder
	idxFile     *os.File
	tidxFile    *os.File
	idxFlushed  int   // bytes of index already written to idxFile
	tidxFlushed int   // bytes of tindex already written to tidxFile
	rollBase    int64 // wall time in ms segment.ms counts from, -1 while empty
	reserved    int64 // bytes of the file's disk space reserved ahead of writes
	noReserve   bool  // the file system cannot reserve space
}

// reserveChunk is how far ahead of the write position an active segment's
// disk space is reserved.
const reserveChunk = 16 << 20

// reserve makes sure the next n bytes of the active segment fall in reserved
// space, reserving up to reserveChunk ahead but never past limit (the segment
// size at which it rolls). Failure only costs speed, so it is not an error.
func (s *segment) reserve(n, limit int64) {
	end := s.size + n
	if s.noReserve || end <= s.reserved {
		return
	}
	target := max(min(end+reserveChunk, limit), end)
	from := max(s.reserved, s.size)
	if err := reserveSpace(s.f, from, target-from); err != nil {
		s.noReserve = true
		return
	}
	s.reserved = target
}

// releaseReserve gives back reserved space past the data, when the segment
// stops being active.
func (s *segment) releaseReserve() error {
	if s.reserved <= s.size {
		return nil
	}
	s.reserved = 0
	return s.f.Truncate(s.size)
}

func (s *segment) path(suffix string) string {
	return filepath.Join(s.dir, segmentName(s.base, suffix))
}

// newSegment returns an unloaded segment handle holding the Log's reference.
func newSegment(dir string, base, size int64) *segment {
	s := &segment{dir: dir, base: base, size: size, maxTs: -1, rollBase: -1}
	s.refs.Store(1)
	return s
}

// createSegment creates the files of a new, empty active segment.
func createSegment(dir string, base int64, interval int) (*segment, error) {
	s := newSegment(dir, base, 0)
	f, err := os.OpenFile(s.path(logSuffix), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	s.f = f
	s.loaded = true
	s.ib = indexBuilder{base: base, interval: interval, maxTs: -1, lastTimeIdxTs: -1}
	if err := s.openIndexFiles(true); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// openIndexFiles opens (and with trunc, empties) the index files of the
// active segment for writing.
func (s *segment) openIndexFiles(trunc bool) error {
	flag := os.O_RDWR | os.O_CREATE
	if trunc {
		flag |= os.O_TRUNC
	}
	var err error
	if s.idxFile, err = os.OpenFile(s.path(indexSuffix), flag, 0o644); err != nil {
		return fmt.Errorf("open offset index: %w", err)
	}
	if s.tidxFile, err = os.OpenFile(s.path(timeIndexSuffix), flag, 0o644); err != nil {
		s.idxFile.Close()
		s.idxFile = nil
		return fmt.Errorf("open time index: %w", err)
	}
	return nil
}

// flushIndexes writes the index entries not yet in the index files. The
// files are never the only copy: entries stay in memory, and recovery
// rebuilds whatever did not reach the disk.
func (s *segment) flushIndexes() error {
	if s.idxFile != nil && s.idxFlushed < len(s.index) {
		if _, err := s.idxFile.WriteAt(s.index[s.idxFlushed:], int64(s.idxFlushed)); err != nil {
			return fmt.Errorf("write offset index %s: %w", s.path(indexSuffix), err)
		}
		s.idxFlushed = len(s.index)
	}
	if s.tidxFile != nil && s.tidxFlushed < len(s.tindex) {
		if _, err := s.tidxFile.WriteAt(s.tindex[s.tidxFlushed:], int64(s.tidxFlushed)); err != nil {
			return fmt.Errorf("write time index %s: %w", s.path(timeIndexSuffix), err)
		}
		s.tidxFlushed = len(s.tindex)
	}
	return nil
}

// acquire takes a reference for an in-flight user. It fails if the segment
// was already released for good.
func (s *segment) acquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference, closing the files with the last one.
func (s *segment) release() {
	if s.refs.Add(-1) == 0 {
		s.closeFiles()
	}
}

func (s *segment) closeFiles() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, f := range []*os.File{s.f, s.idxFile, s.tidxFile} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	s.f, s.idxFile, s.tidxFile = nil, nil, nil
	return errors.Join(errs...)
}

// removeFiles unlinks the segment's files; open descriptors stay usable by
// in-flight readers until released.
func (s *segment) removeFiles() error {
	var errs []error
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		if err := os.Remove(s.path(suf)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// load opens an inactive segment and reads its indexes, rebuilding them from
// the log file if they are missing or implausible. next is the offset that
// follows the segment's last record (the next segment's base).
func (s *segment) load(next int64, interval int, logger *slog.Logger) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		return nil
	}
	f, err := os.Open(s.path(logSuffix))
	if err != nil {
		return fmt.Errorf("open segment: %w", err)
	}
	idx, _ := os.ReadFile(s.path(indexSuffix))
	tidx, _ := os.ReadFile(s.path(timeIndexSuffix))
	maxRel := next - 1 - s.base
	_, lastRel, hasTs := lastTimeEntry(tidx)
	if !checkOffsetIndex(idx, s.size, maxRel) || !checkTimeIndex(tidx, maxRel) ||
		(s.size > 0 && (!hasTs || int64(lastRel) != maxRel)) {
		logger.Warn("rebuilding index of segment", "segment", s.path(logSuffix))
		sc := &scanner{f: f, end: s.size}
		ib := indexBuilder{base: s.base, interval: interval, maxTs: -1, lastTimeIdxTs: -1}
		idx, tidx = nil, nil
		last := s.base - 1
		for sc.next(false) {
			h := sc.batch
			last = batchBaseOffset(h) + batchLastOffsetDelta(h)
			idx, tidx = ib.add(idx, tidx, sc.pos, sc.size, last, batchMaxTimestamp(h))
		}
		// Seal at the offset before the next segment even when
		// compaction removed the last batches, as the cleaner does.
		if s.size > 0 {
			tidx = ib.seal(tidx, max(last, next-1))
		}
		writeFileBestEffort(s.path(indexSuffix), idx)
		writeFileBestEffort(s.path(timeIndexSuffix), tidx)
	}
	s.f, s.index, s.tindex = f, idx, tidx
	if ts, _, ok := lastTimeEntry(tidx); ok {
		s.maxTs = ts
	}
	s.loaded = true
	return nil
}

// writeFileBestEffort rewrites a derived file whose loss is recoverable.
func writeFileBestEffort(path string, data []byte) {
	_ = os.WriteFile(path, data, 0o644)
}

// fdatasync flushes a file's data (and the size needed to read it back).
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}

// scanner walks the batches of a segment file from a position, reading the
// file in large chunks. With full set it checks every batch (framing and
// CRC, accepting the shapes compaction leaves); otherwise it only needs each
// batch's header.
type scanner struct {
	f     *os.File
	end   int64 // file size to stop at
	buf   []byte
	chunk int // read-ahead size, scanChunk if zero

	bufPos int64 // file position of buf[0]

	pos   int64  // position of the current batch
	size  int    // size of the current batch
	batch []byte // the current batch (header only unless full)
	err   error  // why the walk stopped early: a bad or partial batch, or I/O
	ioErr bool   // err is an I/O error, not bad data
}

const scanChunk = 1 << 20

// start positions the scanner before the batch at pos.
func (sc *scanner) start(pos int64) {
	sc.pos, sc.size = pos, 0
	sc.bufPos = pos
	sc.buf = sc.buf[:0]
}

// next advances to the following batch and reports whether there is one.
// At the end of the data it returns false with err nil; at a bad or partial
// batch it returns false with err set and pos at that batch.
func (sc *scanner) next(full bool) bool {
	pos := sc.pos + int64(sc.size)
	sc.pos, sc.size, sc.batch = pos, 0, nil
	if pos >= sc.end {
		return false
	}
	need := batchLogOverhead
	hdr, err := sc.window(pos, need)
	if err != nil {
		return sc.fail(err)
	}
	size, err := batchSize(hdr)
	if err != nil {
		return sc.fail(err)
	}
	if pos+int64(size) > sc.end {
		return sc.fail(fmt.Errorf("%w: batch of %d bytes at %d runs past the end of the file (%d)", ErrCorruptBatch, size, pos, sc.end))
	}
	need = batchHeaderSize
	if full {
		need = size
	}
	b, err := sc.window(pos, need)
	if err != nil {
		return sc.fail(err)
	}
	if full {
		if _, err := checkStoredBatch(b); err != nil {
			return sc.fail(err)
		}
	}
	sc.size, sc.batch = size, b
	return true
}

func (sc *scanner) fail(err error) bool {
	sc.err = err
	sc.ioErr = !errors.Is(err, ErrCorruptBatch) && !errors.Is(err, ErrInvalidRecord)
	return false
}

// window returns n bytes of the file at pos, refilling the buffer if needed.
func (sc *scanner) window(pos int64, n int) ([]byte, error) {
	if pos >= sc.bufPos && pos+int64(n) <= sc.bufPos+int64(len(sc.buf)) {
		off := pos - sc.bufPos
		return sc.buf[off : off+int64(n)], nil
	}
	chunk := sc.chunk
	if chunk <= 0 {
		chunk = scanChunk
	}
	want := max(n, chunk)
	if rem := sc.end - pos; int64(want) > rem {
		want = int(rem)
	}
	if want < n {
		return nil, fmt.Errorf("%w: %d bytes wanted at %d, file ends at %d", ErrCorruptBatch, n, pos, sc.end)
	}
	if cap(sc.buf) < want {
		sc.buf = make([]byte, want)
	}
	sc.buf = sc.buf[:want]
	m, err := sc.f.ReadAt(sc.buf, pos)
	sc.bufPos = pos
	sc.buf = sc.buf[:m]
	if m < n {
		if err == nil || err == io.EOF {
			return nil, fmt.Errorf("%w: file ends at %d, before the batch at %d", ErrCorruptBatch, pos+int64(m), pos)
		}
		return nil, fmt.Errorf("read %s: %w", sc.f.Name(), err)
	}
	return sc.buf[:n], nil
}

// syncLog fsyncs the segment's log file.
func (s *segment) syncLog() error {
	if err := fdatasync(s.f); err != nil {
		return fmt.Errorf("fsync %s: %w", s.path(logSuffix), err)
	}
	return nil
}

// syncIndexes fsyncs the segment's index files if they are open.
func (s *segment) syncIndexes() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range []*os.File{s.idxFile, s.tidxFile} {
		if f == nil {
			continue
		}
		if err := fdatasync(f); err != nil {
			return fmt.Errorf("fsync %s: %w", f.Name(), err)
		}
	}
	return nil
}

// closeIndexFiles closes the index files of a rolled segment once they are
// synced; its indexes stay in memory.
func (s *segment) closeIndexFiles() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range []*os.File{s.idxFile, s.tidxFile} {
		if f != nil {
			f.Close()
		}
	}
	s.idxFile, s.tidxFile = nil, nil
}
