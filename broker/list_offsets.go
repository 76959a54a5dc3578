package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/log"
)

func init() { register(2, 1, 6, handleListOffsets) }

// Special ListOffsets timestamps.
const (
	listLatest       = -1
	listEarliest     = -2
	listMaxTimestamp = -3
)

func handleListOffsets(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	resp.Topics = make([]kmsg.ListOffsetsResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		*st = kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ListOffsetsResponseTopicPartition, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			sp := &st.Partitions[j]
			*sp = kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			l := c.s.topics.partition(rt.Topic, rp.Partition)
			if l == nil {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				sp.Offset, sp.Timestamp = -1, -1
				continue
			}
			var err error
			sp.Offset, sp.Timestamp, err = listOffset(l, rp.Timestamp)
			sp.ErrorCode = logErrorCode(err)
		}
	}
	return now(resp)
}

// listOffset resolves one ListOffsets query to (offset, timestamp).
func listOffset(l *log.Log, ts int64) (int64, int64, error) {
	switch ts {
	case listLatest:
		return l.EndOffset(), -1, nil
	case listEarliest:
		return l.StartOffset(), -1, nil
	case listMaxTimestamp:
		ts, off, err := l.MaxTimestamp()
		return off, ts, err
	default:
		return l.OffsetForTimestamp(ts)
	}
}
