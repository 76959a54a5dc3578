package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(21, 0, 2, handleDeleteRecords) }

func handleDeleteRecords(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	resp.Topics = make([]kmsg.DeleteRecordsResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		*st = kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.DeleteRecordsResponseTopicPartition, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			sp := &st.Partitions[j]
			*sp = kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			l := c.s.topics.partition(rt.Topic, rp.Partition)
			if l == nil {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				continue
			}
			offset := rp.Offset
			if offset == -1 {
				offset = l.EndOffset()
			}
			low, err := l.DeleteRecordsBefore(offset)
			sp.ErrorCode = logErrorCode(err)
			if err == nil {
				sp.LowWatermark = low
				c.logger.Info("deleted records", "topic", rt.Topic, "partition", rp.Partition, "log_start_offset", low)
			}
		}
	}
	return now(resp)
}
