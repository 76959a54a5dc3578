package group

import "github.com/twmb/franz-go/pkg/kerr"

// Errors a Group reports in its responses. Each is the franz-go kerr value of
// the Kafka error code a client receives, so callers compare them with
// errors.Is and turn them into wire codes with errors.As(*kerr.Error); the
// Retriable field tells whether the client may simply retry.
var (
	// ErrUnknownMemberID (UNKNOWN_MEMBER_ID, 25): the member id is not in the
	// group, or the group has no members. The client rejoins with an empty
	// member id.
	ErrUnknownMemberID = kerr.UnknownMemberID

	// ErrIllegalGeneration (ILLEGAL_GENERATION, 22): the request carries a
	// generation other than the group's current one. The client rejoins.
	ErrIllegalGeneration = kerr.IllegalGeneration

	// ErrRebalanceInProgress (REBALANCE_IN_PROGRESS, 27): the group is
	// rebalancing; the member must rejoin (heartbeats, syncs) or retry after
	// rejoining (offset commits).
	ErrRebalanceInProgress = kerr.RebalanceInProgress

	// ErrInconsistentGroupProtocol (INCONSISTENT_GROUP_PROTOCOL, 23): the
	// joining member's protocol type differs from the group's, it offers no
	// protocol every member supports, or a SyncGroup names another protocol.
	ErrInconsistentGroupProtocol = kerr.InconsistentGroupProtocol

	// ErrInvalidSessionTimeout (INVALID_SESSION_TIMEOUT, 26): the session
	// timeout lies outside [Config.MinSessionTimeout, Config.MaxSessionTimeout].
	ErrInvalidSessionTimeout = kerr.InvalidSessionTimeout

	// ErrMemberIDRequired (MEMBER_ID_REQUIRED, 79): first JoinGroup (v4+) of a
	// dynamic member; the response carries the member id to rejoin with.
	ErrMemberIDRequired = kerr.MemberIDRequired

	// ErrFencedInstanceID (FENCED_INSTANCE_ID, 82): a static member's
	// group.instance.id now belongs to a newer member id.
	ErrFencedInstanceID = kerr.FencedInstanceID

	// ErrGroupMaxSizeReached (GROUP_MAX_SIZE_REACHED, 81): the group already
	// has Config.MaxSize members.
	ErrGroupMaxSizeReached = kerr.GroupMaxSizeReached

	// ErrCoordinatorNotAvailable (COORDINATOR_NOT_AVAILABLE, 15): the group
	// is Dead (deleted); the client looks the coordinator up again.
	ErrCoordinatorNotAvailable = kerr.CoordinatorNotAvailable

	// ErrNonEmptyGroup (NON_EMPTY_GROUP, 68): the group still has members, so
	// it cannot be deleted (or, for a non-consumer group, lose offsets).
	ErrNonEmptyGroup = kerr.NonEmptyGroup

	// ErrGroupIDNotFound (GROUP_ID_NOT_FOUND, 69): the group does not exist.
	ErrGroupIDNotFound = kerr.GroupIDNotFound

	// ErrGroupSubscribedToTopic (GROUP_SUBSCRIBED_TO_TOPIC, 86): OffsetDelete
	// of a partition whose topic an active consumer member subscribes to.
	ErrGroupSubscribedToTopic = kerr.GroupSubscribedToTopic

	// ErrOffsetMetadataTooLarge (OFFSET_METADATA_TOO_LARGE, 12): a committed
	// offset's metadata string exceeds Config.MaxOffsetMetadata bytes.
	ErrOffsetMetadataTooLarge = kerr.OffsetMetadataTooLarge
)
