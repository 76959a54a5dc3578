package log

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Compaction (cleanup.policy=compact), after Kafka's log cleaner.
//
// A pass works on the cleanable segments: every segment from the one holding
// the log start offset up to, not including, the first that is active, or
// not yet covered by the recovery checkpoint on disk, or (from the dirty
// part on) holds a record younger than min.compaction.lag.ms. The cleaner
// checkpoint splits them into a clean part, compacted by earlier passes, and
// a dirty part appended since.
//
//  1. Map: every record of the dirty part, in offset order, puts
//     key → offset into an offsetMap, so each key ends with its latest
//     offset. A full map ends the dirty range early, at a batch boundary.
//  2. Filter: every cleanable segment below the end of the mapped range is
//     read again and copied, a record kept only if its key is not in the
//     map or its offset is at least the mapped one. Keyless records are
//     dropped. A tombstone (null value) is kept, and its batch stamped with
//     a delete horizon of now + delete.retention.ms (KIP-534: attribute bit
//     6, horizon in baseTimestamp, timestamp deltas recomputed so record
//     timestamps do not change); a later pass after the horizon drops it.
//     Consecutive segments are merged while their sizes add up to at most
//     segment.bytes. Offsets never change: a rewritten batch keeps its
//     baseOffset and lastOffsetDelta, so its offset range still covers the
//     removed records, and only recordCount, the records (re-compressed
//     with the batch's codec) and the CRC change. Batches left without
//     records are dropped, except the last batch of an idempotent producer,
//     kept empty so its sequence numbers survive a rescan of the log (as
//     Kafka does). Control batches are copied unchanged.
//  3. Swap, per group of segments, crash-safe: the result is written to
//     <base>.{log,index,timeindex}.cleaned and fsynced; the commit point is
//     the swap journal (cleaner-swap, written atomically, directory
//     fsynced) naming the group's offset range; then the .cleaned files are
//     renamed over the first segment's files, the group's other segments
//     are deleted, the directory is fsynced and the journal removed. Open
//     completes a swap whose journal exists and deletes .cleaned files
//     without one. Only then is the segment list updated, under Log.mu, for
//     an instant; readers holding the old segments keep reading their open
//     (now unlinked or replaced) files until they release them.
//
// Appends and reads are never blocked by a pass: it reads immutable rolled
// segments through their own file descriptors and takes Log.mu only to
// capture the segments and to swap them. While a pass runs, segment
// deletion (retention, DeleteRecordsBefore) moves the log start offset at
// once but leaves the files to the end of the pass.

// cleanStep names the points of a cleaning pass at which tests simulate a
// crash through Log.failpoint.
type cleanStep int

const (
	stepCleanedWritten   cleanStep = iota // a group's .cleaned files are written and fsynced
	stepJournaled                         // its swap journal is committed
	stepIndexRenamed                      // <base>.index.cleaned renamed into place
	stepTimeIndexRenamed                  // <base>.timeindex.cleaned renamed into place
	stepLogRenamed                        // <base>.log.cleaned renamed into place
	stepSourcesRemoved                    // the group's other segments are deleted
	stepJournalRemoved                    // the swap journal is removed
	stepSwapped                           // the segment list is updated in memory
	numCleanSteps
)

// errCrashed is returned by a pass stopped by Log.failpoint: like a crash,
// it cleans nothing up.
var errCrashed = errors.New("cleaning pass stopped by a failpoint")

// abortCheckBytes is how much a pass reads between checks for cancellation
// and for the log being closed.
const abortCheckBytes = 16 << 20

// CleanStats describes one cleaning pass.
type CleanStats struct {
	FirstDirty      int64         // first offset of the dirty range the pass mapped
	End             int64         // offsets below are compacted now; the next pass starts here
	Keys            int           // distinct keys in the mapped dirty range
	SegmentsRead    int           // segments read and filtered
	SegmentsWritten int           // segments written in their place (a merged group counts once); unchanged segments are left alone
	BytesRead       int64         // bytes of the segments read
	BytesWritten    int64         // bytes of the segments written
	RecordsRemoved  int64         // records dropped: superseded, keyless, or tombstones past their delete horizon
	Duration        time.Duration // wall-clock time of the pass
}

// CleanableState is how much of a log a cleaning pass could compact now.
type CleanableState struct {
	CleanBytes int64   // bytes of cleanable segments compacted by earlier passes
	DirtyBytes int64   // bytes of cleanable segments appended since
	DirtyRatio float64 // DirtyBytes / (CleanBytes + DirtyBytes), 0 if both are 0
	// Due reports that a pass should run: the dirty ratio reaches
	// min.cleanable.dirty.ratio, a dirty record is older than
	// max.compaction.lag.ms, or a kept tombstone's delete horizon has
	// passed.
	Due bool
}

