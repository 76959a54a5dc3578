package console_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/brokertest"
	"conflux/internal/console"
)

func TestTail(t *testing.T) {
	addr := brokertest.Start(t)
	a := newAdmin(t, addr)
	createTopic(t, a, "tail", 2)
	var lines strings.Builder
	for i := range 30 {
		fmt.Fprintf(&lines, "k%d:v%d\n", i, i)
	}
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: "tail", Partition: 0, ParseKey: true,
		Acks: sarama.WaitForAll}, lines.String())

	tests := []struct {
		name      string
		partition int32
		n         int
		first     int // offset of the first record, -1 for none
		count     int
	}{
		{"the last five", 0, 5, 25, 5},
		{"more than the partition holds", 0, 100, 0, 30},
		{"exactly all", 0, 30, 0, 30},
		{"an empty partition", 1, 10, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			recs, err := a.Tail(ctx, "tail", tt.partition, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tt.count {
				t.Fatalf("%d records, want %d", len(recs), tt.count)
			}
			for i, r := range recs {
				off := tt.first + i
				if r.Offset != int64(off) || string(r.Key) != fmt.Sprintf("k%d", off) || string(r.Value) != fmt.Sprintf("v%d", off) {
					t.Errorf("record %d: offset %d key %q value %q, want offset %d k%d v%d", i, r.Offset, r.Key, r.Value, off, off, off)
				}
			}
		})
	}

	if _, err := a.Tail(t.Context(), "tail", 0, 0); !errors.Is(err, console.ErrInvalidArgument) {
		t.Errorf("Tail of 0 records: %v, want ErrInvalidArgument", err)
	}
	if _, err := a.Tail(t.Context(), "no-such-topic", 0, 5); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("Tail of a missing topic: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}
