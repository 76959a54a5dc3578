package filetail

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPoll measures the task's read path: 200-byte lines (newline
// included) from a file written beforehand, turned into records with their
// headers and offsets by Poll, in MB/s of file read.
//
//	go test ./connectors/filetail -run '^$' -bench Poll -benchtime 2000000x
func BenchmarkPoll(b *testing.B) {
	const lineLen = 200
	path := filepath.Join(b.TempDir(), "bench.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	line := strings.Repeat("x", lineLen-1) + "\n"
	for range b.N {
		w.WriteString(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	task := &Task{}
	if err := task.Start(b.Context(), nil, map[string]string{KeyTopic: "logs", KeyPaths: path}); err != nil {
		b.Fatal(err)
	}
	defer task.Stop()
	b.SetBytes(lineLen)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		recs, err := task.Poll(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
