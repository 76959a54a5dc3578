package group

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumerProtocolType is the protocol type of Kafka consumers, whose
// member metadata lists the subscribed topics.
const consumerProtocolType = "consumer"

// CommitOffsets handles an OffsetCommit request. errs has one entry per
// requested offset (nil: committed). The accepted offsets are visible at
// once and come back in a StoreOffsets action, which the caller persists
// before acknowledging the commit.
func (g *Group) CommitOffsets(now time.Time, req CommitRequest) (errs []error, acts []Action) {
	errs = make([]error, len(req.Offsets))
	if err := g.validateCommit(now, req); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs, nil
	}
	store := StoreOffsets{Offsets: make([]OffsetCommit, 0, len(req.Offsets))}
	for i, o := range req.Offsets {
		if len(o.Metadata) > g.cfg.MaxOffsetMetadata {
			errs[i] = ErrOffsetMetadataTooLarge
			continue
		}
		o.CommitTime = now
		g.offsets[o.TopicPartition] = o.Offset
		store.Offsets = append(store.Offsets, o)
	}
	if len(store.Offsets) == 0 {
		return errs, nil
	}
	return errs, []Action{store}
}

// validateCommit decides whether a commit is accepted: from outside group
// management (generation < 0, no member) only while the group is Empty;
// otherwise from a current member of the current generation, except while
// the group waits for its assignment. A commit during the join phase is
// accepted, so members can commit before they rejoin.
func (g *Group) validateCommit(now time.Time, req CommitRequest) error {
	switch {
	case g.state == Dead:
		return ErrCoordinatorNotAvailable
	case req.Generation < 0 && g.state == Empty:
		return nil
	case req.Generation >= 0 || req.MemberID != "" || req.InstanceID != "":
		if err := g.validateMember(req.MemberID, req.InstanceID); err != nil {
			return err
		}
		if req.Generation != g.generation {
			return ErrIllegalGeneration
		}
	case g.state != Empty:
		return ErrUnknownMemberID
	}
	switch g.state {
	case CompletingRebalance:
		return ErrRebalanceInProgress
	case Stable, PreparingRebalance:
		if m := g.byID[req.MemberID]; m != nil {
			m.deadline = now.Add(m.sessionTimeout)
		}
	}
	return nil
}

// Offset returns the committed offset of one partition.
func (g *Group) Offset(tp TopicPartition) (Offset, bool) {
	o, ok := g.offsets[tp]
	return o, ok
}

// Offsets returns every committed offset, sorted by topic and partition.
func (g *Group) Offsets() []OffsetCommit {
	out := make([]OffsetCommit, 0, len(g.offsets))
	for tp, o := range g.offsets {
		out = append(out, OffsetCommit{TopicPartition: tp, Offset: o})
	}
	slices.SortFunc(out, func(a, b OffsetCommit) int { return compareTopicPartitions(a.TopicPartition, b.TopicPartition) })
	return out
}

func compareTopicPartitions(a, b TopicPartition) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Delete handles DeleteGroups: an Empty group becomes Dead, and its offsets
// and metadata are deleted (DeleteOffsets and DeleteGroup actions). A group
// with members returns ErrNonEmptyGroup, a Dead one ErrGroupIDNotFound.
func (g *Group) Delete(now time.Time) ([]Action, error) {
	switch g.state {
	case Dead:
		return nil, ErrGroupIDNotFound
	case Empty:
	default:
		return nil, ErrNonEmptyGroup
	}
	var acts []Action
	if len(g.offsets) > 0 {
		del := DeleteOffsets{}
		for _, o := range g.Offsets() {
			del.Partitions = append(del.Partitions, o.TopicPartition)
		}
		acts = append(acts, del)
		clear(g.offsets)
	}
	g.pending = map[string]time.Time{}
	g.transition(now, Dead)
	return append(acts, DeleteGroup{}), nil
}

// DeleteOffsets handles OffsetDelete. An Empty group loses any of the
// offsets; a consumer group with members keeps those of topics a member
// subscribes to (ErrGroupSubscribedToTopic for them); any other group with
// members refuses (err ErrNonEmptyGroup). errs has one entry per partition.
func (g *Group) DeleteOffsets(now time.Time, partitions []TopicPartition) (errs []error, acts []Action, err error) {
	var subscribed map[string]bool
	switch {
	case g.state == Dead:
		return nil, nil, ErrGroupIDNotFound
	case g.state == Empty:
	case g.protocolType == consumerProtocolType:
		subscribed = g.subscribedTopics()
	default:
		return nil, nil, ErrNonEmptyGroup
	}
	errs = make([]error, len(partitions))
	var del DeleteOffsets
	for i, tp := range partitions {
		if subscribed[tp.Topic] {
			errs[i] = ErrGroupSubscribedToTopic
			continue
		}
		if _, ok := g.offsets[tp]; ok {
			delete(g.offsets, tp)
			del.Partitions = append(del.Partitions, tp)
		}
	}
	if len(del.Partitions) > 0 {
		acts = []Action{del}
	}
	return errs, acts, nil
}

// subscribedTopics returns the topics the members of a consumer group
// subscribe to in the current generation, read from their metadata for the
// selected protocol; nil if unknown (no generation yet, or metadata that is
// not Kafka's consumer protocol).
func (g *Group) subscribedTopics() map[string]bool {
	if g.protocol == "" {
		return nil
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadata(g.protocol)); err != nil {
			return nil
		}
		for _, t := range md.Topics {
			topics[t] = true
		}
	}
	return topics
}

// ExpireOffsets drops offsets older than Config.OffsetRetention, as Kafka's
// periodic cleanup does: every offset of a group that has been Empty that
// long; for a Stable consumer group, offsets of topics no member subscribes
// to that were last committed that long ago; for a group that never had
// members, each offset by its own commit time. An Empty group left without
// offsets is deleted (it becomes Dead, with a DeleteGroup action).
func (g *Group) ExpireOffsets(now time.Time) []Action {
	retention := g.cfg.OffsetRetention
	if retention <= 0 || g.state == Dead {
		return nil
	}
	expired := func(o Offset, base time.Time) bool {
		if !o.ExpireTime.IsZero() {
			return !now.Before(o.ExpireTime)
		}
		return !now.Before(base.Add(retention))
	}
	var subscribed map[string]bool
	if g.state == Stable && g.protocolType == consumerProtocolType {
		subscribed = g.subscribedTopics()
	}
	var del DeleteOffsets
	for _, oc := range g.Offsets() {
		var drop bool
		switch {
		case g.protocolType == "":
			drop = expired(oc.Offset, oc.CommitTime)
		case g.state == Empty:
			drop = expired(oc.Offset, g.stateTime)
		case subscribed != nil:
			drop = !subscribed[oc.Topic] && expired(oc.Offset, oc.CommitTime)
		}
		if drop {
			delete(g.offsets, oc.TopicPartition)
			del.Partitions = append(del.Partitions, oc.TopicPartition)
		}
	}
	var acts []Action
	if len(del.Partitions) > 0 {
		acts = append(acts, del)
	}
	if g.state == Empty && len(g.offsets) == 0 && len(g.pending) == 0 {
		g.transition(now, Dead)
		acts = append(acts, DeleteGroup{})
	}
	return acts
}
