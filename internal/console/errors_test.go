package console

import (
	"errors"
	"fmt"
	"testing"

	"github.com/IBM/sarama"
)

func TestFromSarama(t *testing.T) {
	msg := "Invalid replication factor: this is a single broker"
	tests := []struct {
		in   error
		want string
		is   error
	}{
		{&sarama.TopicError{Err: sarama.ErrInvalidReplicationFactor, ErrMsg: &msg},
			"INVALID_REPLICATION_FACTOR: " + msg, sarama.ErrInvalidReplicationFactor},
		{&sarama.TopicError{Err: sarama.ErrTopicAlreadyExists},
			"TOPIC_ALREADY_EXISTS: Topic with this name already exists.", sarama.ErrTopicAlreadyExists},
		{fmt.Errorf("%w: %s", sarama.ErrInvalidConfig, "retention.ms must be a number"),
			"INVALID_CONFIG: retention.ms must be a number", sarama.ErrInvalidConfig},
		{&sarama.DescribeConfigError{Err: sarama.ErrUnknownTopicOrPartition},
			"UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition.", sarama.ErrUnknownTopicOrPartition},
		{sarama.ErrNotController, "NOT_CONTROLLER: This is not the correct controller for this cluster.", sarama.ErrNotController},
	}
	for _, tt := range tests {
		got := fromSarama(tt.in)
		var be *BrokerError
		if !errors.As(got, &be) || got.Error() != tt.want || !errors.Is(got, tt.is) {
			t.Errorf("fromSarama(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	plain := errors.New("dial tcp: refused")
	if got := fromSarama(plain); got != plain {
		t.Errorf("non-Kafka error changed: %v", got)
	}
	if fromSarama(nil) != nil {
		t.Error("nil not kept")
	}
}
