package log

import (
	"testing"
)

func TestOffsetForTimestamp(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 700, IndexIntervalBytes: 100}
	l := openLog(t, dir, cfg, nil)
	// Offsets and timestamps:
	//   0-4   ts 100,110,120,130,140       plain
	//   5-9   ts 500,490,480,700,510       gzip, out of order inside
	//  10-12  ts 300,300,300               plain, older than before
	//  13-22  ts 1000..1009                gzip
	specs := []batchSpec{
		{records: 5, baseTs: 100, tsStep: 10, pid: noPID, seq: -1, valueSize: 30},
		{records: 5, baseTs: 500, tsDeltas: []int64{0, -10, -20, 200, 10}, pid: noPID, seq: -1, valueSize: 30, gzip: true},
		{records: 3, baseTs: 300, pid: noPID, seq: -1, valueSize: 30},
		{records: 10, baseTs: 1000, tsStep: 1, pid: noPID, seq: -1, valueSize: 30, gzip: true},
	}
	for _, s := range specs {
		mustAppend(t, l, buildBatch(t, s))
	}
	tests := []struct {
		ts, wantOff, wantTs int64
	}{
		{-1, 0, 100},
		{0, 0, 100},
		{100, 0, 100},
		{101, 1, 110},
		{140, 4, 140},
		{141, 5, 500},
		{300, 5, 500},
		{495, 5, 500},
		{501, 8, 700},
		{700, 8, 700},
		{701, 13, 1000},
		{1005, 18, 1005},
		{1009, 22, 1009},
		{1010, -1, -1},
	}
	check := func(l *Log) {
		t.Helper()
		for _, tc := range tests {
			off, ts, err := l.OffsetForTimestamp(tc.ts)
			if err != nil || off != tc.wantOff || ts != tc.wantTs {
				t.Errorf("OffsetForTimestamp(%d) = %d, %d, %v; want %d, %d", tc.ts, off, ts, err, tc.wantOff, tc.wantTs)
			}
		}
		ts, off, err := l.MaxTimestamp()
		if err != nil || ts != 1009 || off != 22 {
			t.Errorf("MaxTimestamp = %d, %d, %v", ts, off, err)
		}
	}
	check(l)
	if n := len(segFiles(t, dir, logSuffix)); n < 2 {
		t.Fatalf("want several segments, have %d", n)
	}
	l.Close()
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	check(l)

	// Below the log start offset nothing is found.
	if _, err := l.DeleteRecordsBefore(7); err != nil {
		t.Fatal(err)
	}
	if off, ts, err := l.OffsetForTimestamp(0); err != nil || off != 7 || ts != 480 {
		t.Errorf("after delete: OffsetForTimestamp(0) = %d, %d, %v", off, ts, err)
	}
}

func TestMaxTimestampInMiddle(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{IndexIntervalBytes: 64}, nil)
	defer l.Close()
	if ts, off, err := l.MaxTimestamp(); err != nil || ts != -1 || off != -1 {
		t.Fatalf("empty log: %d, %d, %v", ts, off, err)
	}
	for i := range 20 {
		base := int64(100 + i)
		if i == 7 {
			base = 5000
		}
		mustAppend(t, l, buildBatch(t, batchSpec{records: 4, baseTs: base, tsDeltas: []int64{0, 3, 1, 2}, pid: noPID, seq: -1, valueSize: 10, gzip: i%2 == 1}))
	}
	ts, off, err := l.MaxTimestamp()
	if err != nil || ts != 5003 || off != 7*4+1 {
		t.Fatalf("MaxTimestamp = %d, %d, %v", ts, off, err)
	}
	// Below the start offset the maximum is not visible.
	if _, err := l.DeleteRecordsBefore(7*4 + 2); err != nil {
		t.Fatal(err)
	}
	ts, off, err = l.MaxTimestamp()
	if err != nil || ts != 5002 || off != 7*4+3 {
		t.Fatalf("MaxTimestamp after delete = %d, %d, %v", ts, off, err)
	}
}
