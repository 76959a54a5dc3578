package filetail

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
	"unicode/utf8"

	"conflux/connectors"
)

// readSize is the initial read buffer of a file; it grows up to the
// longest line allowed.
const readSize = 256 << 10

// fileID is a file's identity while it exists: its device and inode.
type fileID struct{ dev, ino uint64 }

func (id fileID) String() string { return fmt.Sprintf("%d:%d", id.dev, id.ino) }

func idOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}

// tailFile is one open file and how far it was read. pos is the offset
// of the first byte not yet turned into a line (buf[start]); readPos the
// offset of buf[end].
type tailFile struct {
	id        fileID
	idStr     string
	path      string
	f         *os.File
	partition map[string]any
	fp        fingerprint
	join      *joiner // nil without multiline
	tpl       recordTemplate

	buf        []byte
	start, end int
	pos        int64
	readPos    int64
	skipping   bool      // discarding the rest of a line up to its newline
	gone       time.Time // when the file stopped matching the patterns; zero while it does

	// str holds a copy of the file's bytes from strPos on, for lineString.
	str    string
	strPos int64

	// last is the last record read from the file that settle has not
	// given an offset yet, and lastEnd where it ends.
	last    *connectors.Record
	lastEnd int64
}

// seek positions the file at off, dropping what was buffered.
func (tf *tailFile) seek(off int64) error {
	if _, err := tf.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("%w: seek %s to %d: %v", ErrRead, tf.path, off, err)
	}
	tf.pos, tf.readPos = off, off
	tf.start, tf.end = 0, 0
	tf.str, tf.strPos = "", 0
	tf.skipping = false
	return nil
}

// fill reads more of the file into the buffer, compacting it or growing
// it (up to limit bytes) first. It returns the number of bytes read.
func (tf *tailFile) fill(limit int) (int, error) {
	if tf.buf == nil {
		tf.buf = make([]byte, min(readSize, limit))
	}
	if tf.start > 0 {
		tf.end = copy(tf.buf, tf.buf[tf.start:tf.end])
		tf.start = 0
	}
	if tf.end == len(tf.buf) {
		grown := make([]byte, min(2*len(tf.buf), max(limit, len(tf.buf)+1)))
		copy(grown, tf.buf[:tf.end])
		tf.buf = grown
	}
	n, err := tf.f.Read(tf.buf[tf.end:])
	tf.end += n
	tf.readPos += int64(n)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		return n, fmt.Errorf("%w: read %s: %v", ErrRead, tf.path, err)
	}
	return n, nil
}

// lines yields the complete lines in the buffer, with their start and end
// offsets (end includes the newline, or is the cut of a split line), until
// full reports true or the buffer holds no complete line. Lines longer
// than maxLine are split at a UTF-8 boundary or, with skip, dropped
// (skipped is called with their offset).
func (tf *tailFile) lines(maxLine int, skip bool, full func() bool, yield emitFunc, skipped func(off int64)) {
	for !full() {
		data := tf.buf[tf.start:tf.end]
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(data) <= maxLine+1 { // room for a \r before the newline
				return
			}
			// A line longer than allowed, its newline not yet read.
			if skip || tf.skipping {
				if !tf.skipping {
					skipped(tf.pos)
				}
				tf.skipping = true
				tf.advance(len(data))
				continue
			}
			cut := runeCut(data, maxLine)
			yield(data[:cut], tf.pos, tf.pos+int64(cut))
			tf.advance(cut)
			continue
		}
		line := data[:i]
		if tf.skipping {
			tf.skipping = false
			tf.advance(i + 1)
			continue
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > maxLine {
			if skip {
				skipped(tf.pos)
				tf.advance(i + 1)
				continue
			}
			for len(line) > maxLine {
				cut := runeCut(line, maxLine)
				yield(line[:cut], tf.pos, tf.pos+int64(cut))
				tf.advance(cut)
				line, i = line[cut:], i-cut
			}
		}
		yield(line, tf.pos, tf.pos+int64(i)+1)
		tf.advance(i + 1)
	}
}

func (tf *tailFile) advance(n int) {
	tf.start += n
	tf.pos += int64(n)
}

// rest returns the bytes after the last complete line, for a file that
// will not grow any more.
func (tf *tailFile) rest() []byte {
	if tf.skipping {
		return nil
	}
	return bytes.TrimSuffix(tf.buf[tf.start:tf.end], []byte{'\r'})
}

// runeCut returns where to cut data (longer than n bytes) to keep at most
// n bytes without splitting a UTF-8 sequence.
func runeCut(data []byte, n int) int {
	for cut := n; cut > n-utf8.UTFMax && cut > 0; cut-- {
		if utf8.RuneStart(data[cut]) {
			return cut
		}
	}
	return n
}
