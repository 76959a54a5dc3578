package broker

import (
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(3, 0, 11, handleMetadata) }

// authorizedOperationsOmitted tells clients that authorized operations were
// not computed (Kafka's INT32_MIN sentinel).
const authorizedOperationsOmitted = math.MinInt32

func handleMetadata(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	s := c.s
	host, port := s.advertised()
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID, b.Host, b.Port = s.cfg.NodeID, host, port
	resp.Brokers = []kmsg.MetadataResponseBroker{b}
	resp.ClusterID = &s.clusterID
	resp.ControllerID = s.cfg.NodeID
	resp.AuthorizedOperations = authorizedOperationsOmitted

	// v0: an empty list means every topic; v1+: null means every topic.
	all := req.Topics == nil || req.Version == 0 && len(req.Topics) == 0
	if all {
		for _, t := range s.topics.list() {
			resp.Topics = append(resp.Topics, s.topicMetadata(t, t.name))
		}
		return now(resp)
	}
	autoCreate := s.cfg.AutoCreateTopics && (req.Version < 4 || req.AllowAutoTopicCreation)
	for _, rt := range req.Topics {
		var name string
		var t *topic
		switch {
		case rt.Topic != nil:
			name = *rt.Topic
			if err := validateTopicName(name); err != nil {
				resp.Topics = append(resp.Topics, errorTopicMetadata(name, rt.TopicID, err))
				continue
			}
			var err error
			if t, err = s.topics.getOrCreate(name, autoCreate, s.cfg.NumPartitions); err != nil {
				resp.Topics = append(resp.Topics, errorTopicMetadata(name, rt.TopicID, err))
				continue
			}
		default:
			t = s.topics.byID(rt.TopicID)
		}
		if t == nil {
			code := kerr.UnknownTopicOrPartition
			if rt.Topic == nil {
				code = kerr.UnknownTopicID
			}
			resp.Topics = append(resp.Topics, errorTopicMetadata(name, rt.TopicID, code))
			continue
		}
		resp.Topics = append(resp.Topics, s.topicMetadata(t, t.name))
	}
	return now(resp)
}

// topicMetadata describes a topic whose every partition is led by this node.
func (s *Server) topicMetadata(t *topic, name string) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = &name
	mt.TopicID = t.id
	mt.IsInternal = len(name) > 2 && name[:2] == "__"
	mt.AuthorizedOperations = authorizedOperationsOmitted
	replicas := []int32{s.cfg.NodeID}
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, len(t.partitions))
	for i := range t.partitions {
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition = int32(i)
		p.Leader = s.cfg.NodeID
		p.LeaderEpoch = 0
		p.Replicas = replicas
		p.ISR = replicas
		p.OfflineReplicas = []int32{}
		mt.Partitions[i] = p
	}
	return mt
}

func errorTopicMetadata(name string, id [16]byte, err error) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = &name
	mt.TopicID = id
	mt.ErrorCode, _ = kafkaError(err)
	mt.AuthorizedOperations = authorizedOperationsOmitted
	return mt
}
