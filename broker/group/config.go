package group

import (
	"crypto/rand"
	"fmt"
	"time"
)

// Kafka's defaults for the broker settings a Group honours.
const (
	// DefaultMinSessionTimeout is group.min.session.timeout.ms.
	DefaultMinSessionTimeout = 6 * time.Second
	// DefaultMaxSessionTimeout is group.max.session.timeout.ms.
	DefaultMaxSessionTimeout = 30 * time.Minute
	// DefaultInitialRebalanceDelay is group.initial.rebalance.delay.ms.
	DefaultInitialRebalanceDelay = 3 * time.Second
	// DefaultNewMemberJoinTimeout bounds how long a brand-new member may stay
	// in a rebalance without its JoinGroup being answered (Kafka's
	// NewMemberJoinTimeoutMs).
	DefaultNewMemberJoinTimeout = 5 * time.Minute
	// DefaultMaxOffsetMetadata is offset.metadata.max.bytes.
	DefaultMaxOffsetMetadata = 4096
	// DefaultOffsetRetention is offsets.retention.minutes (7 days).
	DefaultOffsetRetention = 7 * 24 * time.Hour
)

// Config holds the coordinator settings shared by every group. Values are
// used as given; DefaultConfig returns Kafka's.
type Config struct {
	// MinSessionTimeout and MaxSessionTimeout bound the session timeout a
	// member may ask for (group.min/max.session.timeout.ms).
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// InitialRebalanceDelay delays the first rebalance of an Empty group so
	// that members starting together land in one generation; every member
	// joining meanwhile extends the wait by up to the same delay, bounded by
	// the rebalance timeout (group.initial.rebalance.delay.ms). Zero or
	// negative: no delay.
	InitialRebalanceDelay time.Duration
	// MaxSize is the most members a group accepts (group.max.size); zero or
	// negative means no limit.
	MaxSize int
	// NewMemberJoinTimeout expires a new member whose JoinGroup is still
	// parked after this long (zero: DefaultNewMemberJoinTimeout).
	NewMemberJoinTimeout time.Duration
	// MaxOffsetMetadata is the longest metadata string an offset commit may
	// carry (offset.metadata.max.bytes; zero: DefaultMaxOffsetMetadata).
	MaxOffsetMetadata int
	// OffsetRetention is how long committed offsets outlive their group's
	// members (offsets.retention.minutes); zero or negative keeps them
	// forever. Applied by ExpireOffsets.
	OffsetRetention time.Duration
	// NewMemberID returns a fresh, unique member id for a member whose
	// client.id (or group.instance.id, for static members) is prefix.
	// Default: prefix + "-" + a random UUID, as Kafka does.
	NewMemberID func(prefix string) string
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		MinSessionTimeout:     DefaultMinSessionTimeout,
		MaxSessionTimeout:     DefaultMaxSessionTimeout,
		InitialRebalanceDelay: DefaultInitialRebalanceDelay,
		NewMemberJoinTimeout:  DefaultNewMemberJoinTimeout,
		MaxOffsetMetadata:     DefaultMaxOffsetMetadata,
		OffsetRetention:       DefaultOffsetRetention,
		NewMemberID:           randomMemberID,
	}
}

// withDefaults fills the fields whose zero value cannot be meant literally.
func (c Config) withDefaults() Config {
	if c.NewMemberJoinTimeout <= 0 {
		c.NewMemberJoinTimeout = DefaultNewMemberJoinTimeout
	}
	if c.MaxOffsetMetadata <= 0 {
		c.MaxOffsetMetadata = DefaultMaxOffsetMetadata
	}
	if c.NewMemberID == nil {
		c.NewMemberID = randomMemberID
	}
	return c
}

func randomMemberID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