// cleanScratch is the memory a cleaning pass reuses: the offset map, I/O
// buffers and codecs. A Cleaner keeps one for all its passes.
type cleanScratch struct {
	m       *offsetMap
	readBuf []byte
	decBuf  []byte
	recBuf  []byte
	outBuf  []byte
	kept    []record    // records of the current batch that stay
	all     []record    // every record of the current batch
	digests []keyDigest // key digests of the current batch
	latest  []int64     // their mapped offsets
	zbuf    bytes.Buffer
	maxRate float64 // bytes of I/O per second a pass may do, 0 = unlimited
	comp    [5]kgo.Compressor
	dec     kgo.Decompressor
	w       *bufio.Writer
}

func newCleanScratch(mapBytes int, maxRate float64) *cleanScratch {
	s := &cleanScratch{m: newOffsetMap(mapBytes), w: bufio.NewWriterSize(nil, 1<<20), maxRate: maxRate}
	s.dec = kgo.DefaultDecompressor(s)
	return s
}

// GetDecompressBytes lets the decompressor inflate into the scratch buffer
// (kgo.PoolDecompressBytes): a pass decompresses one batch at a time.
func (s *cleanScratch) GetDecompressBytes([]byte, kgo.CompressionCodecType) []byte {
	return s.decBuf[:0]
}

// PutDecompressBytes implements kgo.PoolDecompressBytes.
func (s *cleanScratch) PutDecompressBytes([]byte) {}

// records returns the records section of batch b, inflated into the
// scratch buffer (adopting a larger one if the codec had to allocate) when
// the batch is compressed. It is valid until the next call.
func (s *cleanScratch) records(b []byte) ([]byte, error) {
	out, err := batchRecords(b, s.dec)
	if err == nil && batchAttributes(b)&attrCodecMask != 0 && cap(out) > cap(s.decBuf) {
		s.decBuf = out[:0]
	}
	return out, err
}

// compress compresses src with codec, reusing the scratch buffers.
func (s *cleanScratch) compress(codec int16, src []byte) ([]byte, error) {
	c := s.comp[codec]
	if c == nil {
		var err error
		switch codec {
		case 1:
			c, err = kgo.DefaultCompressor(kgo.GzipCompression())
		case 2:
			c, err = kgo.DefaultCompressor(kgo.SnappyCompression())
		case 3:
			c, err = kgo.DefaultCompressor(kgo.Lz4Compression())
		case 4:
			c, err = kgo.DefaultCompressor(kgo.ZstdCompression())
		default:
			err = fmt.Errorf("unknown codec %d", codec)
		}
		if err != nil {
			return nil, err
		}
		s.comp[codec] = c
	}
	s.zbuf.Reset()
	out, used := c.Compress(&s.zbuf, src)
	if int16(used) != codec {
		return nil, fmt.Errorf("compressing with codec %d failed", codec)
	}
	return out, nil
}

// cleanableViewsLocked captures, with l.mu held, the segments a pass may
// read: from the one holding the log start offset up to the last one that
// is neither active nor at or after the recovery checkpoint on disk. Those
// are complete, fsynced and never appended to again, and recovery never
// resumes inside them, so rewriting them is safe.
func (l *Log) cleanableViewsLocked() []segmentView {
	var vs []segmentView
	for i := l.findSegment(l.start); i < len(l.segs)-1 && l.segs[i].base < l.cpDisk; i++ {
		vs = append(vs, l.view(i))
	}
	return vs
}

