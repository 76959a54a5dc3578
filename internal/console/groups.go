package console

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/IBM/sarama"
)

var (
	// ErrGroupNotFound is matched (errors.Is) by the *GroupNotFoundError
	// that describe returns for a group that does not exist.
	ErrGroupNotFound = errors.New("consumer group does not exist")

	// ErrGroupActive is matched (errors.Is) by the *GroupStateError that
	// reset-offsets returns when the group still has members.
	ErrGroupActive = errors.New("consumer group is active")
)

// GroupStateError reports that an operation needs an inactive consumer group
// (state Empty or Dead) but the group is in another state. Its message is
// the one kafka-consumer-groups prints; errors.Is(err, ErrGroupActive) holds.
type GroupStateError struct {
	// Group is the consumer group id.
	Group string
	// State is the group's state, for example Stable.
	State string
}

// Error returns Kafka's message for the condition.
func (e *GroupStateError) Error() string {
	return fmt.Sprintf("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.",
		e.Group, e.State)
}

// Is reports whether target is ErrGroupActive.
func (e *GroupStateError) Is(target error) bool { return target == ErrGroupActive }

// GroupNotFoundError reports a consumer group that does not exist (the
// coordinator describes it as Dead); errors.Is(err, ErrGroupNotFound) holds.
type GroupNotFoundError struct {
	// Group is the consumer group id.
	Group string
}

// Error returns Kafka's message for the condition.
func (e *GroupNotFoundError) Error() string {
	return fmt.Sprintf("Consumer group '%s' does not exist.", e.Group)
}

// Is reports whether target is ErrGroupNotFound.
func (e *GroupNotFoundError) Is(target error) bool { return target == ErrGroupNotFound }

// Consumer group states as the coordinator names them in DescribeGroups and
// ListGroups.
const (
	GroupStateEmpty               = "Empty"
	GroupStateStable              = "Stable"
	GroupStatePreparingRebalance  = "PreparingRebalance"
	GroupStateCompletingRebalance = "CompletingRebalance"
	GroupStateDead                = "Dead"
)

// GroupListing is one consumer group as group list shows it.
type GroupListing struct {
	// Group is the group id.
	Group string
	// State is the group's state (Empty, Stable, ...), empty when the
	// coordinator could not be asked.
	State string
	// ProtocolType is "consumer" for consumer groups, "connect" for Kafka
	// Connect workers, empty for groups that only hold committed offsets.
	ProtocolType string
}

// GroupMember is one member of a consumer group.
type GroupMember struct {
	// MemberID is the id the coordinator gave the member.
	MemberID string
	// InstanceID is the static member's group.instance.id, empty for
	// dynamic members.
	InstanceID string
	// ClientID and Host are the member's client.id and address as the
	// coordinator saw them.
	ClientID, Host string
	// Assignment maps each topic to the member's partitions of it, sorted.
	// It is empty while the group rebalances and for groups whose protocol
	// type is not "consumer".
	Assignment map[string][]int32
}

// PartitionCount returns the number of partitions assigned to the member.
func (m *GroupMember) PartitionCount() int {
	n := 0
	for _, ps := range m.Assignment {
		n += len(ps)
	}
	return n
}

// GroupPartition is one partition a consumer group has committed an offset
// for or has assigned to a member: a row of group describe.
type GroupPartition struct {
	// Topic and Partition identify the partition.
	Topic     string
	Partition int32
	// Committed is the group's committed offset, -1 when there is none.
	Committed int64
	// LogEnd is the partition's log end offset (high watermark), -1 when
	// unknown.
	LogEnd int64
	// Member is the member the partition is assigned to, nil when none.
	Member *GroupMember
	// Err is an error from the offset lookups for this partition, if any.
	Err error
}

// Lag returns how far the committed offset is behind the log end, and
// false when either is unknown.
func (p *GroupPartition) Lag() (int64, bool) {
	if p.Committed < 0 || p.LogEnd < 0 {
		return 0, false
	}
	return max(p.LogEnd-p.Committed, 0), true
}

// GroupDescription is everything group describe shows about one group.
type GroupDescription struct {
	// Group is the group id.
	Group string
	// State is the group's state (Empty, Stable, PreparingRebalance, ...).
	State string
	// ProtocolType is "consumer" for consumer groups.
	ProtocolType string
	// Protocol is the assignor the group chose (range, roundrobin, ...);
	// the coordinator reports it only while the group is Stable.
	Protocol string
	// Coordinator is the address of the group's coordinator and
	// CoordinatorID its broker id.
	Coordinator   string
	CoordinatorID int32
	// Members are sorted by member id.
	Members []GroupMember
	// Partitions are the partitions with a committed offset or an owner,
	// sorted by topic and partition.
	Partitions []GroupPartition
}

