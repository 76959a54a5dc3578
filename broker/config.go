package broker

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config holds a broker's settings. The zero value of a field means "use the
// default" documented beside it; DefaultConfig returns them filled in.
type Config struct {
	// Listen is the TCP address the broker accepts Kafka clients on
	// (default 127.0.0.1:9092). Port 0 picks a free port; Addr reports it.
	Listen string
	// AdvertisedListener is the host:port handed to clients in Metadata and
	// FindCoordinator responses (default: the address actually listened on).
	AdvertisedListener string
	// DataDir holds topic metadata and partition logs (default ./conflux-data).
	DataDir string
	// NodeID is this broker's id in Metadata responses (node.id, default 1).
	NodeID int32
	// NumPartitions is the partition count of auto-created topics and of
	// CreateTopics requests asking for -1 (num.partitions, default 1).
	NumPartitions int32
	// AutoCreateTopics creates unknown topics on Metadata and Produce
	// (auto.create.topics.enable). DefaultConfig turns it on, as Kafka
	// does; unlike the numeric fields, a zero Config leaves it off.
	AutoCreateTopics bool
	// SocketRequestMaxBytes is the largest request frame accepted; larger
	// frames close the connection before any allocation
	// (socket.request.max.bytes, default 100 MiB).
	SocketRequestMaxBytes int32
	// TopicDefaults are the broker-wide defaults of topic configs
	// (log.retention.ms, log.segment.bytes, ...), keyed by topic config name.
	TopicDefaults map[string]string
	// GroupMinSessionTimeout and GroupMaxSessionTimeout bound the session
	// timeout a consumer group member may ask for
	// (group.min.session.timeout.ms, default 6 s;
	// group.max.session.timeout.ms, default 30 min).
	GroupMinSessionTimeout, GroupMaxSessionTimeout time.Duration
	// GroupInitialRebalanceDelay delays the first rebalance of an empty
	// group so that members starting together share one generation
	// (group.initial.rebalance.delay.ms, default 3 s; negative: no delay).
	GroupInitialRebalanceDelay time.Duration
	// RetentionCheckInterval is how often every partition's retention is
	// applied and the log cleaner is woken
	// (log.retention.check.interval.ms, default 5 min).
	RetentionCheckInterval time.Duration
	// Logger receives the broker's logs (default slog.Default()).
	Logger *slog.Logger
}

// DefaultConfig returns the configuration of a broker started with no flags.
func DefaultConfig() Config {
	return Config{
		Listen:                "127.0.0.1:9092",
		DataDir:               "./conflux-data",
		NodeID:                1,
		NumPartitions:         1,
		AutoCreateTopics:      true,
		SocketRequestMaxBytes: 100 << 20,
		TopicDefaults:         map[string]string{},

		GroupMinSessionTimeout:     6 * time.Second,
		GroupMaxSessionTimeout:     30 * time.Minute,
		GroupInitialRebalanceDelay: 3 * time.Second,
		RetentionCheckInterval:     5 * time.Minute,
	}
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.NodeID == 0 {
		c.NodeID = d.NodeID
	}
	if c.NumPartitions == 0 {
		c.NumPartitions = d.NumPartitions
	}
	if c.SocketRequestMaxBytes == 0 {
		c.SocketRequestMaxBytes = d.SocketRequestMaxBytes
	}
	if c.TopicDefaults == nil {
		c.TopicDefaults = map[string]string{}
	}
	if c.GroupMinSessionTimeout == 0 {
		c.GroupMinSessionTimeout = d.GroupMinSessionTimeout
	}
	if c.GroupMaxSessionTimeout == 0 {
		c.GroupMaxSessionTimeout = d.GroupMaxSessionTimeout
	}
	if c.GroupInitialRebalanceDelay == 0 {
		c.GroupInitialRebalanceDelay = d.GroupInitialRebalanceDelay
	}
	if c.RetentionCheckInterval <= 0 {
		c.RetentionCheckInterval = d.RetentionCheckInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// serverPropertyToTopicConfig maps Kafka's server.properties keys for log
// defaults to the topic config they set.
var serverPropertyToTopicConfig = map[string]string{
	"log.retention.ms":                    "retention.ms",
	"log.retention.bytes":                 "retention.bytes",
	"log.segment.bytes":                   "segment.bytes",
	"log.roll.ms":                         "segment.ms",
	"log.cleanup.policy":                  "cleanup.policy",
	"log.cleaner.delete.retention.ms":     "delete.retention.ms",
	"log.cleaner.min.cleanable.ratio":     "min.cleanable.dirty.ratio",
	"log.cleaner.min.compaction.lag.ms":   "min.compaction.lag.ms",
	"log.cleaner.max.compaction.lag.ms":   "max.compaction.lag.ms",
	"log.message.timestamp.type":          "message.timestamp.type",
	"message.max.bytes":                   "max.message.bytes",
	"min.insync.replicas":                 "min.insync.replicas",
	"log.index.interval.bytes":            "index.interval.bytes",
	"compression.type":                    "compression.type",
	"log.flush.interval.messages":         "flush.messages",
	"log.flush.interval.ms":               "flush.ms",
	"log.message.timestamp.before.max.ms": "message.timestamp.before.max.ms",
	"log.message.timestamp.after.max.ms":  "message.timestamp.after.max.ms",
}

// serverPropertyUnits converts server.properties keys given in coarser units
// (log.retention.hours, ...) to the millisecond key they stand for.
var serverPropertyUnits = map[string]struct {
	key  string
	unit time.Duration
}{
	"log.retention.hours":   {"log.retention.ms", time.Hour},
	"log.retention.minutes": {"log.retention.ms", time.Minute},
	"log.roll.hours":        {"log.roll.ms", time.Hour},
}

// ignoredServerProperties are server.properties keys that make sense for a
// Kafka cluster but change nothing on a single Conflux broker; they are
// accepted silently so an existing file loads unchanged.
var ignoredServerProperties = map[string]bool{
	"process.roles": true, "controller.quorum.voters": true, "controller.quorum.bootstrap.servers": true,
	"controller.listener.names": true, "inter.broker.listener.name": true, "listener.security.protocol.map": true,
	"num.network.threads": true, "num.io.threads": true, "socket.send.buffer.bytes": true,
	"socket.receive.buffer.bytes": true, "num.recovery.threads.per.data.dir": true,
	"offsets.topic.replication.factor": true, "transaction.state.log.replication.factor": true,
	"transaction.state.log.min.isr": true, "default.replication.factor": true,
	"share.coordinator.state.topic.replication.factor": true, "share.coordinator.state.topic.min.isr": true,
	"zookeeper.connect":               true,
	"zookeeper.connection.timeout.ms": true,
	"offsets.topic.num.partitions":    true,
}

// ParseProperties reads a Java-style .properties file: key=value or key:value
// lines, '#' and '!' comments, blank lines ignored, surrounding spaces trimmed.
func ParseProperties(r io.Reader) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == '!' {
			continue
		}
		i := strings.IndexAny(text, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("line %d: %q is not key=value", line, text)
		}
		props[strings.TrimSpace(text[:i])] = strings.TrimSpace(text[i+1:])
	}
	return props, sc.Err()
}