// loadAll loads the indexes of captured segments.
func (l *Log) loadAll(vs []segmentView) error {
	for i := range vs {
		if err := l.load(&vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// cleanRange splits captured, loaded segments into their clean and dirty
// parts.
type cleanRange struct {
	firstDirty  int64 // first dirty offset
	uncleanable int64 // first offset no pass may compact yet
	dirtyFrom   int   // views[dirtyFrom:dirtyTo] are dirty and cleanable
	dirtyTo     int
	cleanBytes  int64
	dirtyBytes  int64
}

// dirtyRange computes the cleanRange of vs for a cleaner checkpoint at
// firstDirty. The dirty part stops before the first segment holding a
// record younger than min.compaction.lag.ms.
func dirtyRange(vs []segmentView, firstDirty int64, cfg *Config, nowMs int64) cleanRange {
	r := cleanRange{firstDirty: firstDirty, dirtyFrom: len(vs), dirtyTo: len(vs)}
	for i := range vs {
		v := &vs[i]
		if v.next <= firstDirty {
			r.cleanBytes += v.limit
			continue
		}
		if r.dirtyFrom == len(vs) {
			r.dirtyFrom = i
		}
		if cfg.MinCompactionLagMs > 0 && v.maxTs > nowMs-cfg.MinCompactionLagMs {
			r.dirtyTo = i
			break
		}
		r.dirtyBytes += v.limit
		r.dirtyTo = i + 1
	}
	r.uncleanable = firstDirty
	switch {
	case r.dirtyTo < len(vs):
		r.uncleanable = max(firstDirty, vs[r.dirtyTo].seg.base)
	case len(vs) > 0:
		r.uncleanable = max(firstDirty, vs[len(vs)-1].next)
	}
	return r
}

// CleanableState reports how much of the log a cleaning pass could compact
// at time now and whether one is due, by the rules of the log's Config.
// Only segments covered by the recovery checkpoint count: SyncTo makes
// recently rolled segments eligible.
func (l *Log) CleanableState(now time.Time) (CleanableState, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return CleanableState{}, ErrClosed
	}
	vs := l.cleanableViewsLocked()
	firstDirty, horizon := max(l.firstDirty, l.start), l.nextHorizon
	cfg := *l.cfgNow()
	l.mu.Unlock()
	defer doneAll(vs)
	if err := l.loadAll(vs); err != nil {
		return CleanableState{}, err
	}
	nowMs := now.UnixMilli()
	r := dirtyRange(vs, firstDirty, &cfg, nowMs)
	st := CleanableState{CleanBytes: r.cleanBytes, DirtyBytes: r.dirtyBytes}
	total := r.cleanBytes + r.dirtyBytes
	if total > 0 {
		st.DirtyRatio = float64(r.dirtyBytes) / float64(total)
	}
	st.Due = r.dirtyBytes > 0 && st.DirtyRatio >= cfg.MinCleanableDirtyRatio
	if !st.Due && r.dirtyBytes > 0 && cfg.MaxCompactionLagMs > 0 && cfg.MaxCompactionLagMs < math.MaxInt64 {
		ts, err := firstBatchTimestamp(&vs[r.dirtyFrom], firstDirty)
		if err != nil {
			return st, err
		}
		st.Due = ts >= 0 && nowMs-ts > cfg.MaxCompactionLagMs
	}
	if !st.Due && total > 0 && horizon <= nowMs {
		st.Due = true
	}
	return st, nil
}

// firstBatchTimestamp returns the maxTimestamp of the first batch of v that
// reaches offset from, or -1 if there is none.
func firstBatchTimestamp(v *segmentView, from int64) (int64, error) {
	sc := scanner{f: v.seg.f, end: v.limit, chunk: readScanChunk}
	sc.start(lookupPosition(v.index, from-v.seg.base))
	for sc.next(false) {
		if batchBaseOffset(sc.batch)+batchLastOffsetDelta(sc.batch) >= from {
			return batchMaxTimestamp(sc.batch), nil
		}
	}
	return -1, sc.err
}

// Compact runs one cleaning pass now, whatever the dirty ratio, by the
// rules of the log's Config (min.compaction.lag.ms, delete.retention.ms,
// segment.bytes), with now as the current time. Whether the log should be
// compacted at all (cleanup.policy) is the caller's decision; a Cleaner
// calls it only for due logs. Concurrent appends and reads go on meanwhile.
func (l *Log) Compact(now time.Time) (CleanStats, error) {
	return l.compact(context.Background(), now, newCleanScratch(0, 0))
}

// cleanPass is the state of one pass.
type cleanPass struct {
	l         *Log
	ctx       context.Context
	s         *cleanScratch
	cfg       Config
	nowMs     int64
	views     []segmentView
	lastBatch map[int64]int64 // producer id → base offset of its last batch
	horizon   int64           // earliest delete horizon of a kept tombstone
	unchecked int64           // bytes read since the last abort check
	ioStart   time.Time       // when the pass's throttled I/O began
	ioBytes   int64           // bytes read and written so far, for the throttle
	ioChecked int64           // ioBytes at the last throttle check
	stats     CleanStats
}

func (l *Log) compact(ctx context.Context, now time.Time, s *cleanScratch) (CleanStats, error) {
	started := time.Now()
	l.cleaning.Lock()
	defer l.cleaning.Unlock()
	// Bring the recovery checkpoint up to the active segment, so every
	// rolled segment is eligible.
	if err := l.SyncTo(l.EndOffset()); err != nil {
		return CleanStats{}, err
	}
	p := &cleanPass{l: l, ctx: ctx, s: s, nowMs: now.UnixMilli(), horizon: math.MaxInt64}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return CleanStats{}, ErrClosed
	}
	p.views = l.cleanableViewsLocked()
	p.cfg = *l.cfgNow()
	firstDirty := max(l.firstDirty, l.start)
	p.lastBatch = l.producers.lastBatches()
	if l.cleanErr != nil {
		err := l.cleanErr
		l.mu.Unlock()
		return CleanStats{}, err
	}
	l.cleanerActive = true
	l.mu.Unlock()
	defer p.finish()

	if err := l.loadAll(p.views); err != nil {
		return p.stats, err
	}
	r := dirtyRange(p.views, firstDirty, &p.cfg, p.nowMs)
	p.stats.FirstDirty = firstDirty
	s.m.reset()
	end, err := p.buildMap(r)
	if err != nil {
		return p.stats, err
	}
	p.stats.End, p.stats.Keys = end, s.m.n
	k := 0
	for k < len(p.views) && p.views[k].seg.base < end {
		k++
	}
	for _, g := range groupViews(p.views[:k], p.cfg.SegmentBytes) {
		if err := p.cleanGroup(g); err != nil {
			return p.stats, err
		}
	}
	l.mu.Lock()
	l.firstDirty, l.nextHorizon = end, p.horizon
	l.mu.Unlock()
	if err := writeCleanerCheckpoint(l.dir, cleanerCheckpoint{firstDirty: end, nextHorizon: p.horizon}); err != nil {
		l.logger.Warn("writing cleaner checkpoint failed", "dir", l.dir, "err", err)
	}
	p.stats.Duration = time.Since(started)
	return p.stats, nil
}

// finish releases the pass's segments and performs the segment deletions
// deferred while it ran.
func (p *cleanPass) finish() {
	doneAll(p.views)
	l := p.l
	l.mu.Lock()
	l.cleanerActive = false
	l.deleteSegmentsBelow(l.start)
	l.mu.Unlock()
}

// crash reports whether a test failpoint stops the pass at step.
func (p *cleanPass) crash(step cleanStep) bool {
	return p.l.failpoint != nil && p.l.failpoint(step)
}

// throttleCheckBytes is how much I/O a throttled pass does between checks
// of its rate.
const throttleCheckBytes = 1 << 20

// throttle counts n bytes read or written and, when the pass has a rate
// limit (Kafka's log.cleaner.io.max.bytes.per.second), waits while it is
// ahead of it.
func (p *cleanPass) throttle(n int) {
	if p.s.maxRate <= 0 {
		return
	}
	if p.ioBytes == 0 {
		p.ioStart = time.Now()
	}
	p.ioBytes += int64(n)
	if p.ioBytes-p.ioChecked < throttleCheckBytes {
		return
	}
	p.ioChecked = p.ioBytes
	ahead := time.Duration(float64(p.ioBytes)/p.s.maxRate*float64(time.Second)) - time.Since(p.ioStart)
	if ahead <= 0 {
		return
	}
	t := time.NewTimer(ahead)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.ctx.Done():
	}
}

