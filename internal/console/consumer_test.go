package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// fakeSource is a messageSource fed by the test.
type fakeSource struct {
	msgs chan *sarama.ConsumerMessage
	errs chan error
}

func newFakeSource(n int) *fakeSource {
	s := &fakeSource{msgs: make(chan *sarama.ConsumerMessage, n), errs: make(chan error, 1)}
	for i := range n {
		s.msgs <- &sarama.ConsumerMessage{Topic: "t", Offset: int64(i), Value: fmt.Appendf(nil, "v%d", i)}
	}
	return s
}

func (s *fakeSource) Messages() <-chan *sarama.ConsumerMessage { return s.msgs }
func (s *fakeSource) Errors() <-chan error                     { return s.errs }
func (s *fakeSource) Close() error                             { return nil }

func newTestConsumer(t *testing.T, opts ConsumerOptions) *Consumer {
	t.Helper()
	opts.Brokers, opts.Topic, opts.Partition, opts.StartOffset = []string{"127.0.0.1:1"}, "t", -1, sarama.OffsetOldest
	c, err := NewConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPrintMaxMessages(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{MaxMessages: 3})
	var out bytes.Buffer
	n, err := c.print(context.Background(), newFakeSource(10), &out, &out)
	if err != nil || n != 3 || out.String() != "v0\nv1\nv2\n" {
		t.Errorf("n=%d err=%v out=%q", n, err, out.String())
	}
}

func TestPrintIdleTimeout(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{IdleTimeout: 50 * time.Millisecond})
	src := newFakeSource(5)
	src.errs <- errors.New("transient trouble")
	var out, errw bytes.Buffer
	start := time.Now()
	n, err := c.print(context.Background(), src, &out, &errw)
	if err != nil || n != 5 || strings.Count(out.String(), "\n") != 5 {
		t.Errorf("n=%d err=%v out=%q", n, err, out.String())
	}
	if !strings.Contains(errw.String(), "warning: transient trouble") {
		t.Errorf("error not reported: %q", errw.String())
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("returned before the idle timeout")
	}
}

func TestPrintStopsWhenSourceEndsOrContextCancelled(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{})
	src := newFakeSource(2)
	close(src.msgs)
	var out bytes.Buffer
	if n, err := c.print(context.Background(), src, &out, &out); err != nil || n != 2 {
		t.Errorf("closed source: n=%d err=%v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.print(ctx, newFakeSource(0), &out, &out); err != nil {
		t.Errorf("cancelled: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPrintWriteError(t *testing.T) {
	c := newTestConsumer(t, ConsumerOptions{})
	src := newFakeSource(1)
	_, err := c.print(context.Background(), src, failingWriter{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got %v", err)
	}
}
