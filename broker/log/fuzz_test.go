package log

import (
	"bytes"
	"testing"
)

// FuzzAppendValidation feeds arbitrary bytes to Append: it must never panic,
// must store nothing when it returns an error, and must store exactly the
// input (with offsets assigned) when it succeeds. One log is shared by all
// inputs of a fuzzing process to keep fsyncs out of the loop.
func FuzzAppendValidation(f *testing.F) {
	good := buildBatch(f, plain(3))
	f.Add(good)
	f.Add(concat(good, buildBatch(f, idem(1, 0, 0, 2))))
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	l, err := Open(f.TempDir(), Config{MaxMessageBytes: 1 << 16}, Options{Logger: quietLogger()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		end, size := l.EndOffset(), l.Size()
		in := bytes.Clone(data)
		res, err := l.Append(in)
		if err != nil {
			if l.EndOffset() != end || l.Size() != size {
				t.Fatalf("failed append (%v) stored data: end %d->%d size %d->%d", err, end, l.EndOffset(), size, l.Size())
			}
			return
		}
		if res.Duplicate {
			if l.EndOffset() != end {
				t.Fatalf("duplicate stored data")
			}
			return
		}
		if res.BaseOffset != end || l.Size() != size+int64(len(data)) {
			t.Fatalf("result %+v, size %d->%d for %d bytes", res, size, l.Size(), len(data))
		}
		got, err := l.Read(end, len(data), nil)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("read back differs: %v", err)
		}
	})
}