// aborted returns an error once the pass must stop: its context is done or
// the log was closed. It looks only every abortCheckBytes of input. It also
// throttles the pass by the bytes read.
func (p *cleanPass) aborted(read int) error {
	p.throttle(read)
	p.unchecked += int64(read)
	if p.unchecked < abortCheckBytes && read > 0 {
		return nil
	}
	p.unchecked = 0
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.l.mu.Lock()
	closed := p.l.closed
	p.l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return nil
}

// scanner returns a scanner over v from pos that reuses the read buffer.
func (p *cleanPass) scanner(v *segmentView, pos int64) *scanner {
	sc := &scanner{f: v.seg.f, end: v.limit, buf: p.s.readBuf[:0]}
	sc.start(pos)
	return sc
}

// doneScanning keeps the scanner's (possibly grown) buffer for reuse and
// returns its error.
func (p *cleanPass) doneScanning(sc *scanner, v *segmentView) error {
	p.s.readBuf = sc.buf[:0]
	if sc.err != nil {
		return fmt.Errorf("read %s at %d: %w", v.seg.path(logSuffix), sc.pos, sc.err)
	}
	return nil
}

// nextBatch advances sc and returns the whole current batch, checked.
func (p *cleanPass) nextBatch(sc *scanner) ([]byte, bool) {
	if !sc.next(false) {
		return nil, false
	}
	b, err := sc.window(sc.pos, sc.size)
	if err == nil {
		_, err = checkStoredBatch(b)
	}
	if err != nil {
		sc.err = err
		return nil, false
	}
	return b, true
}

