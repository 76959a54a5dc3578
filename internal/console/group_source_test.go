package console

import (
	"bytes"
	"context"
	"testing"

	"github.com/IBM/sarama"
)

// markingSource is a fakeSource that records what the consumer marks, and
// how much output had reached the writer at each mark.
type markingSource struct {
	*fakeSource
	out     *bytes.Buffer
	marked  []int64
	written []int
}

func (s *markingSource) MarkPrinted(m *sarama.ConsumerMessage) {
	s.marked = append(s.marked, m.Offset)
	s.written = append(s.written, s.out.Len())
}

func TestPrintMarksOnlyFlushedRecords(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{MaxMessages: 3})
	var out bytes.Buffer
	src := &markingSource{fakeSource: newFakeSource(10), out: &out}
	n, err := c.print(context.Background(), src, &out, &out)
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if len(src.marked) != 3 || src.marked[0] != 0 || src.marked[2] != 2 {
		t.Fatalf("marked %v, want offsets 0, 1, 2", src.marked)
	}
	// Each record was on the writer before it was marked.
	for i, w := range src.written {
		if want := len("v0\nv1\nv2\n"[:3*(i+1)]); w < want {
			t.Errorf("record %d marked with %d bytes written, want >= %d", i, w, want)
		}
	}
}

func TestPrintDoesNotMarkUnwrittenRecords(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{})
	src := &markingSource{fakeSource: newFakeSource(2), out: &bytes.Buffer{}}
	if _, err := c.print(context.Background(), src, failingWriter{}, &bytes.Buffer{}); err == nil {
		t.Fatal("no write error")
	}
	if len(src.marked) != 0 {
		t.Errorf("marked %v although the output failed", src.marked)
	}
}
