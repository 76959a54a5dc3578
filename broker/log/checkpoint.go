package log

import (
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Names of the small state files kept beside the segments.
const (
	checkpointFile        = "recovery-checkpoint"
	startOffsetFile       = "log-start-offset"
	cleanFile             = "clean-shutdown"
	cleanerCheckpointFile = "cleaner-checkpoint"
	swapJournalFile       = "cleaner-swap"
	tmpSuffix             = ".tmp"
	cleanedSuffix         = ".cleaned"
)

const checkpointMagic = 0x43465852 // "CFXR"
const checkpointVersion = 1

// checkpoint is the recovery point of a log: everything before position pos
// of segment segBase (and every earlier segment, with its indexes) was
// fsynced and valid when it was written, together with the first idxBytes
// and tidxBytes of that segment's index files. It carries the state needed to
// resume appending at that point without reading the log: the index builder,
// the segment.ms base and the idempotent producers as of offset next.
type checkpoint struct {
	segBase   int64
	pos       int64
	next      int64
	idxBytes  int64
	tidxBytes int64
	ib        indexBuilder // base and interval are not stored
	rollBase  int64
	producers map[int64]producerState
}

// encode serialises the checkpoint with a trailing CRC-32C.
func (c *checkpoint) encode(p *producers) []byte {
	b := make([]byte, 0, 128)
	b = be.AppendUint32(b, checkpointMagic)
	b = be.AppendUint16(b, checkpointVersion)
	for _, v := range []int64{c.segBase, c.pos, c.next, c.idxBytes, c.tidxBytes,
		int64(c.ib.bytesSinceIndex), c.ib.maxTs, c.ib.maxTsLast, c.ib.lastTimeIdxTs, c.rollBase} {
		b = be.AppendUint64(b, uint64(v))
	}
	b = p.appendSnapshot(b)
	return be.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeCheckpoint parses a checkpoint file, failing on any damage.
func decodeCheckpoint(b []byte) (*checkpoint, error) {
	const fixed = 4 + 2 + 10*8
	if len(b) < fixed+4+4 {
		return nil, errors.New("checkpoint too short")
	}
	body, sum := b[:len(b)-4], be.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errors.New("checkpoint checksum mismatch")
	}
	if be.Uint32(body) != checkpointMagic || be.Uint16(body[4:]) != checkpointVersion {
		return nil, errors.New("checkpoint has an unknown format")
	}
	v := make([]int64, 10)
	for i := range v {
		v[i] = int64(be.Uint64(body[6+8*i:]))
	}
	c := &checkpoint{segBase: v[0], pos: v[1], next: v[2], idxBytes: v[3], tidxBytes: v[4],
		ib:       indexBuilder{bytesSinceIndex: int(v[5]), maxTs: v[6], maxTsLast: v[7], lastTimeIdxTs: v[8]},
		rollBase: v[9]}
	m, rest, err := readSnapshot(body[fixed:])
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("checkpoint has trailing bytes")
	}
	if c.segBase < 0 || c.pos < 0 || c.next < c.segBase || c.idxBytes < 0 || c.tidxBytes < 0 ||
		c.idxBytes%offsetEntrySize != 0 || c.tidxBytes%timeEntrySize != 0 {
		return nil, errors.New("checkpoint fields out of range")
	}
	c.producers = m
	return c, nil
}

// readCheckpoint returns the log's checkpoint, or nil if it is missing or
// damaged (recovery then scans more, it never fails).
func readCheckpoint(dir string) *checkpoint {
	b, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if err != nil {
		return nil
	}
	c, err := decodeCheckpoint(b)
	if err != nil {
		return nil
	}
	return c
}

// writeStartOffset persists the log start offset.
func writeStartOffset(dir string, off int64) error {
	b := be.AppendUint64(nil, uint64(off))
	b = be.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return writeFileAtomic(dir, startOffsetFile, b, true)
}

// readStartOffset returns the persisted log start offset, or -1.
func readStartOffset(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, startOffsetFile))
	if err != nil || len(b) != 12 || crc32.Checksum(b[:8], castagnoli) != be.Uint32(b[8:]) {
		return -1
	}
	return int64(be.Uint64(b))
}