// Rebalancing reports whether the group is between generations.
func (d *GroupDescription) Rebalancing() bool {
	return d.State == GroupStatePreparingRebalance || d.State == GroupStateCompletingRebalance
}

// GroupAdmin runs consumer group administration requests (list, describe,
// delete, reset offsets) against a cluster. It owns one sarama client; Close
// releases it.
type GroupAdmin struct {
	client sarama.Client
	admin  sarama.ClusterAdmin
}

// NewGroupAdmin connects to the cluster at the given bootstrap addresses.
func NewGroupAdmin(addrs []string) (*GroupAdmin, error) {
	client, err := sarama.NewClient(addrs, NewSaramaConfig())
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", addrs, fromSarama(err))
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connect to %v: %w", addrs, fromSarama(err))
	}
	return &GroupAdmin{client: client, admin: admin}, nil
}

// Close closes the connections to the cluster.
func (a *GroupAdmin) Close() error { return a.admin.Close() }

// List returns every group the cluster knows, sorted by id, with its state
// and protocol type.
func (a *GroupAdmin) List() ([]GroupListing, error) {
	types, err := a.admin.ListConsumerGroups()
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", fromSarama(err))
	}
	names := slices.Sorted(maps.Keys(types))
	if len(names) == 0 {
		return nil, nil
	}
	descs, err := a.admin.DescribeConsumerGroups(names)
	if err != nil {
		return nil, fmt.Errorf("describe groups: %w", fromSarama(err))
	}
	states := make(map[string]string, len(descs))
	for _, d := range descs {
		if d.ErrorCode == 0 {
			states[d.GroupId] = d.State
		}
	}
	out := make([]GroupListing, 0, len(names))
	for _, n := range names {
		if states[n] == GroupStateDead {
			continue // deleted between the two requests
		}
		out = append(out, GroupListing{Group: n, State: states[n], ProtocolType: types[n]})
	}
	return out, nil
}

// Describe returns the state, members and partitions of the named groups,
// in the order given. Groups that do not exist are left out and reported
// in the returned error (matching ErrGroupNotFound) next to the
// descriptions of the others.
func (a *GroupAdmin) Describe(groups []string) ([]GroupDescription, error) {
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: no group given", ErrInvalidArgument)
	}
	raw, err := a.admin.DescribeConsumerGroups(groups)
	if err != nil {
		return nil, fmt.Errorf("describe groups: %w", fromSarama(err))
	}
	byID := make(map[string]*sarama.GroupDescription, len(raw))
	for _, d := range raw {
		byID[d.GroupId] = d
	}
	var (
		descs   []GroupDescription
		missing []error
	)
	for _, g := range groups {
		r := byID[g]
		switch {
		case r == nil:
			return nil, fmt.Errorf("describe group '%s': %w", g, fromSarama(sarama.ErrIncompleteResponse))
		case r.ErrorCode == int16(sarama.ErrGroupIDNotFound), r.ErrorCode == 0 && r.State == GroupStateDead:
			missing = append(missing, &GroupNotFoundError{Group: g})
			continue
		case r.ErrorCode != 0:
			return nil, fmt.Errorf("describe group '%s': %w", g, newBrokerError(r.ErrorCode, ""))
		}
		d, err := a.describe(r)
		if err != nil {
			return nil, err
		}
		descs = append(descs, d)
	}
	return descs, errors.Join(missing...)
}

