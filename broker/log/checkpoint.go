package log

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Names of the small state files kept beside the segments.
const (
	checkpointFile  = "recovery-checkpoint"
	startOffsetFile = "log-start-offset"
	cleanFile       = "clean-shutdown"
	tmpSuffix       = ".tmp"
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