// buildMap fills the offset map from the dirty range of r and returns the
// end of what it mapped: r.uncleanable, or earlier if the map filled up.
func (p *cleanPass) buildMap(r cleanRange) (int64, error) {
	m := p.s.m
	for i := r.dirtyFrom; i < r.dirtyTo; i++ {
		v := &p.views[i]
		pos := int64(0)
		if r.firstDirty > v.seg.base {
			pos = lookupPosition(v.index, r.firstDirty-v.seg.base)
		}
		sc := p.scanner(v, pos)
		for {
			b, ok := p.nextBatch(sc)
			if !ok {
				break
			}
			base := batchBaseOffset(b)
			if base+batchLastOffsetDelta(b) < r.firstDirty || batchAttributes(b)&attrControl != 0 {
				continue
			}
			count := int(batchRecordCount(b))
			if m.n+count > m.capacity() {
				p.s.readBuf = sc.buf[:0]
				end := max(base, r.firstDirty)
				if end == r.firstDirty {
					return 0, fmt.Errorf("cleaner dedupe buffer too small: %d keys fit, the batch at offset %d has %d records", m.capacity(), base, count)
				}
				return end, nil
			}
			recs, err := p.s.records(b)
			if err != nil {
				return 0, fmt.Errorf("batch at offset %d: %w", base, err)
			}
			ds := p.s.digests[:0]
			for range count {
				var rec record
				if rec, recs, err = parseRecord(recs); err != nil {
					return 0, fmt.Errorf("batch at offset %d: %w", base, err)
				}
				if off := base + rec.offDelta; !rec.nullKey && off >= r.firstDirty {
					h1, h2 := m.hash(rec.key)
					ds = append(ds, keyDigest{h1, h2, off})
				}
			}
			m.putAll(ds)
			p.s.digests = ds
			if err := p.aborted(len(b)); err != nil {
				return 0, err
			}
		}
		if err := p.doneScanning(sc, v); err != nil {
			return 0, err
		}
	}
	return r.uncleanable, nil
}

// groupViews splits consecutive segments into groups that are rewritten
// into one segment each: as many as fit in maxBytes (by their current
// sizes) and in the 32-bit relative offsets of one segment's indexes.
func groupViews(vs []segmentView, maxBytes int64) [][]segmentView {
	var groups [][]segmentView
	for i := 0; i < len(vs); {
		j, size := i+1, vs[i].limit
		for j < len(vs) && size+vs[j].limit <= maxBytes && vs[j].next-1-vs[i].seg.base <= math.MaxUint32 {
			size += vs[j].limit
			j++
		}
		groups = append(groups, vs[i:j])
		i = j
	}
	return groups
}

// filterBatch applies the offset map and the tombstone rules to batch b.
// It returns b itself when the batch stays as it is (verbatim), nil when
// it is dropped, or a rewritten batch in scratch memory valid until the
// next call.
func (p *cleanPass) filterBatch(b []byte) (out []byte, verbatim bool, err error) {
	attrs := batchAttributes(b)
	if attrs&attrControl != 0 {
		return b, true, nil
	}
	base := batchBaseOffset(b)
	count := int(batchRecordCount(b))
	hasHorizon := attrs&attrDeleteHorizon != 0
	horizon := int64(math.MaxInt64)
	if hasHorizon {
		horizon = batchBaseTimestamp(b)
	}
	recs, err := p.s.records(b)
	if err != nil {
		return nil, false, fmt.Errorf("batch at offset %d: %w", base, err)
	}
	// Decode every record and digest its key, then look the digests up
	// together (see keyDigest), then decide.
	m := p.s.m
	all, ds := p.s.all[:0], p.s.digests[:0]
	for range count {
		var r record
		if r, recs, err = parseRecord(recs); err != nil {
			return nil, false, fmt.Errorf("batch at offset %d: %w", base, err)
		}
		all = append(all, r)
		if !r.nullKey {
			h1, h2 := m.hash(r.key)
			ds = append(ds, keyDigest{h1: h1, h2: h2})
		}
	}
	latest := slices.Grow(p.s.latest[:0], len(ds))[:len(ds)]
	m.latestAll(ds, latest)
	p.s.all, p.s.digests, p.s.latest = all, ds, latest
	kept := p.s.kept[:0]
	tombstones, d := 0, 0
	for _, r := range all {
		if r.nullKey {
			continue
		}
		mapped := latest[d]
		d++
		if base+r.offDelta < mapped {
			continue
		}
		if r.nullValue {
			if p.nowMs >= horizon {
				continue
			}
			tombstones++
		}
		kept = append(kept, r)
	}
	p.s.kept = kept
	removed := count - len(kept)
	p.stats.RecordsRemoved += int64(removed)
	stamp := tombstones > 0 && !hasHorizon
	if tombstones > 0 {
		if stamp {
			horizon = p.nowMs + p.cfg.DeleteRetentionMs
		}
		p.horizon = min(p.horizon, horizon)
	}
	switch {
	case removed == 0 && !stamp:
		return b, true, nil
	case len(kept) == 0:
		if pid := batchProducerID(b); pid >= 0 {
			if last, ok := p.lastBatch[pid]; ok && last == base {
				return p.emptyBatch(b), false, nil
			}
		}
		return nil, false, nil
	}
	baseTs := batchBaseTimestamp(b)
	if stamp {
		baseTs = horizon
	}
	return p.rebuild(b, kept, baseTs, stamp)
}

