package broker

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
	"conflux/broker/log"
)

// OffsetCommit v2–8. Accepted offsets are appended to __consumer_offsets at
// once and acknowledged after fsync (acks=all); concurrent commits share
// fsyncs, so many commits in flight cost one disk flush.
func init() { register(8, 2, 8, handleOffsetCommit) }

func handleOffsetCommit(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	s := c.s

	// Build the response skeleton, passing the partitions of existing
	// topics on to the group; results[i] points at the i-th one's answer.
	cr := group.CommitRequest{MemberID: req.MemberID, InstanceID: deref(req.InstanceID), Generation: req.Generation}
	var results []*kmsg.OffsetCommitResponseTopicPartition
	resp.Topics = make([]kmsg.OffsetCommitResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		*st = kmsg.NewOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.OffsetCommitResponseTopicPartition, len(rt.Partitions))
		t := s.topics.get(rt.Topic)
		for j, rp := range rt.Partitions {
			sp := &st.Partitions[j]
			*sp = kmsg.NewOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			if t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions) {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				continue
			}
			epoch := int32(-1)
			if req.Version >= 6 {
				epoch = rp.LeaderEpoch
			}
			cr.Offsets = append(cr.Offsets, group.OffsetCommit{
				TopicPartition: group.TopicPartition{Topic: rt.Topic, Partition: rp.Partition},
				Offset:         group.Offset{Offset: rp.Offset, LeaderEpoch: epoch, Metadata: deref(rp.Metadata)},
			})
			results = append(results, sp)
		}
	}
	if len(cr.Offsets) == 0 {
		return now(resp)
	}

	co := s.groups
	co.mu.Lock()
	// A group that does not exist takes commits only from outside group
	// management; a generation means a member of a group that is gone.
	e := co.entry(req.Group, req.Generation < 0)
	var errs []error
	var durable barrier
	if e == nil {
		errs = make([]error, len(cr.Offsets))
		for i := range errs {
			errs[i] = group.ErrIllegalGeneration
		}
	} else {
		var acts []group.Action
		errs, acts = e.g.CommitOffsets(co.now(), cr)
		co.apply(e, acts)
		if len(acts) > 0 {
			durable = e.durable
		}
	}
	co.mu.Unlock()

	var stored []*kmsg.OffsetCommitResponseTopicPartition
	for i, err := range errs {
		results[i].ErrorCode = groupErrorCode(err)
		if err == nil {
			stored = append(stored, results[i])
		}
	}
	if durable == (barrier{}) {
		return now(resp)
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		if err := durable.wait(); err != nil {
			c.logger.Error("offset commit not persisted", "group", req.Group, "error", err)
			// Kafka's mapping of append errors for offset commits.
			code := kerr.NotCoordinator.Code
			if errors.Is(err, log.ErrBatchTooLarge) {
				code = kerr.InvalidCommitOffsetSize.Code
			}
			for _, sp := range stored {
				sp.ErrorCode = code
			}
		}
	})
	return response{msg: resp, ready: ready}
}
