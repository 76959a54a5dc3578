package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(20, 0, 6, handleDeleteTopics) }

func handleDeleteTopics(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	// Before v6 topics are named in TopicNames; from v6 in Topics, by name or id.
	targets := req.Topics
	if req.Version < 6 {
		targets = make([]kmsg.DeleteTopicsRequestTopic, len(req.TopicNames))
		for i := range req.TopicNames {
			targets[i].Topic = &req.TopicNames[i]
		}
	}
	resp.Topics = make([]kmsg.DeleteTopicsResponseTopic, len(targets))
	for i, rt := range targets {
		st := &resp.Topics[i]
		*st = kmsg.NewDeleteTopicsResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		var name string
		if rt.Topic != nil {
			name = *rt.Topic
		} else if t := c.s.topics.byID(rt.TopicID); t != nil {
			name = t.name
			st.Topic = &name
		} else {
			st.ErrorCode = kerr.UnknownTopicID.Code
			continue
		}
		if err := c.s.topics.delete(name); err != nil {
			st.ErrorCode, st.ErrorMessage = kafkaError(err)
		}
	}
	return now(resp)
}
