package broker

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/log"
)

func init() { register(0, 3, 9, handleProduce) }

// pendingSync is an appended partition whose acks=all answer waits for fsync.
type pendingSync struct {
	log  *log.Log
	end  int64
	resp *kmsg.ProduceResponseTopicPartition
}

func handleProduce(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	s := c.s
	var syncs []pendingSync
	failed := false

	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := &resp.Topics[i]
		*st = kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))

		topicErr := produceTopicError(req)
		var t *topic
		if topicErr == nil {
			if err := validateTopicName(rt.Topic); err != nil {
				topicErr = err
			} else if t, topicErr = s.topics.getOrCreate(rt.Topic, s.cfg.AutoCreateTopics, s.cfg.NumPartitions); topicErr == nil && t == nil {
				topicErr = kerr.UnknownTopicOrPartition
			}
		}
		if topicErr == nil && req.Acks == -1 {
			if v, _ := effectiveTopicConfig("min.insync.replicas", t.configs, s.cfg.TopicDefaults); v != "1" {
				n, _ := strconv.Atoi(v)
				topicErr = newTopicError(kerr.NotEnoughReplicas, "Topic %s requires min.insync.replicas=%d but this broker is a single replica", rt.Topic, n)
			}
		}
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			sp := &st.Partitions[j]
			*sp = kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset = -1
			sp.LogAppendTime = -1
			if topicErr != nil {
				sp.ErrorCode, sp.ErrorMessage = kafkaError(topicErr)
				failed = true
				continue
			}
			if rp.Partition < 0 || int(rp.Partition) >= len(t.partitions) {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				failed = true
				continue
			}
			l := t.partitions[rp.Partition]
			res, err := l.Append(rp.Records)
			if err != nil {
				sp.ErrorCode = logErrorCode(err)
				msg := err.Error()
				sp.ErrorMessage = &msg
				failed = true
				c.logger.Debug("produce rejected", "topic", rt.Topic, "partition", rp.Partition, "error", err)
				continue
			}
			sp.BaseOffset = res.BaseOffset
			sp.LogAppendTime = res.LogAppendTime
			sp.LogStartOffset = res.LogStartOffset
			if req.Acks == -1 {
				syncs = append(syncs, pendingSync{l, res.EndOffset, sp})
			}
		}
	}

	if req.Acks == 0 {
		if failed {
			// With acks=0 there is no response to carry the error; Kafka
			// closes the connection so the client notices.
			c.logger.Warn("closing connection after a failed acks=0 produce")
			c.cancel()
		}
		return response{}
	}
	if len(syncs) == 0 {
		return now(resp)
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		for _, ps := range syncs {
			if err := ps.log.SyncTo(ps.end); err != nil {
				ps.resp.ErrorCode = kerr.KafkaStorageError.Code
				msg := "fsync failed: " + err.Error()
				ps.resp.ErrorMessage = &msg
				c.logger.Error("fsync failed", "error", err)
			}
		}
	})
	return response{msg: resp, ready: ready}
}

// produceTopicError rejects what this broker does not serve for any topic.
func produceTopicError(req *kmsg.ProduceRequest) error {
	switch {
	case req.Acks != -1 && req.Acks != 0 && req.Acks != 1:
		return kerr.InvalidRequiredAcks
	case req.TransactionID != nil:
		return newTopicError(kerr.TransactionalIDAuthorizationFailed, "transactions are not supported by this broker")
	}
	return nil
}