// rebuild encodes batch b with only the kept records. With stamp, the
// batch gets the delete-horizon attribute and baseTs (the horizon) as its
// baseTimestamp, and each record's timestamp delta is recomputed against it.
func (p *cleanPass) rebuild(b []byte, kept []record, baseTs int64, stamp bool) ([]byte, bool, error) {
	oldBaseTs := batchBaseTimestamp(b)
	recs := p.s.recBuf[:0]
	for _, r := range kept {
		if !stamp {
			recs = append(recs, r.raw...)
			continue
		}
		delta := oldBaseTs + r.tsDelta - baseTs
		var tmp [binary.MaxVarintLen64]byte
		dn := binary.PutVarint(tmp[:], delta)
		recs = binary.AppendVarint(recs, int64(1+dn+len(r.raw)-r.tsEnd))
		recs = append(recs, r.raw[r.bodyStart])
		recs = append(recs, tmp[:dn]...)
		recs = append(recs, r.raw[r.tsEnd:]...)
	}
	p.s.recBuf = recs
	attrs := batchAttributes(b)
	if stamp {
		attrs |= attrDeleteHorizon
	}
	payload := recs
	if codec := attrs & attrCodecMask; codec != 0 {
		z, err := p.s.compress(codec, recs)
		if err != nil {
			// Stored uncompressed rather than not at all.
			p.l.logger.Warn("re-compressing a compacted batch failed; storing it uncompressed", "dir", p.l.dir, "err", err)
			attrs &^= attrCodecMask
		} else {
			payload = z
		}
	}
	out := append(p.s.outBuf[:0], b[:batchHeaderSize]...)
	out = append(out, payload...)
	be.PutUint32(out[offBatchLength:], uint32(len(out)-batchLogOverhead))
	be.PutUint16(out[offAttributes:], uint16(attrs))
	be.PutUint64(out[offBaseTimestamp:], uint64(baseTs))
	be.PutUint32(out[offRecordCount:], uint32(len(kept)))
	be.PutUint32(out[offCRC:], crc32.Checksum(out[offAttributes:], castagnoli))
	p.s.outBuf = out
	return out, false, nil
}

// emptyBatch returns b without records: its offset range, producer id,
// epoch and sequence stay, as in Kafka's empty batches of compacted logs.
func (p *cleanPass) emptyBatch(b []byte) []byte {
	out := append(p.s.outBuf[:0], b[:batchHeaderSize]...)
	attrs := batchAttributes(b) &^ (attrCodecMask | attrDeleteHorizon)
	be.PutUint32(out[offBatchLength:], batchHeaderSize-batchLogOverhead)
	be.PutUint16(out[offAttributes:], uint16(attrs))
	be.PutUint64(out[offBaseTimestamp:], uint64(batchMaxTimestamp(b)))
	be.PutUint32(out[offRecordCount:], 0)
	be.PutUint32(out[offCRC:], crc32.Checksum(out[offAttributes:], castagnoli))
	p.s.outBuf = out
	return out
}

// cleanGroup filters a group of consecutive segments into one new segment
// and swaps it in. A group of one segment that comes out unchanged is left
// alone without writing anything.
func (p *cleanPass) cleanGroup(g []segmentView) (err error) {
	w := &groupWriter{p: p, dir: p.l.dir, base: g[0].seg.base, end: g[len(g)-1].next, src: g[0].seg, lazy: len(g) == 1, maxTs: -1,
		ib: indexBuilder{base: g[0].seg.base, interval: p.cfg.IndexIntervalBytes, maxTs: -1, lastTimeIdxTs: -1}}
	defer func() {
		if err != nil && !w.keep {
			w.discard()
		}
	}()
	for i := range g {
		v := &g[i]
		p.stats.SegmentsRead++
		p.stats.BytesRead += v.limit
		w.maxTs = max(w.maxTs, v.maxTs)
		if err := p.aborted(0); err != nil {
			return err
		}
		sc := p.scanner(v, 0)
		for {
			b, ok := p.nextBatch(sc)
			if !ok {
				break
			}
			out, verbatim, err := p.filterBatch(b)
			if err != nil {
				return err
			}
			if err := w.add(out, verbatim); err != nil {
				return err
			}
			if err := p.aborted(len(b)); err != nil {
				return err
			}
		}
		if err := p.doneScanning(sc, v); err != nil {
			return err
		}
	}
	if w.lazy && !w.changed {
		return nil
	}
	if err := w.materialize(); err != nil {
		return err
	}
	seg, err := w.finish()
	if err != nil {
		return err
	}
	return p.swap(g, w, seg)
}

