package log

import (
	"bytes"
	"errors"
	"testing"
)

func TestAppendValidation(t *testing.T) {
	good := buildBatch(t, plain(3))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name    string
		records []byte
		cfg     Config
		wantErr error
	}{
		{"empty", nil, Config{}, ErrCorruptBatch},
		{"short header", good[:40], Config{}, ErrCorruptBatch},
		{"eleven bytes", good[:11], Config{}, ErrCorruptBatch},
		{"truncated batch", good[:len(good)-1], Config{}, ErrCorruptBatch},
		{"trailing partial batch", concat(good, good[:30]), Config{}, ErrCorruptBatch},
		{"trailing byte", concat(good, []byte{0}), Config{}, ErrCorruptBatch},
		{"length too small", mutate(func(b []byte) []byte { be.PutUint32(b[offBatchLength:], 10); return b }), Config{}, ErrCorruptBatch},
		{"negative length", mutate(func(b []byte) []byte { be.PutUint32(b[offBatchLength:], 0xFFFFFFF0); return b }), Config{}, ErrCorruptBatch},
		{"magic 1", mutate(func(b []byte) []byte { b[offMagic] = 1; return b }), Config{}, ErrCorruptBatch},
		{"bad crc", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), Config{}, ErrCorruptBatch},
		{"bad crc in second batch", concat(good, mutate(func(b []byte) []byte { b[offCRC] ^= 1; return b })), Config{}, ErrCorruptBatch},
		{"control batch", mutate(func(b []byte) []byte {
			be.PutUint16(b[offAttributes:], attrControl)
			fixCRC(b)
			return b
		}), Config{}, ErrInvalidRecord},
		{"lastOffsetDelta mismatch", mutate(func(b []byte) []byte {
			be.PutUint32(b[offLastOffsetDelta:], 5)
			fixCRC(b)
			return b
		}), Config{}, ErrInvalidRecord},
		{"zero records", mutate(func(b []byte) []byte {
			be.PutUint32(b[offRecordCount:], 0)
			be.PutUint32(b[offLastOffsetDelta:], 0xFFFFFFFF)
			fixCRC(b)
			return b
		}), Config{}, ErrInvalidRecord},
		{"too large", good, Config{MaxMessageBytes: len(good) - 1}, ErrBatchTooLarge},
		{"exactly max", good, Config{MaxMessageBytes: len(good)}, nil},
		{"valid pair", concat(good, good), Config{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLog(t, t.TempDir(), Config{}, nil)
			defer l.Close()
			mustAppend(t, l, good)
			l.SetConfig(tc.cfg)
			end, size := l.EndOffset(), l.Size()
			_, err := l.Append(bytes.Clone(tc.records))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil && (l.EndOffset() != end || l.Size() != size) {
				t.Fatalf("rejected request changed the log: end %d->%d size %d->%d", end, l.EndOffset(), size, l.Size())
			}
		})
	}
}