// writeFileAtomic replaces dir/name with data: written to a temporary file,
// fsynced, renamed over the old one, and with syncDir the directory fsynced
// so the rename itself survives a crash.
func writeFileAtomic(dir, name string, data []byte, syncDir bool) error {
	tmp := filepath.Join(dir, name+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil && syncDir {
		err = syncDirectory(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// syncDirectory fsyncs a directory so that created, renamed and removed
// entries are durable.
func syncDirectory(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Magic numbers of the cleaner's state files.
const (
	cleanerCheckpointMagic = 0x43465843 // "CFXC"
	swapJournalMagic       = 0x43465853 // "CFXS"
)

// encodeFixed serialises int64 fields after a magic number, with a trailing
// CRC-32C.
func encodeFixed(magic uint32, vals ...int64) []byte {
	b := be.AppendUint32(make([]byte, 0, 4+8*len(vals)+4), magic)
	for _, v := range vals {
		b = be.AppendUint64(b, uint64(v))
	}
	return be.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeFixed parses what encodeFixed wrote, or returns nil if b is not
// exactly n fields with the magic number and a good CRC.
func decodeFixed(b []byte, magic uint32, n int) []int64 {
	if len(b) != 4+8*n+4 || be.Uint32(b) != magic ||
		crc32.Checksum(b[:len(b)-4], castagnoli) != be.Uint32(b[len(b)-4:]) {
		return nil
	}
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(be.Uint64(b[4+8*i:]))
	}
	return vals
}

// cleanerCheckpoint is the state a cleaning pass leaves for the next one:
// offsets below firstDirty were compacted, and nextHorizon is the earliest
// delete horizon of a tombstone it kept (math.MaxInt64 if none).
type cleanerCheckpoint struct {
	firstDirty  int64
	nextHorizon int64
}

// readCleanerCheckpoint returns the cleaner checkpoint, or one marking the
// whole log dirty when it is missing or damaged (the next pass then does
// more work, never wrong work).
func readCleanerCheckpoint(dir string) cleanerCheckpoint {
	b, _ := os.ReadFile(filepath.Join(dir, cleanerCheckpointFile))
	if v := decodeFixed(b, cleanerCheckpointMagic, 2); v != nil {
		return cleanerCheckpoint{firstDirty: v[0], nextHorizon: v[1]}
	}
	return cleanerCheckpoint{firstDirty: -1, nextHorizon: math.MaxInt64}
}

// writeCleanerCheckpoint persists the cleaner checkpoint. The directory is
// not fsynced: losing the newest checkpoint only repeats work.
func writeCleanerCheckpoint(dir string, c cleanerCheckpoint) error {
	return writeFileAtomic(dir, cleanerCheckpointFile, encodeFixed(cleanerCheckpointMagic, c.firstDirty, c.nextHorizon), false)
}

// swapJournal is the commit record of one cleaned segment group: the
// files <base>.{log,index,timeindex}.cleaned (the log logSize bytes long)
// replace every segment whose base lies in [base, end).
type swapJournal struct {
	base, end, logSize int64
}

func writeSwapJournal(dir string, j swapJournal) error {
	return writeFileAtomic(dir, swapJournalFile, encodeFixed(swapJournalMagic, j.base, j.end, j.logSize), true)
}

// removeSwapJournal deletes the journal durably, so that it can never be
// applied to the .cleaned files of a later pass.
func removeSwapJournal(dir string) error {
	if err := os.Remove(filepath.Join(dir, swapJournalFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDirectory(dir)
}

// completeSwap finishes a segment swap whose journal was committed before a
// crash: it renames whatever .cleaned files of the group remain into place
// and removes the replaced segments. Every step is idempotent, so a crash
// during completeSwap is completed by the next Open.
func completeSwap(dir string, logger *slog.Logger) error {
	b, err := os.ReadFile(filepath.Join(dir, swapJournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	v := decodeFixed(b, swapJournalMagic, 3)
	if v == nil {
		// writeFileAtomic never leaves a partial journal; a damaged one
		// committed nothing that can be trusted.
		logger.Warn("ignoring damaged compaction journal", "dir", dir)
		return removeSwapJournal(dir)
	}
	j := swapJournal{base: v[0], end: v[1], logSize: v[2]}
	logCleaned := filepath.Join(dir, segmentName(j.base, logSuffix)+cleanedSuffix)
	if fi, err := os.Stat(logCleaned); err == nil && fi.Size() != j.logSize {
		logger.Warn("compaction journal does not match the cleaned segment; discarding it", "dir", dir, "base", j.base)
		return removeSwapJournal(dir)
	}
	logger.Info("completing interrupted segment swap of a compaction", "dir", dir, "base", j.base, "end", j.end)
	for _, suf := range []string{indexSuffix, timeIndexSuffix, logSuffix} {
		final := filepath.Join(dir, segmentName(j.base, suf))
		if err := os.Rename(final+cleanedSuffix, final); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
			digits, ok := strings.CutSuffix(name, suf)
			if !ok || len(digits) != 20 {
				continue
			}
			if base, err := strconv.ParseInt(digits, 10, 64); err == nil && base > j.base && base < j.end {
				if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
		}
	}
	if err := syncDirectory(dir); err != nil {
		return err
	}
	return removeSwapJournal(dir)
}
