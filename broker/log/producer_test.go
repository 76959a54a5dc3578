package log

import (
	"errors"
	"math"
	"testing"
)

func TestIdempotentProducer(t *testing.T) {
	type step struct {
		spec     batchSpec
		wantErr  error
		wantDup  bool
		wantBase int64 // checked when no error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{
			{spec: idem(7, 0, 0, 3), wantBase: 0},
			{spec: idem(7, 0, 3, 2), wantBase: 3},
			{spec: idem(7, 0, 5, 1), wantBase: 5},
		}},
		{"duplicate of last", []step{
			{spec: idem(7, 0, 0, 3), wantBase: 0},
			{spec: idem(7, 0, 3, 2), wantBase: 3},
			{spec: idem(7, 0, 3, 2), wantDup: true, wantBase: 3},
			{spec: idem(7, 0, 5, 1), wantBase: 5},
		}},
		{"duplicate of an older cached batch", []step{
			{spec: idem(7, 0, 0, 1), wantBase: 0},
			{spec: idem(7, 0, 1, 1), wantBase: 1},
			{spec: idem(7, 0, 2, 1), wantBase: 2},
			{spec: idem(7, 0, 0, 1), wantDup: true, wantBase: 0},
		}},
		{"only five batches remembered", []step{
			{spec: idem(7, 0, 0, 1), wantBase: 0},
			{spec: idem(7, 0, 1, 1), wantBase: 1},
			{spec: idem(7, 0, 2, 1), wantBase: 2},
			{spec: idem(7, 0, 3, 1), wantBase: 3},
			{spec: idem(7, 0, 4, 1), wantBase: 4},
			{spec: idem(7, 0, 5, 1), wantBase: 5},
			{spec: idem(7, 0, 1, 1), wantDup: true, wantBase: 1},
			{spec: idem(7, 0, 0, 1), wantErr: ErrOutOfOrderSequence},
		}},
		{"gap", []step{
			{spec: idem(7, 0, 0, 3), wantBase: 0},
			{spec: idem(7, 0, 4, 1), wantErr: ErrOutOfOrderSequence},
			{spec: idem(7, 0, 3, 1), wantBase: 3},
		}},
		{"overlap that is no duplicate", []step{
			{spec: idem(7, 0, 0, 3), wantBase: 0},
			{spec: idem(7, 0, 1, 3), wantErr: ErrOutOfOrderSequence},
		}},
		{"unknown producer starts anywhere", []step{
			{spec: idem(9, 2, 1234, 2), wantBase: 0},
			{spec: idem(9, 2, 1236, 1), wantBase: 2},
		}},
		{"lower epoch fenced", []step{
			{spec: idem(7, 3, 0, 1), wantBase: 0},
			{spec: idem(7, 2, 1, 1), wantErr: ErrInvalidProducerEpoch},
		}},
		{"new epoch starts at zero", []step{
			{spec: idem(7, 0, 0, 5), wantBase: 0},
			{spec: idem(7, 1, 0, 1), wantBase: 5},
			{spec: idem(7, 1, 1, 1), wantBase: 6},
		}},
		{"new epoch at non-zero sequence", []step{
			{spec: idem(7, 0, 0, 5), wantBase: 0},
			{spec: idem(7, 1, 5, 1), wantErr: ErrOutOfOrderSequence},
		}},
		{"sequence wraps", []step{
			{spec: idem(7, 0, math.MaxInt32-1, 2), wantBase: 0},
			{spec: idem(7, 0, 0, 1), wantBase: 2},
		}},
		{"batch spans the wrap", []step{
			{spec: idem(7, 0, math.MaxInt32, 3), wantBase: 0},
			{spec: idem(7, 0, math.MaxInt32, 3), wantDup: true, wantBase: 0},
			{spec: idem(7, 0, 2, 1), wantBase: 3},
		}},
		{"producers are independent", []step{
			{spec: idem(1, 0, 0, 1), wantBase: 0},
			{spec: idem(2, 0, 0, 1), wantBase: 1},
			{spec: idem(1, 0, 1, 1), wantBase: 2},
			{spec: idem(2, 0, 0, 1), wantDup: true, wantBase: 1},
		}},
		{"no producer id means no checks", []step{
			{spec: batchSpec{records: 1, pid: -1, seq: 0}, wantBase: 0},
			{spec: batchSpec{records: 1, pid: -1, seq: 0}, wantBase: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Config{}, nil)
			run := func(l *Log, steps []step) {
				t.Helper()
				for i, s := range steps {
					before := l.EndOffset()
					res, err := l.Append(buildBatch(t, s.spec))
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d: err %v, want %v", i, err, s.wantErr)
					}
					if err != nil {
						if l.EndOffset() != before {
							t.Fatalf("step %d: failed append moved end to %d", i, l.EndOffset())
						}
						continue
					}
					if res.Duplicate != s.wantDup || res.BaseOffset != s.wantBase {
						t.Fatalf("step %d: result %+v, want dup %v base %d", i, res, s.wantDup, s.wantBase)
					}
					if s.wantDup && l.EndOffset() != before {
						t.Fatalf("step %d: duplicate was stored", i)
					}
				}
			}
			run(l, tc.steps)
			end := l.EndOffset()
			// Replaying the last step after a clean reopen and after a
			// crash gives the same answer (state survives restart).
			last := tc.steps[len(tc.steps)-1]
			if last.wantErr == nil && last.spec.pid >= 0 {
				last.wantDup, last.wantBase = true, end-int64(last.spec.records)
				if tc.steps[len(tc.steps)-1].wantDup {
					last.wantBase = tc.steps[len(tc.steps)-1].wantBase
				}
				l.Close()
				l = openLog(t, dir, Config{}, nil)
				run(l, []step{last})
				crash(l)
				l = openLog(t, dir, Config{}, nil)
				run(l, []step{last})
			}
			l.Close()
		})
	}
}

