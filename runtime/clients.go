package runtime

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"conflux/internal/saramaconf"

	"github.com/IBM/sarama"
)

// baseSarama returns the client settings every worker client shares.
func baseSarama(clientID string) *sarama.Config { return saramaconf.Derive(nil, clientID) }

// clientOption applies one Kafka client setting (producer.*, consumer.*)
// to a sarama configuration.
type clientOption func(sc *sarama.Config, value string) error

func msOption(set func(sc *sarama.Config, d time.Duration)) clientOption {
	return func(sc *sarama.Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of milliseconds", v)
		}
		set(sc, time.Duration(n)*time.Millisecond)
		return nil
	}
}

func intOption(min int, set func(sc *sarama.Config, n int)) clientOption {
	return func(sc *sarama.Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return fmt.Errorf("%q is not a number of at least %d", v, min)
		}
		set(sc, n)
		return nil
	}
}

// producerOptions are the Kafka producer settings the worker honours, with
// Kafka's names; the rest are ignored with a warning.
var producerOptions = map[string]clientOption{
	"compression.type": func(sc *sarama.Config, v string) error {
		return sc.Producer.Compression.UnmarshalText([]byte(strings.ToLower(v)))
	},
	"linger.ms":        msOption(func(sc *sarama.Config, d time.Duration) { sc.Producer.Flush.Frequency = d }),
	"batch.size":       intOption(1, func(sc *sarama.Config, n int) { sc.Producer.Flush.Bytes = n }),
	"max.request.size": intOption(1, func(sc *sarama.Config, n int) { sc.Producer.MaxMessageBytes = n }),
	"request.timeout.ms": msOption(func(sc *sarama.Config, d time.Duration) {
		sc.Producer.Timeout = d
		sc.Net.ReadTimeout = d + 5*time.Second
	}),
	"max.in.flight.requests.per.connection": func(sc *sarama.Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return fmt.Errorf("%q is not a number from 1 to 5: the producer keeps each partition in order across retries with at most 5 requests in flight", v)
		}
		sc.Net.MaxOpenRequests = n
		return nil
	},
	"retries":          intOption(0, func(sc *sarama.Config, n int) { sc.Producer.Retry.Max = n }),
	"retry.backoff.ms": msOption(func(sc *sarama.Config, d time.Duration) { sc.Producer.Retry.Backoff = d }),
	"client.id":        func(sc *sarama.Config, v string) error { sc.ClientID = v; return nil },
	"acks": func(sc *sarama.Config, v string) error {
		switch v {
		case "all", "-1":
			sc.Producer.RequiredAcks = sarama.WaitForAll
		case "1":
			sc.Producer.RequiredAcks = sarama.WaitForLocal
			sc.Producer.Idempotent = false
		default:
			return fmt.Errorf("%q is not supported: source offsets are committed on acknowledgement, so use all or 1", v)
		}
		return nil
	},
	"enable.idempotence": func(sc *sarama.Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		sc.Producer.Idempotent = b && sc.Producer.RequiredAcks == sarama.WaitForAll
		return nil
	},
}

// consumerOptions are the Kafka consumer settings the worker honours.
var consumerOptions = map[string]clientOption{
	"fetch.min.bytes":           intOption(1, func(sc *sarama.Config, n int) { sc.Consumer.Fetch.Min = int32(n) }),
	"fetch.max.wait.ms":         msOption(func(sc *sarama.Config, d time.Duration) { sc.Consumer.MaxWaitTime = d }),
	"max.partition.fetch.bytes": intOption(1, func(sc *sarama.Config, n int) { sc.Consumer.Fetch.Default = int32(n) }),
	"fetch.max.bytes":           intOption(1, func(sc *sarama.Config, n int) { sc.Consumer.Fetch.Max = int32(n) }),
	"session.timeout.ms":        msOption(func(sc *sarama.Config, d time.Duration) { sc.Consumer.Group.Session.Timeout = d }),
	"heartbeat.interval.ms":     msOption(func(sc *sarama.Config, d time.Duration) { sc.Consumer.Group.Heartbeat.Interval = d }),
	"max.poll.interval.ms":      msOption(func(sc *sarama.Config, d time.Duration) { sc.Consumer.Group.Rebalance.Timeout = d }),
	"client.id":                 func(sc *sarama.Config, v string) error { sc.ClientID = v; return nil },
	"auto.offset.reset": func(sc *sarama.Config, v string) error {
		switch v {
		case "earliest":
			sc.Consumer.Offsets.Initial = sarama.OffsetOldest
		case "latest":
			sc.Consumer.Offsets.Initial = sarama.OffsetNewest
		default:
			return fmt.Errorf("%q is not earliest or latest", v)
		}
		return nil
	},
	"isolation.level": func(sc *sarama.Config, v string) error {
		switch v {
		case "read_uncommitted":
			sc.Consumer.IsolationLevel = sarama.ReadUncommitted
		case "read_committed":
			sc.Consumer.IsolationLevel = sarama.ReadCommitted
		default:
			return fmt.Errorf("%q is not read_uncommitted or read_committed", v)
		}
		return nil
	},
	"partition.assignment.strategy": func(sc *sarama.Config, v string) error {
		var strategies []sarama.BalanceStrategy
		for s := range strings.SplitSeq(v, ",") {
			s = strings.TrimSpace(s)
			switch {
			case strings.HasSuffix(s, "RangeAssignor") || s == "range":
				strategies = append(strategies, sarama.NewBalanceStrategyRange())
			case strings.HasSuffix(s, "RoundRobinAssignor") || s == "roundrobin":
				strategies = append(strategies, sarama.NewBalanceStrategyRoundRobin())
			case strings.HasSuffix(s, "StickyAssignor") || s == "sticky":
				strategies = append(strategies, sarama.NewBalanceStrategySticky())
			default:
				return fmt.Errorf("%q is not a supported assignor (range, roundrobin, sticky)", s)
			}
		}
		sc.Consumer.Group.Rebalance.GroupStrategies = strategies
		return nil
	},
}

// consumerOnlySettings are consumer settings that are the sink loop's
// rather than sarama's.
var consumerOnlySettings = map[string]bool{"max.poll.records": true}

// applyClientSettings applies settings (prefix removed) to sc with the given
// options, in key order. A bad value is an error naming the key; an
// unsupported key is logged and ignored, as Kafka's clients do with
// unknown configs.
func applyClientSettings(sc *sarama.Config, kind string, settings map[string]string, options map[string]clientOption, logger *slog.Logger) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		opt, ok := options[k]
		if !ok {
			if kind != "consumer" || !consumerOnlySettings[k] {
				logger.Warn("ignoring unsupported Kafka client setting", "setting", kind+"."+k)
			}
			continue
		}
		if err := opt(sc, strings.TrimSpace(settings[k])); err != nil {
			return fmt.Errorf("%w: %s.%s: %w", ErrInvalidClientConfig, kind, k, err)
		}
	}
	return nil
}
