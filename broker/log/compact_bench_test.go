package log

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// compactBenchSize returns the partition size and key count of
// BenchmarkCompact1GB: CONFLUX_BENCH_COMPACT_GB gigabytes (default 0.125,
// 0.03 with -short) with a million distinct keys per gigabyte, or
// CONFLUX_BENCH_COMPACT_KEYS.
func compactBenchSize() (total int64, keys int) {
	gb := 0.125
	if testing.Short() {
		gb = 0.03
	}
	if v, err := strconv.ParseFloat(os.Getenv("CONFLUX_BENCH_COMPACT_GB"), 64); err == nil && v > 0 {
		gb = v
	}
	keys = max(1000, int(gb*1_000_000))
	if v, err := strconv.Atoi(os.Getenv("CONFLUX_BENCH_COMPACT_KEYS")); err == nil && v > 0 {
		keys = v
	}
	return int64(gb * (1 << 30)), keys
}

// keyedRequest builds a produce request of about reqBytes made of batches of
// about 16 KB, records with keys drawn uniformly from keys values and
// 100-byte values, encoded directly (kmsg per record is too slow for a
// gigabyte).
func keyedRequest(rng *rand.Rand, keys, reqBytes int, ts int64) []byte {
	var req []byte
	value := make([]byte, 100)
	for len(req) < reqBytes {
		start := len(req)
		req = append(req, make([]byte, batchHeaderSize)...)
		n := 0
		for len(req)-start < 16<<10 {
			key := fmt.Appendf(nil, "key-%08d", rng.IntN(keys))
			for i := range value {
				value[i] = byte(n + i)
			}
			var body []byte
			body = append(body, 0)
			body = binary.AppendVarint(body, int64(n)) // timestamp delta
			body = binary.AppendVarint(body, int64(n)) // offset delta
			body = binary.AppendVarint(body, int64(len(key)))
			body = append(body, key...)
			body = binary.AppendVarint(body, int64(len(value)))
			body = append(body, value...)
			body = binary.AppendVarint(body, 0) // headers
			req = binary.AppendVarint(req, int64(len(body)))
			req = append(req, body...)
			n++
		}
		b := req[start:]
		be.PutUint32(b[offBatchLength:], uint32(len(b)-batchLogOverhead))
		b[offMagic] = 2
		be.PutUint32(b[offLastOffsetDelta:], uint32(n-1))
		be.PutUint64(b[offBaseTimestamp:], uint64(ts))
		be.PutUint64(b[offMaxTimestamp:], uint64(ts+int64(n-1)))
		be.PutUint64(b[offProducerID:], ^uint64(0))
		be.PutUint16(b[offProducerEpoch:], 0xFFFF)
		be.PutUint32(b[offBaseSequence:], ^uint32(0))
		be.PutUint32(b[offRecordCount:], uint32(n))
		be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	}
	return req
}