// swap commits a written group and replaces its segments, on disk and
// then in memory. See the package comment on compaction for the protocol.
func (p *cleanPass) swap(g []segmentView, w *groupWriter, seg *segment) error {
	l := p.l
	if p.crash(stepCleanedWritten) {
		w.keep = true
		seg.release()
		return errCrashed
	}
	if err := p.aborted(0); err != nil {
		seg.release()
		return err
	}
	// Commit. If writing the journal fails it may still have reached the
	// disk: the .cleaned files may only go if the journal surely did not.
	if err := writeSwapJournal(l.dir, swapJournal{base: w.base, end: w.end, logSize: w.pos}); err != nil {
		seg.release()
		if rerr := removeSwapJournal(l.dir); rerr != nil {
			w.keep = true
			return l.cleanerBroken(fmt.Errorf("commit compacted segment %d: %w (and the journal could not be removed: %v)", w.base, err, rerr))
		}
		return fmt.Errorf("commit compacted segment %d: %w", w.base, err)
	}
	w.keep = true // committed: from here on the swap is completed, now or by Open
	if p.crash(stepJournaled) {
		seg.release()
		return errCrashed
	}
	steps := []cleanStep{stepIndexRenamed, stepTimeIndexRenamed, stepLogRenamed}
	for i, suf := range []string{indexSuffix, timeIndexSuffix, logSuffix} {
		final := segmentPath(l.dir, w.base, suf)
		if err := os.Rename(final+cleanedSuffix, final); err != nil {
			return p.swapFailed(g, seg, err)
		}
		if p.crash(steps[i]) {
			seg.release()
			return errCrashed
		}
	}
	for _, v := range g[1:] {
		if err := v.seg.removeFiles(); err != nil {
			return p.swapFailed(g, seg, err)
		}
	}
	if err := syncDirectory(l.dir); err != nil {
		return p.swapFailed(g, seg, err)
	}
	if p.crash(stepSourcesRemoved) {
		seg.release()
		return errCrashed
	}
	if err := removeSwapJournal(l.dir); err != nil {
		return p.swapFailed(g, seg, err)
	}
	if p.crash(stepJournalRemoved) {
		seg.release()
		return errCrashed
	}
	if !l.swapSegments(segmentsOf(g), seg) {
		seg.release() // closed meanwhile
		return ErrClosed
	}
	p.stats.SegmentsWritten++
	p.stats.BytesWritten += seg.size
	if p.crash(stepSwapped) {
		return errCrashed
	}
	return nil
}

// swapFailed handles an I/O error after the commit point: the files on disk
// are between the old and the new state, and only Open can finish the swap.
// The new segment is put in memory anyway (it is what the disk will hold)
// and no further pass runs on this log until it is reopened.
func (p *cleanPass) swapFailed(g []segmentView, seg *segment, err error) error {
	if !p.l.swapSegments(segmentsOf(g), seg) {
		seg.release()
	}
	return p.l.cleanerBroken(fmt.Errorf("swap compacted segment %d: %w", g[0].seg.base, err))
}

// cleanerBroken records an error that leaves compaction files for Open to
// sort out and stops further passes on the log.
func (l *Log) cleanerBroken(err error) error {
	l.mu.Lock()
	if l.cleanErr == nil {
		l.cleanErr = err
	}
	l.mu.Unlock()
	l.logger.Error("compaction failed after its commit point; no more compaction until the log is reopened", "dir", l.dir, "err", err)
	return err
}

func segmentsOf(vs []segmentView) []*segment {
	out := make([]*segment, len(vs))
	for i := range vs {
		out[i] = vs[i].seg
	}
	return out
}

// segmentPath returns the path of a segment file.
func segmentPath(dir string, base int64, suffix string) string {
	return (&segment{dir: dir, base: base}).path(suffix)
}