// Producer state written after the last checkpoint is rebuilt from batch
// headers during recovery.
func TestProducerStateRebuiltAfterCrash(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 1000}
	l := openLog(t, dir, cfg, nil)
	mustAppend(t, l, buildBatch(t, idem(5, 1, 0, 2)))
	if err := l.SyncTo(l.EndOffset()); err != nil { // checkpoint with the state so far
		t.Fatal(err)
	}
	var seq int32 = 2
	for range 30 {
		mustAppend(t, l, buildBatch(t, idem(5, 1, seq, 2)))
		seq += 2
	}
	end := l.EndOffset()
	crash(l)
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.EndOffset() != end {
		t.Fatalf("end %d, want %d", l.EndOffset(), end)
	}
	res, err := l.Append(buildBatch(t, idem(5, 1, seq-2, 2)))
	if err != nil || !res.Duplicate || res.BaseOffset != end-2 {
		t.Fatalf("retry of last batch: %+v, %v", res, err)
	}
	if _, err := l.Append(buildBatch(t, idem(5, 1, seq+1, 1))); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap after recovery: %v", err)
	}
	if _, err := l.Append(buildBatch(t, idem(5, 0, seq, 1))); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("old epoch after recovery: %v", err)
	}
	if res, err := l.Append(buildBatch(t, idem(5, 1, seq, 1))); err != nil || res.BaseOffset != end {
		t.Fatalf("next batch after recovery: %+v, %v", res, err)
	}
}

// Several batches of one producer in one request are checked in order,
// and a failure in a later one stores nothing.
func TestProducerMultiBatchRequest(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	defer l.Close()
	req := concat(buildBatch(t, idem(3, 0, 0, 2)), buildBatch(t, idem(3, 0, 2, 2)), buildBatch(t, idem(4, 0, 0, 1)))
	if res := mustAppend(t, l, req); res.BaseOffset != 0 || res.EndOffset != 5 {
		t.Fatalf("%+v", res)
	}
	bad := concat(buildBatch(t, idem(3, 0, 4, 1)), buildBatch(t, idem(3, 0, 9, 1)))
	if _, err := l.Append(bad); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("err %v", err)
	}
	// The first batch of the failed request was not recorded either.
	if res := mustAppend(t, l, buildBatch(t, idem(3, 0, 4, 1))); res.Duplicate || res.BaseOffset != 5 {
		t.Fatalf("%+v", res)
	}
}