// describe completes what DescribeGroups said about one group with its
// coordinator, committed offsets and log end offsets.
func (a *GroupAdmin) describe(r *sarama.GroupDescription) (GroupDescription, error) {
	d := GroupDescription{Group: r.GroupId, State: r.State, ProtocolType: r.ProtocolType, Protocol: r.Protocol,
		CoordinatorID: -1}
	if b, err := a.client.Coordinator(r.GroupId); err == nil {
		d.Coordinator, d.CoordinatorID = b.Addr(), b.ID()
	}
	for _, m := range r.Members {
		gm := GroupMember{MemberID: m.MemberId, ClientID: m.ClientId, Host: m.ClientHost}
		if m.GroupInstanceId != nil {
			gm.InstanceID = *m.GroupInstanceId
		}
		if r.ProtocolType == "consumer" {
			// A member whose assignment does not decode is shown without
			// partitions rather than failing the whole describe.
			if as, err := m.GetMemberAssignment(); err == nil && as != nil {
				gm.Assignment = make(map[string][]int32, len(as.Topics))
				for t, ps := range as.Topics {
					gm.Assignment[t] = slices.Sorted(slices.Values(ps))
				}
			}
		}
		d.Members = append(d.Members, gm)
	}
	slices.SortFunc(d.Members, func(x, y GroupMember) int { return cmp.Compare(x.MemberID, y.MemberID) })

	committed, err := a.committedOffsets(r.GroupId)
	if err != nil {
		return d, err
	}
	parts := map[topicPartition]*GroupPartition{}
	get := func(tp topicPartition) *GroupPartition {
		p := parts[tp]
		if p == nil {
			p = &GroupPartition{Topic: tp.topic, Partition: tp.partition, Committed: -1, LogEnd: -1}
			parts[tp] = p
		}
		return p
	}
	for i := range d.Members {
		m := &d.Members[i]
		for t, ps := range m.Assignment {
			for _, p := range ps {
				get(topicPartition{t, p}).Member = m
			}
		}
	}
	for tp, c := range committed {
		p := get(tp)
		p.Committed, p.Err = c.offset, c.err
	}
	if len(parts) > 0 {
		ends, err := a.listOffsets(slices.Collect(maps.Keys(parts)), sarama.OffsetNewest)
		if err != nil {
			return d, err
		}
		for tp, p := range parts {
			r := ends[tp]
			p.LogEnd = r.offset
			if p.Err == nil {
				p.Err = r.err
			}
		}
	}
	for _, p := range parts {
		d.Partitions = append(d.Partitions, *p)
	}
	slices.SortFunc(d.Partitions, func(x, y GroupPartition) int {
		return compareTopicPartition(topicPartition{x.Topic, x.Partition}, topicPartition{y.Topic, y.Partition})
	})
	return d, nil
}

// Delete deletes the named groups and their committed offsets, one request
// each. It returns the groups it deleted and the joined errors of the
// others: a group with members fails with NON_EMPTY_GROUP, an unknown one
// with GROUP_ID_NOT_FOUND (both *BrokerError).
func (a *GroupAdmin) Delete(groups []string) ([]string, error) {
	var (
		deleted []string
		errs    []error
	)
	for _, g := range groups {
		if err := a.admin.DeleteConsumerGroup(g); err != nil {
			errs = append(errs, fmt.Errorf("delete group '%s': %w", g, fromSarama(err)))
			continue
		}
		deleted = append(deleted, g)
	}
	return deleted, errors.Join(errs...)
}

// topicPartition names one partition of a topic.
type topicPartition struct {
	topic     string
	partition int32
}

func compareTopicPartition(x, y topicPartition) int {
	if c := cmp.Compare(x.topic, y.topic); c != 0 {
		return c
	}
	return cmp.Compare(x.partition, y.partition)
}

// offsetResult is an offset looked up for one partition, or why it could
// not be.
type offsetResult struct {
	offset int64
	err    error
}

// committedOffsets returns every offset the group has committed.
func (a *GroupAdmin) committedOffsets(group string) (map[topicPartition]offsetResult, error) {
	resp, err := a.admin.ListConsumerGroupOffsets(group, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch committed offsets of group '%s': %w", group, fromSarama(err))
	}
	blocks := resp.Blocks
	if g := resp.GetGroup(group); g != nil {
		blocks = g.Blocks
	}
	out := map[topicPartition]offsetResult{}
	for t, ps := range blocks {
		for p, b := range ps {
			if b == nil {
				continue
			}
			if b.Err != sarama.ErrNoError {
				out[topicPartition{t, p}] = offsetResult{offset: -1, err: newBrokerError(int16(b.Err), "")}
				continue
			}
			if b.Offset >= 0 {
				out[topicPartition{t, p}] = offsetResult{offset: b.Offset}
			}
		}
	}
	return out, nil
}

// listOffsets asks the partitions' leaders for the offset of query
// (sarama.OffsetOldest, sarama.OffsetNewest or a timestamp in milliseconds).
// A partition whose lookup failed has offset -1 and the error; the broker's
// -1 for a timestamp past the last record is returned as is.
func (a *GroupAdmin) listOffsets(tps []topicPartition, query int64) (map[topicPartition]offsetResult, error) {
	req := map[string]map[int32]int64{}
	for _, tp := range tps {
		if req[tp.topic] == nil {
			req[tp.topic] = map[int32]int64{}
		}
		req[tp.topic][tp.partition] = query
	}
	res, err := a.admin.ListOffsets(req, nil)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", fromSarama(err))
	}
	out := make(map[topicPartition]offsetResult, len(tps))
	for _, tp := range tps {
		r := res[tp.topic][tp.partition]
		switch {
		case r == nil:
			out[tp] = offsetResult{offset: -1, err: fromSarama(sarama.ErrIncompleteResponse)}
		case r.Err != nil && !errors.Is(r.Err, sarama.ErrNoError):
			out[tp] = offsetResult{offset: -1, err: fromSarama(r.Err)}
		default:
			out[tp] = offsetResult{offset: r.Offset}
		}
	}
	return out, nil
}
