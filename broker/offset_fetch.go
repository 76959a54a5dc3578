package broker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// OffsetFetch v1–7 (v8 asks for several groups at once). Works for any
// group, with or without members: -1 for partitions without a commit; from
// v2 a null topic list asks for every committed partition.
func init() { register(9, 1, 7, handleOffsetFetch) }

func handleOffsetFetch(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	co := c.s.groups
	co.mu.Lock()
	defer co.mu.Unlock()
	e := co.entry(req.Group, false)

	if req.Topics == nil && req.Version >= 2 {
		if e == nil {
			resp.Topics = []kmsg.OffsetFetchResponseTopic{}
			return now(resp)
		}
		for _, o := range e.g.Offsets() {
			if n := len(resp.Topics); n == 0 || resp.Topics[n-1].Topic != o.Topic {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = o.Topic
				resp.Topics = append(resp.Topics, rt)
			}
			rt := &resp.Topics[len(resp.Topics)-1]
			rt.Partitions = append(rt.Partitions, offsetFetchPartition(o.Partition, o.Offset, true))
		}
		return now(resp)
	}
	resp.Topics = make([]kmsg.OffsetFetchResponseTopic, len(req.Topics))
	for i, t := range req.Topics {
		rt := &resp.Topics[i]
		*rt = kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.OffsetFetchResponseTopicPartition, len(t.Partitions))
		for j, p := range t.Partitions {
			var o group.Offset
			ok := false
			if e != nil {
				o, ok = e.g.Offset(group.TopicPartition{Topic: t.Topic, Partition: p})
			}
			rt.Partitions[j] = offsetFetchPartition(p, o, ok)
		}
	}
	return now(resp)
}

// offsetFetchPartition answers for one partition: its commit, or offset -1
// and empty metadata if it has none.
func offsetFetchPartition(p int32, o group.Offset, committed bool) kmsg.OffsetFetchResponseTopicPartition {
	rp := kmsg.NewOffsetFetchResponseTopicPartition()
	rp.Partition = p
	rp.Offset, rp.LeaderEpoch, rp.Metadata = -1, -1, ptr("")
	if committed {
		rp.Offset, rp.LeaderEpoch, rp.Metadata = o.Offset, o.LeaderEpoch, ptr(o.Metadata)
	}
	return rp
}
