package group

import "time"

// Token identifies a JoinGroup or SyncGroup request that may have to wait.
// The caller picks it, unique among its outstanding requests, and gets it
// back in the JoinReply or SyncReply that answers the request — in the
// actions of the same call or of a later one.
type Token uint64

// Protocol is one assignment protocol a member supports, with the metadata
// (for consumers: the subscription) it sends for it.
type Protocol struct {
	Name     string
	Metadata []byte
}

// JoinRequest is a JoinGroup request.
type JoinRequest struct {
	// MemberID is empty on a member's first join.
	MemberID string
	// InstanceID is the group.instance.id of a static member, or empty.
	InstanceID string
	// ClientID and ClientHost describe the member in DescribeGroups.
	ClientID, ClientHost string
	// SessionTimeout is how long the member may go without a heartbeat.
	SessionTimeout time.Duration
	// RebalanceTimeout bounds how long a rebalance waits for the member to
	// rejoin (JoinGroup v0 has none: pass the session timeout).
	RebalanceTimeout time.Duration
	// ProtocolType is the group's kind: "consumer", "connect", ...
	ProtocolType string
	// Protocols are the assignment protocols in the member's preference order.
	Protocols []Protocol
	// RequireKnownMemberID makes a first join of a dynamic member fail with
	// ErrMemberIDRequired and a fresh member id (JoinGroup v4+).
	RequireKnownMemberID bool
}

// JoinMember describes a member to the group leader.
type JoinMember struct {
	MemberID   string
	InstanceID string
	Metadata   []byte // the member's metadata for the selected protocol
}

// JoinResponse answers a JoinGroup request.
type JoinResponse struct {
	// Err is nil or one of the package's errors; on error Generation is -1.
	Err          error
	MemberID     string
	Generation   int32
	ProtocolType string
	Protocol     string
	Leader       string
	// Members lists every member, for the leader only.
	Members []JoinMember
}

// Assignment is the leader's assignment for one member.
type Assignment struct {
	MemberID   string
	Assignment []byte
}

// SyncRequest is a SyncGroup request.
type SyncRequest struct {
	MemberID   string
	InstanceID string
	Generation int32
	// ProtocolType and Protocol, when not empty (SyncGroup v5+), must match
	// the group's.
	ProtocolType, Protocol string
	// Assignments is sent by the leader only.
	Assignments []Assignment
}

// SyncResponse answers a SyncGroup request.
type SyncResponse struct {
	Err                    error
	ProtocolType, Protocol string
	Assignment             []byte
}

// HeartbeatRequest is a Heartbeat request.
type HeartbeatRequest struct {
	MemberID   string
	InstanceID string
	Generation int32
}

// LeaveMember names one member leaving the group: by member id, or by
// instance id alone (administrative removal of a static member).
type LeaveMember struct {
	MemberID   string
	InstanceID string
}

// TopicPartition names a partition whose offset a group commits.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Offset is a committed offset.
type Offset struct {
	Offset      int64
	LeaderEpoch int32 // -1 if unknown
	Metadata    string
	// CommitTime is set by the Group when the commit is accepted.
	CommitTime time.Time
	// ExpireTime is an explicit expiry from old records; zero if none.
	ExpireTime time.Time
}

// OffsetCommit is the offset of one partition, as committed or stored.
type OffsetCommit struct {
	TopicPartition
	Offset
}

// CommitRequest is an OffsetCommit request for one group.
type CommitRequest struct {
	// MemberID, InstanceID and Generation identify the committing member;
	// Generation -1 with an empty MemberID is a commit from outside group
	// management, accepted only while the group has no members.
	MemberID   string
	InstanceID string
	Generation int32
	Offsets    []OffsetCommit
}

// Description is a group as DescribeGroups shows it.
type Description struct {
	State        State
	ProtocolType string
	// Protocol is set while the group is Stable.
	Protocol string
	Members  []MemberDescription
}

// MemberDescription is one member in a Description; Metadata and Assignment
// are set while the group is Stable.
type MemberDescription struct {
	MemberID, InstanceID, ClientID, ClientHost string
	Metadata, Assignment                       []byte
}
