package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// OffsetDelete v0: drops committed offsets of partitions no active member
// consumes; the answer waits for the tombstones to be durable.
func init() { register(47, 0, 0, handleOffsetDelete) }

func handleOffsetDelete(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.OffsetDeleteRequest)
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	s := c.s
	var tps []group.TopicPartition
	var results []*kmsg.OffsetDeleteResponseTopicPartition
	resp.Topics = make([]kmsg.OffsetDeleteResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.OffsetDeleteResponseTopicPartition, len(rt.Partitions))
		t := s.topics.get(rt.Topic)
		for j, rp := range rt.Partitions {
			sp := &st.Partitions[j]
			sp.Partition = rp.Partition
			if t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions) {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				continue
			}
			tps = append(tps, group.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
			results = append(results, sp)
		}
	}

	co := s.groups
	co.mu.Lock()
	e := co.entry(req.Group, false)
	if e == nil {
		co.mu.Unlock()
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		resp.Topics = nil
		return now(resp)
	}
	errs, acts, err := e.g.DeleteOffsets(co.now(), tps)
	co.apply(e, acts)
	durable := e.durable
	co.mu.Unlock()
	if err != nil {
		resp.ErrorCode = groupErrorCode(err)
		resp.Topics = nil
		return now(resp)
	}
	for i, err := range errs {
		results[i].ErrorCode = groupErrorCode(err)
	}
	if len(acts) == 0 {
		return now(resp)
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		if err := durable.wait(); err != nil {
			c.logger.Error("offset deletion not persisted", "group", req.Group, "error", err)
			resp.ErrorCode = kerr.KafkaStorageError.Code
		}
	})
	return response{msg: resp, ready: ready}
}
