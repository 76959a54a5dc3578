package console

import (
	"errors"
	"fmt"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
)

var (
	// ErrInvalidArgument is returned when an option or argument given by the
	// user is malformed or out of range, before anything is sent to a broker.
	ErrInvalidArgument = errors.New("invalid argument")

	// ErrNoKeySeparator is returned by the console producer when --parse-key is
	// set and a line does not contain the key separator.
	ErrNoKeySeparator = errors.New("no key separator found")

	// ErrLineTooLong is returned by the console producer when an input line is
	// longer than the maximum record size.
	ErrLineTooLong = errors.New("line longer than the maximum record size")

	// ErrRecordsFailed is returned by the console producer when at least one
	// record could not be delivered; the individual errors were reported on the
	// error writer.
	ErrRecordsFailed = errors.New("records failed")

	// ErrUnknownPartition is returned when an explicit partition does not exist
	// in the topic.
	ErrUnknownPartition = errors.New("unknown partition")
)

// BrokerError is an error a broker returned for a request. It names the Kafka
// error code the way Kafka does (for example INVALID_REPLICATION_FACTOR) and
// carries the broker's own error message when the response had one.
//
// errors.Is(err, sarama.ErrInvalidReplicationFactor) and the like work on it,
// because it unwraps to the sarama.KError of its code.
type BrokerError struct {
	// Code is the Kafka error code.
	Code int16
	// Name is the Kafka name of the code, for example TOPIC_ALREADY_EXISTS.
	Name string
	// Message is the broker's error message; empty when the response had none.
	Message string
}

// Error returns the Kafka name of the error followed by the broker's message,
// or by a generic description of the code when the broker sent no message.
func (e *BrokerError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = describeCode(e.Code)
	}
	if msg == "" {
		return e.Name
	}
	return e.Name + ": " + msg
}

// Unwrap returns the sarama.KError of the error's code.
func (e *BrokerError) Unwrap() error { return sarama.KError(e.Code) }

// newBrokerError builds a BrokerError for a Kafka error code and message.
func newBrokerError(code int16, msg string) *BrokerError {
	return &BrokerError{Code: code, Name: codeName(code), Message: msg}
}

// codeName returns Kafka's name for an error code.
func codeName(code int16) string {
	var ke *kerr.Error
	if errors.As(kerr.ErrorForCode(code), &ke) {
		return ke.Message
	}
	return fmt.Sprintf("KAFKA_ERROR_%d", code)
}

// describeCode returns a short human description of an error code.
func describeCode(code int16) string {
	var ke *kerr.Error
	if errors.As(kerr.ErrorForCode(code), &ke) {
		return ke.Description
	}
	return ""
}

// ExplainError converts the errors sarama returns for broker responses into
// *BrokerError, so that users see the Kafka error name and the broker's
// message. Other errors (network, configuration) are returned unchanged.
func ExplainError(err error) error { return fromSarama(err) }

func fromSarama(err error) error {
	if err == nil {
		return nil
	}
	var be *BrokerError
	if errors.As(err, &be) {
		return err
	}
	var te *sarama.TopicError
	if errors.As(err, &te) {
		msg := ""
		if te.ErrMsg != nil {
			msg = *te.ErrMsg
		}
		return newBrokerError(int16(te.Err), msg)
	}
	var dce *sarama.DescribeConfigError
	if errors.As(err, &dce) {
		return newBrokerError(int16(dce.Err), dce.ErrMsg)
	}
	var ke sarama.KError
	if errors.As(err, &ke) {
		// sarama wraps some broker messages as "%w: message"; keep the message.
		msg := ""
		if full, prefix := err.Error(), ke.Error()+": "; strings.HasPrefix(full, prefix) {
			msg = strings.TrimPrefix(full, prefix)
		}
		return newBrokerError(int16(ke), msg)
	}
	return err
}
