package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/cutdial"
	"conflux/internal/saramaconf"
)

// Defaults of Config, Kafka Connect's defaults for the same settings.
const (
	DefaultSessionTimeout             = 10 * time.Second
	DefaultHeartbeatInterval          = 3 * time.Second
	DefaultRebalanceTimeout           = 60 * time.Second
	DefaultScheduledRebalanceMaxDelay = 5 * time.Minute
	DefaultSyncTimeout                = 3 * time.Second
	DefaultRetryBackoff               = 100 * time.Millisecond
	DefaultRetryBackoffMax            = time.Second
	DefaultClientID                   = "conflux"
)

// Config describes the group a Member joins and how. Zero durations take
// the defaults above, except ScheduledRebalanceMaxDelay, where zero is a
// meaningful setting.
type Config struct {
	// Brokers are the bootstrap servers (host:port). Required.
	Brokers []string
	// GroupID is the Connect cluster's group (group.id). Required.
	GroupID string
	// URL is this worker's advertised REST URL, which other workers use to
	// reach the leader. Required.
	URL string
	// InstanceID, when set, makes the member a static member of the group
	// (group.instance.id, KIP-345): a worker restarted with the same id
	// takes its predecessor's place in the group at once, where a new
	// member id would wait for the old one's session to expire. Two live
	// workers must never share it; the second to join fences the first,
	// whose Run then ends with ErrFatalGroupError. It needs Kafka 2.3.
	InstanceID string
	// Protocol is connect.protocol: ProtocolEager, ProtocolCompatible or
	// ProtocolSessioned (the default).
	Protocol string
	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it drops the member (session.timeout.ms). A member that cannot
	// reach the coordinator for this long stops all its work.
	SessionTimeout time.Duration
	// HeartbeatInterval is the time between heartbeats
	// (heartbeat.interval.ms); it must be below SessionTimeout.
	HeartbeatInterval time.Duration
	// RebalanceTimeout bounds how long the coordinator waits for members to
	// rejoin during a rebalance (rebalance.timeout.ms).
	RebalanceTimeout time.Duration
	// ScheduledRebalanceMaxDelay is how long the leader holds the work of
	// a departed worker before it spreads it over the others
	// (scheduled.rebalance.max.delay.ms). Zero reassigns at once; Kafka
	// Connect's default is DefaultScheduledRebalanceMaxDelay.
	ScheduledRebalanceMaxDelay time.Duration
	// SyncTimeout bounds each Handler.ReadConfigTo call
	// (worker.sync.timeout.ms).
	SyncTimeout time.Duration
	// RetryBackoff and RetryBackoffMax bound the exponential pause after a
	// failed attempt to reach or join the group (retry.backoff.ms,
	// retry.backoff.max.ms).
	RetryBackoff, RetryBackoffMax time.Duration
	// ClientID is the client.id of the member's connections.
	ClientID string
	// Sarama is the base client configuration (TLS, SASL, dialer, Kafka
	// version). It is copied, never modified. Nil means defaults speaking
	// Kafka 2.8; the version must be at least 0.10.1.
	Sarama *sarama.Config
	// Logger receives membership events (default: discarded).
	Logger *slog.Logger
	// Clock is the time the leader's Assignor reads to schedule delayed
	// rebalances (default time.Now). Timers use real time.
	Clock func() time.Time
}

// validate checks the required fields and fills in defaults.
func (c *Config) validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: no brokers", ErrInvalidConfig)
	case c.GroupID == "":
		return fmt.Errorf("%w: no group id", ErrInvalidConfig)
	case c.URL == "":
		return fmt.Errorf("%w: no advertised URL", ErrInvalidConfig)
	case len(c.URL) > math.MaxInt16:
		return fmt.Errorf("%w: advertised URL longer than %d bytes", ErrInvalidConfig, math.MaxInt16)
	case c.ScheduledRebalanceMaxDelay < 0 || c.ScheduledRebalanceMaxDelay > math.MaxInt32*time.Millisecond:
		return fmt.Errorf("%w: scheduled rebalance delay %s", ErrInvalidConfig, c.ScheduledRebalanceMaxDelay)
	}
	if c.Protocol == "" {
		c.Protocol = ProtocolSessioned
	}
	if offered(c.Protocol) == nil {
		return fmt.Errorf("%w: connect.protocol %q is not eager, compatible or sessioned", ErrInvalidConfig, c.Protocol)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SessionTimeout, DefaultSessionTimeout)
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.RebalanceTimeout, DefaultRebalanceTimeout)
	def(&c.SyncTimeout, DefaultSyncTimeout)
	def(&c.RetryBackoff, DefaultRetryBackoff)
	def(&c.RetryBackoffMax, DefaultRetryBackoffMax)
	c.RetryBackoffMax = max(c.RetryBackoffMax, c.RetryBackoff)
	if c.HeartbeatInterval >= c.SessionTimeout {
		return fmt.Errorf("%w: heartbeat interval %s is not below session timeout %s", ErrInvalidConfig, c.HeartbeatInterval, c.SessionTimeout)
	}
	for _, d := range []time.Duration{c.SessionTimeout, c.RebalanceTimeout} {
		if d > math.MaxInt32*time.Millisecond {
			return fmt.Errorf("%w: timeout %s does not fit the protocol", ErrInvalidConfig, d)
		}
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Sarama != nil && !c.Sarama.Version.IsAtLeast(sarama.V0_10_1_0) {
		return fmt.Errorf("%w: Kafka protocol version %s is older than 0.10.1", ErrInvalidConfig, c.Sarama.Version)
	}
	if c.InstanceID != "" && c.Sarama != nil && !c.Sarama.Version.IsAtLeast(sarama.V2_3_0_0) {
		return fmt.Errorf("%w: a group instance id needs Kafka protocol version 2.3, not %s", ErrInvalidConfig, c.Sarama.Version)
	}
	return nil
}

// baseSarama returns a copy of the configured sarama settings, or defaults.
func (c *Config) baseSarama() *sarama.Config {
	sc := saramaconf.Derive(c.Sarama, c.ClientID)
	sc.Metadata.Full = false
	// The member retries with its own backoff and keeps an eye on the
	// session meanwhile; sarama must not sleep through retries of its own.
	sc.Metadata.Retry.Max = 0
	return sc
}

// groupSarama is the configuration of the connection that carries
// JoinGroup and SyncGroup: both may wait for a whole rebalance, so reads
// wait longer than the rebalance timeout.
func (c *Config) groupSarama(d *cutdial.Dialer) *sarama.Config {
	sc := c.baseSarama()
	sc.Net.ReadTimeout = max(sc.Net.ReadTimeout, c.RebalanceTimeout+5*time.Second)
	d.Install(sc)
	return sc
}

// heartbeatSarama is the configuration of the connection that carries
// Heartbeat and LeaveGroup, answered at once by a live coordinator: a read
// that takes a whole session means the coordinator is gone. Unlike the
// group connection it is not cut when the member stops, so that it goes on
// heartbeating while its work stops.
func (c *Config) heartbeatSarama() *sarama.Config {
	sc := c.baseSarama()
	sc.Net.ReadTimeout = c.SessionTimeout
	return sc
}
