package group

import "time"

// An Action is a decision a Group hands back to its caller: a reply to send
// or a record to persist. Actions come in order; the caller must make every
// persistence action durable before it sends any reply that comes after it,
// in the same slice or a later one (as raft's Ready asks for entries to be
// stored before messages are sent).
type Action interface{ isAction() }

// JoinReply answers the JoinGroup request identified by Token.
type JoinReply struct {
	Token    Token
	Response JoinResponse
}

// SyncReply answers the SyncGroup request identified by Token.
type SyncReply struct {
	Token    Token
	Response SyncResponse
}

// StoreGroup asks the caller to persist the group's metadata (Kafka's
// GroupMetadata record).
type StoreGroup struct {
	Metadata Metadata
}

// DeleteGroup asks the caller to delete the group's metadata (a tombstone):
// the group is now Dead.
type DeleteGroup struct{}

// StoreOffsets asks the caller to persist committed offsets (Kafka's
// OffsetCommit records).
type StoreOffsets struct {
	Offsets []OffsetCommit
}

// DeleteOffsets asks the caller to delete committed offsets (tombstones).
type DeleteOffsets struct {
	Partitions []TopicPartition
}

func (JoinReply) isAction()     {}
func (SyncReply) isAction()     {}
func (StoreGroup) isAction()    {}
func (DeleteGroup) isAction()   {}
func (StoreOffsets) isAction()  {}
func (DeleteOffsets) isAction() {}

// Metadata is a group's persistent state, laid out like Kafka's
// GroupMetadataValue record.
type Metadata struct {
	ProtocolType string
	Generation   int32
	Protocol     string // "" while the group has none selected
	Leader       string // "" without members
	// StateTimestamp is when the group entered its current state.
	StateTimestamp time.Time
	Members        []MemberMetadata
}

// MemberMetadata is one member in Metadata.
type MemberMetadata struct {
	MemberID, InstanceID, ClientID, ClientHost string
	RebalanceTimeout, SessionTimeout           time.Duration
	Subscription                               []byte // metadata for the selected protocol
	Assignment                                 []byte
}
