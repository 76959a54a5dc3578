package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// Tail returns the last n records of one partition, oldest first: those
// between max(log start, end - n) and the end offset as of the call. It
// returns fewer when offsets hold no record (compacted away, or
// transaction markers), and what it has read when ctx ends first, with
// ctx's error. A partition that does not exist is a *BrokerError
// (UNKNOWN_TOPIC_OR_PARTITION).
func (a *TopicAdmin) Tail(ctx context.Context, topic string, partition int32, n int) ([]*sarama.ConsumerMessage, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: want at least one record, not %d", ErrInvalidArgument, n)
	}
	start, err := a.client.GetOffset(topic, partition, sarama.OffsetOldest)
	if err != nil {
		return nil, fmt.Errorf("offsets of %s-%d: %w", topic, partition, fromSarama(err))
	}
	end, err := a.client.GetOffset(topic, partition, sarama.OffsetNewest)
	if err != nil {
		return nil, fmt.Errorf("offsets of %s-%d: %w", topic, partition, fromSarama(err))
	}
	from := max(start, end-int64(n))
	if from >= end {
		return nil, nil
	}
	consumer, err := sarama.NewConsumerFromClient(a.client)
	if err != nil {
		return nil, fmt.Errorf("consume %s-%d: %w", topic, partition, fromSarama(err))
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, partition, from)
	if err != nil {
		return nil, fmt.Errorf("consume %s-%d from %d: %w", topic, partition, from, fromSarama(err))
	}
	defer pc.AsyncClose()
	var out []*sarama.ConsumerMessage
	for {
		select {
		case m := <-pc.Messages():
			if m.Offset >= end {
				return out, nil
			}
			out = append(out, m)
			if m.Offset == end-1 {
				return out, nil
			}
		case perr := <-pc.Errors():
			if perr != nil && !errors.Is(perr.Err, context.Canceled) {
				return out, fmt.Errorf("consume %s-%d: %w", topic, partition, fromSarama(perr.Err))
			}
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
}