// linkCopy makes dst a copy of the log directory src by hard links: a pass
// replaces segment files by rename and never writes into them.
func linkCopy(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Link(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkCompact1GB measures one cleaning pass over a partition of
// CONFLUX_BENCH_COMPACT_GB gigabytes (all dirty, 128 MiB segments or an
// eighth of the size if smaller, ~16 KB
// uncompressed batches of ~130-byte records) with a million distinct keys
// per gigabyte, in MB of log compacted per second: "alone" at full speed,
// the with-produce and with-fetch variants with the Cleaner's default I/O
// cap (CONFLUX_BENCH_COMPACT_RATE MiB/s overrides it, negative = none)
// while an Append (or Read) loop runs on another log; they report that
// loop's throughput as a share of the same loop alone (measured before
// and after the pass).
//
//	CONFLUX_BENCH_COMPACT_GB=1 go test ./broker/log -run '^$' -bench Compact1GB -benchtime 1x
func BenchmarkCompact1GB(b *testing.B) {
	total, keys := compactBenchSize()
	cfg := compactConfig(min(128<<20, max(1<<20, total/8)))
	cfg.IndexIntervalBytes = DefaultIndexIntervalBytes
	cfg.MaxMessageBytes = 2 << 20
	template := filepath.Join(b.TempDir(), "template")
	l, err := Open(template, cfg, Options{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for l.Size() < total {
		if _, err := l.Append(keyedRequest(rng, keys, 1<<20, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}

	pass := func(b *testing.B, rate float64, during func(stop <-chan struct{})) CleanStats {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "p")
		linkCopy(b, template, dir)
		l, err := Open(dir, cfg, Options{Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		s := newCleanScratch(0, rate)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		if during != nil {
			wg.Go(func() { during(stop) })
		}
		b.StartTimer()
		st, err := l.compact(context.Background(), time.Now(), s)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.BytesRead)
		b.ReportMetric(float64(st.Keys), "keys")
		b.ReportMetric(float64(st.BytesWritten)/(1<<20), "MB-out")
		b.ReportMetric(float64(st.BytesRead)/(1<<20)/st.Duration.Seconds(), "MB/s-compacted")
		return st
	}

	b.Run("alone", func(b *testing.B) {
		for range b.N {
			pass(b, 0, nil)
		}
	})

	// The other partition's workload, run alone for the same time as a
	// pass and during one.
	other := func(b *testing.B, name string, op func(l *Log) (int, error), setup func(l *Log)) {
		b.Run("with-"+name, func(b *testing.B) {
			rate := float64(DefaultCleanerMaxBytesPerSecond)
			if v, err := strconv.ParseFloat(os.Getenv("CONFLUX_BENCH_COMPACT_RATE"), 64); err == nil {
				rate = v * (1 << 20)
			}
			ol, err := Open(b.TempDir(), Config{SegmentBytes: 128 << 20, MaxMessageBytes: 2 << 20}, Options{Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer ol.Close()
			setup(ol)
			// loop runs op until stop and returns its rate in bytes/s.
			loop := func(stop <-chan struct{}) float64 {
				var n int64
				t0 := time.Now()
				for {
					select {
					case <-stop:
						return float64(n) / time.Since(t0).Seconds()
					default:
					}
					m, err := op(ol)
					if err != nil {
						b.Error(err)
						return 0
					}
					n += int64(m)
				}
			}
			alone := func(d time.Duration) float64 {
				stop := make(chan struct{})
				time.AfterFunc(d, func() { close(stop) })
				return loop(stop)
			}
			for range b.N {
				b.StopTimer()
				before := alone(time.Second)
				var duringRate float64
				st := pass(b, rate, func(stop <-chan struct{}) { duringRate = loop(stop) })
				aloneRate := (before + alone(st.Duration)) / 2
				b.ReportMetric(duringRate/(1<<20), "MB/s-"+name+"-during")
				b.ReportMetric(aloneRate/(1<<20), "MB/s-"+name+"-alone")
				b.ReportMetric(100*duringRate/aloneRate, "%-of-alone")
			}
		})
	}
	req := benchRequest(b, 1_000_000, 16<<10)
	other(b, "produce", func(ol *Log) (int, error) {
		if ol.Size() > 512<<20 {
			if _, err := ol.DeleteRecordsBefore(ol.EndOffset()); err != nil {
				return 0, err
			}
		}
		_, err := ol.Append(req)
		return len(req), err
	}, func(*Log) {})
	var fetchOff int64
	fetchBuf := make([]byte, 0, 2<<20)
	other(b, "fetch", func(ol *Log) (int, error) {
		fetchOff = (fetchOff*7919 + 104729) % ol.EndOffset()
		var err error
		fetchBuf, err = ol.Read(fetchOff, 1<<20, fetchBuf[:0])
		return len(fetchBuf), err
	}, func(ol *Log) {
		for ol.Size() < 256<<20 {
			if _, err := ol.Append(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
