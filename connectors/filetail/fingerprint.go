package filetail

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// fingerprintSize is how many leading bytes identify a file's content, as
// Filebeat's fingerprint.length.
const fingerprintSize = 1024

// fingerprint is a hash of a file's first n bytes. Together with the
// device and inode it tells whether a file is still the one an offset was
// stored for: an inode reused after a deletion, or a file truncated and
// rewritten (copytruncate) between two looks, has other leading bytes.
type fingerprint struct {
	n   int
	sum string // hex FNV-1a 64 of the first n bytes
}

// readFingerprint hashes the first n bytes of f; a file shorter than n
// gives a fingerprint of its length.
func readFingerprint(f *os.File, n int) (fingerprint, error) {
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return fingerprint{}, fmt.Errorf("read fingerprint: %w", err)
	}
	h := fnv.New64a()
	h.Write(buf[:got])
	return fingerprint{n: got, sum: hex.EncodeToString(h.Sum(nil))}, nil
}
