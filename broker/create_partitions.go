package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(37, 0, 3, handleCreatePartitions) }

func handleCreatePartitions(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	resp.Topics = make([]kmsg.CreatePartitionsResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		*st = kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		err := c.s.checkNewAssignment(rt)
		if err == nil {
			err = c.s.topics.addPartitions(rt.Topic, rt.Count, req.ValidateOnly)
		}
		st.ErrorCode, st.ErrorMessage = kafkaError(err)
	}
	return now(resp)
}

// checkNewAssignment validates the replicas given for new partitions, if any.
func (s *Server) checkNewAssignment(rt kmsg.CreatePartitionsRequestTopic) error {
	if rt.Assignment == nil {
		return nil
	}
	t := s.topics.get(rt.Topic)
	if t != nil && len(rt.Assignment) != int(rt.Count)-len(t.partitions) {
		return newTopicError(kerr.InvalidReplicaAssignment, "Increasing the number of partitions by %d but %d assignments provided.", int(rt.Count)-len(t.partitions), len(rt.Assignment))
	}
	for _, a := range rt.Assignment {
		if err := s.checkReplicas(a.Replicas); err != nil {
			return err
		}
	}
	return nil
}