// swapSegments replaces the consecutive segments old by seg in the segment
// list, once seg's files are in place, and drops the Log's references to
// the old ones. It reports false if the log was closed meanwhile.
func (l *Log) swapSegments(old []*segment, seg *segment) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	i := slices.Index(l.segs, old[0])
	if i < 0 || i+len(old) > len(l.segs) || !slices.Equal(l.segs[i:i+len(old)], old) {
		l.logger.Error("compacted segments are no longer in the segment list", "dir", l.dir, "base", old[0].base)
		return false
	}
	var oldSize int64
	for _, s := range old {
		oldSize += s.size
	}
	l.segs = slices.Replace(l.segs, i, i+len(old), seg)
	l.unsynced = slices.DeleteFunc(l.unsynced, func(u *segment) bool { return slices.Contains(old, u) })
	l.sizeA.Add(seg.size - oldSize)
	for _, s := range old {
		s.release()
	}
	return true
}

// groupWriter writes the result of one group to .cleaned files. For a
// one-segment group it writes nothing while every batch is copied
// unchanged, and copies that prefix from the source at the first change.
type groupWriter struct {
	p         *cleanPass
	dir       string
	base, end int64    // offset range of the group
	src       *segment // the group's first segment
	lazy      bool     // nothing written yet; the output so far equals src[0:pos]
	changed   bool     // the output differs from the source
	keep      bool     // the .cleaned files are committed (or a crash is simulated)
	f         *os.File
	pos       int64 // output size so far
	ib        indexBuilder
	idx, tidx []byte
	maxTs     int64 // largest maxTimestamp of the group's segments
}

// add appends the outcome of filterBatch for one source batch: out is nil
// for a dropped batch, verbatim when it is the source batch itself.
func (w *groupWriter) add(out []byte, verbatim bool) error {
	if !verbatim {
		w.changed = true
		if err := w.materialize(); err != nil {
			return err
		}
	}
	if out == nil {
		return nil
	}
	if !w.lazy {
		if err := w.materialize(); err != nil {
			return err
		}
		if _, err := w.p.s.w.Write(out); err != nil {
			return fmt.Errorf("write compacted segment: %w", err)
		}
		w.p.throttle(len(out))
	}
	last := batchBaseOffset(out) + batchLastOffsetDelta(out)
	w.idx, w.tidx = w.ib.add(w.idx, w.tidx, w.pos, len(out), last, batchMaxTimestamp(out))
	w.pos += int64(len(out))
	return nil
}

// materialize creates the .cleaned log file, copying the unchanged prefix
// of the source if nothing was written yet.
func (w *groupWriter) materialize() error {
	if w.f != nil {
		return nil
	}
	f, err := os.OpenFile(segmentPath(w.dir, w.base, logSuffix)+cleanedSuffix, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create compacted segment: %w", err)
	}
	w.f = f
	w.p.s.w.Reset(f)
	if w.lazy && w.pos > 0 {
		if _, err := io.Copy(w.p.s.w, io.NewSectionReader(w.src.f, 0, w.pos)); err != nil {
			return fmt.Errorf("copy into compacted segment: %w", err)
		}
	}
	w.lazy = false
	return nil
}

// finish flushes and seals the written group: the log file, then index
// files whose last time index entry names the group's last offset (so that
// loading the segment later finds them consistent even when the last
// batches were removed), all fsynced. It returns the new segment, loaded.
func (w *groupWriter) finish() (*segment, error) {
	if err := w.p.s.w.Flush(); err != nil {
		return nil, fmt.Errorf("write compacted segment: %w", err)
	}
	w.p.s.w.Reset(nil)
	w.ib.maxTs = max(w.ib.maxTs, w.maxTs)
	w.tidx = w.ib.seal(w.tidx, w.end-1)
	for _, f := range []struct {
		suffix string
		data   []byte
	}{{indexSuffix, w.idx}, {timeIndexSuffix, w.tidx}} {
		if err := writeSynced(segmentPath(w.dir, w.base, f.suffix)+cleanedSuffix, f.data); err != nil {
			return nil, err
		}
	}
	if err := fdatasync(w.f); err != nil {
		return nil, fmt.Errorf("fsync compacted segment: %w", err)
	}
	seg := newSegment(w.dir, w.base, w.pos)
	seg.f, seg.loaded = w.f, true
	seg.index, seg.tindex = w.idx, w.tidx
	if ts, _, ok := lastTimeEntry(w.tidx); ok {
		seg.maxTs = ts
	}
	w.f = nil // owned by seg now
	return seg, nil
}

// discard removes the .cleaned files of an uncommitted group.
func (w *groupWriter) discard() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.p.s.w.Reset(nil)
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		os.Remove(segmentPath(w.dir, w.base, suf) + cleanedSuffix)
	}
}

// writeSynced creates path with data and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