// ApplyProperties sets c's fields from Kafka server.properties keys. Keys that
// only matter to a Kafka cluster are ignored; unknown keys are returned so the
// caller can warn about them; malformed values are an error naming the key.
func (c *Config) ApplyProperties(props map[string]string) (unknown []string, err error) {
	if c.TopicDefaults == nil {
		c.TopicDefaults = map[string]string{}
	}
	for key, value := range props {
		if u, ok := serverPropertyUnits[key]; ok {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not an integer", key, value)
			}
			if _, explicit := props[u.key]; !explicit {
				c.TopicDefaults[serverPropertyToTopicConfig[u.key]] = strconv.FormatInt(n*int64(u.unit/time.Millisecond), 10)
			}
			continue
		}
		if topicKey, ok := serverPropertyToTopicConfig[key]; ok {
			if err := validateTopicConfigValue(topicKey, value); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			c.TopicDefaults[topicKey] = value
			continue
		}
		switch key {
		case "num.partitions":
			n, err := strconv.ParseInt(value, 10, 32)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("num.partitions: %q is not a positive integer", value)
			}
			c.NumPartitions = int32(n)
		case "auto.create.topics.enable":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("auto.create.topics.enable: %q is not true or false", value)
			}
			c.AutoCreateTopics = b
		case "node.id", "broker.id":
			n, err := strconv.ParseInt(value, 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: %q is not a non-negative integer", key, value)
			}
			c.NodeID = int32(n)
		case "socket.request.max.bytes":
			n, err := strconv.ParseInt(value, 10, 32)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("socket.request.max.bytes: %q is not a positive integer", value)
			}
			c.SocketRequestMaxBytes = int32(n)
		case "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.initial.rebalance.delay.ms":
			n, err := strconv.ParseInt(value, 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: %q is not a non-negative integer", key, value)
			}
			d := time.Duration(n) * time.Millisecond
			switch key {
			case "group.min.session.timeout.ms":
				c.GroupMinSessionTimeout = d
			case "group.max.session.timeout.ms":
				c.GroupMaxSessionTimeout = d
			default:
				if d == 0 {
					d = -1 // zero means "default" in Config
				}
				c.GroupInitialRebalanceDelay = d
			}
		case "log.retention.check.interval.ms":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("log.retention.check.interval.ms: %q is not a positive integer", value)
			}
			c.RetentionCheckInterval = time.Duration(n) * time.Millisecond
		case "log.dirs", "log.dir":
			c.DataDir = strings.Split(value, ",")[0]
		case "listeners":
			addr, err := listenerAddress(value)
			if err != nil {
				return nil, fmt.Errorf("listeners: %w", err)
			}
			c.Listen = addr
		case "advertised.listeners":
			addr, err := listenerAddress(value)
			if err != nil {
				return nil, fmt.Errorf("advertised.listeners: %w", err)
			}
			c.AdvertisedListener = addr
		default:
			if !ignoredServerProperties[key] {
				unknown = append(unknown, key)
			}
		}
	}
	return unknown, nil
}

// listenerAddress extracts host:port from a Kafka listener list such as
// "PLAINTEXT://0.0.0.0:9092" (the first entry wins) or a bare host:port.
func listenerAddress(value string) (string, error) {
	first := strings.TrimSpace(strings.Split(value, ",")[0])
	if i := strings.Index(first, "://"); i >= 0 {
		first = first[i+3:]
	}
	if _, _, err := net.SplitHostPort(first); err != nil {
		return "", fmt.Errorf("%q is not host:port", value)
	}
	return first, nil
}
