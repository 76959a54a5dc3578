package console

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/IBM/sarama"
)

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 100_000) // longer than the 16-byte reader buffer below
	tests := []struct {
		name  string
		input string
		max   int
		want  []string
		err   error
	}{
		{"lines", "a\nb\n", 100, []string{"a", "b"}, nil},
		{"no final newline", "a\nb", 100, []string{"a", "b"}, nil},
		{"crlf", "a\r\nb\r\n", 100, []string{"a", "b"}, nil},
		{"lone cr kept inside", "a\rb\n", 100, []string{"a\rb"}, nil},
		{"empty lines", "\n\nx\n", 100, []string{"", "", "x"}, nil},
		{"empty input", "", 100, nil, nil},
		{"long line", long + "\nshort\n", 100_000, []string{long, "short"}, nil},
		{"exactly max", "abcd\n", 4, []string{"abcd"}, nil},
		{"too long", "abcde\n", 4, nil, ErrLineTooLong},
		{"far too long", long + "\n", 1000, nil, ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.input), 16)
			var long []byte
			var got []string
			for {
				line, err := readLine(r, tt.max, &long)
				if line != nil {
					got = append(got, string(line))
				}
				if err != nil {
					if errors.Is(err, io.EOF) {
						err = nil
					}
					if !errors.Is(err, tt.err) {
						t.Fatalf("error %v, want %v", err, tt.err)
					}
					break
				}
			}
			if tt.err == nil && strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) && tt.err == nil {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
		})
	}
}

// readAll runs Producer.read over input and returns the records it made.
func readAll(t *testing.T, opts ProducerOptions, input string) ([]*sarama.ProducerMessage, error) {
	t.Helper()
	if opts.Topic == "" {
		opts.Topic = "t"
	}
	opts.Brokers = []string{"127.0.0.1:1"}
	p, err := NewProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan []*sarama.ProducerMessage, 1)
	var msgs []*sarama.ProducerMessage
	done := make(chan error, 1)
	go func() {
		defer close(ch)
		done <- p.read(context.Background(), strings.NewReader(input), ch)
	}()
	for b := range ch {
		msgs = append(msgs, b...)
	}
	return msgs, <-done
}

func encoded(t *testing.T, e sarama.Encoder) *string {
	t.Helper()
	if e == nil {
		return nil
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return &s
}

func TestProducerRead(t *testing.T) {
	hs := []sarama.RecordHeader{{Key: []byte("h"), Value: []byte("v")}}
	msgs, err := readAll(t, ProducerOptions{ParseKey: true, Partition: -1, Headers: hs}, "k1:v1\n:empty key\nk3:\r\nk4:a:b")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"k1", "v1"}, {"", "empty key"}, {"k3", ""}, {"k4", "a:b"}}
	if len(msgs) != len(want) {
		t.Fatalf("%d records, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		k, v := encoded(t, m.Key), encoded(t, m.Value)
		if k == nil || v == nil || *k != want[i][0] || *v != want[i][1] {
			t.Errorf("record %d: key %v value %v, want %q", i, k, v, want[i])
		}
		if m.Topic != "t" || len(m.Headers) != 1 || string(m.Headers[0].Key) != "h" {
			t.Errorf("record %d: topic %q headers %v", i, m.Topic, m.Headers)
		}
	}

	// Without --parse-key the whole line is the value and the key is null.
	msgs, err = readAll(t, ProducerOptions{Partition: 2}, "a:b\n\n")
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d records, %v", len(msgs), err)
	}
	if msgs[0].Key != nil || *encoded(t, msgs[0].Value) != "a:b" || msgs[0].Partition != 2 || *encoded(t, msgs[1].Value) != "" {
		t.Errorf("records %+v %+v", msgs[0], msgs[1])
	}

	// Many lines: records stay distinct although they share memory blocks.
	var b strings.Builder
	for i := range 5000 {
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), i%50) + "\n")
	}
	msgs, err = readAll(t, ProducerOptions{Partition: -1}, b.String())
	if err != nil || len(msgs) != 5000 {
		t.Fatalf("%d records, %v", len(msgs), err)
	}
	for i, m := range msgs {
		if want := strings.Repeat(string(rune('a'+i%26)), i%50); *encoded(t, m.Value) != want {
			t.Fatalf("record %d = %q, want %q", i, *encoded(t, m.Value), want)
		}
	}

	// Errors name the line.
	msgs, err = readAll(t, ProducerOptions{ParseKey: true, KeySeparator: "=>", Partition: -1}, "a=>1\nb:2\n")
	if !errors.Is(err, ErrNoKeySeparator) || !strings.Contains(err.Error(), "line 2") || len(msgs) != 1 {
		t.Errorf("missing separator: %d records, %v", len(msgs), err)
	}
	msgs, err = readAll(t, ProducerOptions{MaxMessageBytes: 10, Partition: -1}, "short\n"+strings.Repeat("y", 11)+"\n")
	if !errors.Is(err, ErrLineTooLong) || !strings.Contains(err.Error(), "line 2") || len(msgs) != 1 {
		t.Errorf("long line: %d records, %v", len(msgs), err)
	}
}
