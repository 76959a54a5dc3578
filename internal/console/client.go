package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// DefaultBootstrapServer is the broker address the console tools use when
// none is given.
const DefaultBootstrapServer = "127.0.0.1:9092"

// ClientID is the client.id every console tool sends to the broker.
const ClientID = "conflux"

// SplitBootstrap splits a comma-separated bootstrap server list into
// addresses, dropping blanks. It returns ErrInvalidArgument when no address is
// left.
func SplitBootstrap(s string) ([]string, error) {
	var addrs []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: empty bootstrap server list", ErrInvalidArgument)
	}
	return addrs, nil
}

// NewSaramaConfig returns the sarama configuration shared by the console
// tools: protocol version 2.8 (sarama's default, understood by Conflux's
// broker and by any Kafka from 2.8 on, negotiated down for older ones), client
// id "conflux", and no automatic topic creation from metadata requests.
// Callers adjust producer or consumer settings on the result.
func NewSaramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = ClientID
	c.Version = sarama.V2_8_0_0
	c.Metadata.AllowAutoTopicCreation = false
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Net.DialTimeout = 10 * time.Second
	c.Admin.Timeout = 30 * time.Second
	return c
}

// ParseAcks converts the console spelling of acks (all, -1, 1, 0) to sarama's
// RequiredAcks.
func ParseAcks(s string) (sarama.RequiredAcks, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all", "-1":
		return sarama.WaitForAll, nil
	case "1", "leader":
		return sarama.WaitForLocal, nil
	case "0", "none":
		return sarama.NoResponse, nil
	}
	return 0, fmt.Errorf("%w: acks %q: want all, 1 or 0", ErrInvalidArgument, s)
}

// ParseCompression converts a compression codec name (none, gzip, snappy,
// lz4, zstd) to sarama's CompressionCodec.
func ParseCompression(s string) (sarama.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return sarama.CompressionNone, nil
	case "gzip":
		return sarama.CompressionGZIP, nil
	case "snappy":
		return sarama.CompressionSnappy, nil
	case "lz4":
		return sarama.CompressionLZ4, nil
	case "zstd":
		return sarama.CompressionZSTD, nil
	}
	return 0, fmt.Errorf("%w: compression %q: want none, gzip, snappy, lz4 or zstd", ErrInvalidArgument, s)
}
