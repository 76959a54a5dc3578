package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(19, 0, 7, handleCreateTopics) }

func handleCreateTopics(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	s := c.s
	seen := map[string]int{}
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	resp.Topics = make([]kmsg.CreateTopicsResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		st := &resp.Topics[i]
		*st = kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		var t *topic
		spec, err := s.createSpec(rt)
		switch {
		case seen[rt.Topic] > 1:
			err = newTopicError(kerr.InvalidRequest, "Create topics request from client contains topic %s more than once", rt.Topic)
		case err != nil:
		case req.ValidateOnly:
			err = s.topics.validateCreate(spec)
		default:
			t, err = s.topics.create(spec)
		}
		if err != nil {
			st.ErrorCode, st.ErrorMessage = kafkaError(err)
			continue
		}
		st.NumPartitions, st.ReplicationFactor = spec.partitions, 1
		if t != nil {
			st.TopicID = t.id
		}
		for _, name := range topicConfigNames() {
			value, source := effectiveTopicConfig(name, spec.configs, s.cfg.TopicDefaults)
			cfg := kmsg.NewCreateTopicsResponseTopicConfig()
			cfg.Name, cfg.Value, cfg.Source = name, &value, int8(source)
			st.Configs = append(st.Configs, cfg)
		}
	}
	return now(resp)
}

// createSpec checks the parts of a CreateTopics entry that do not depend on
// existing topics: partition count, replication, assignment, config values.
func (s *Server) createSpec(rt kmsg.CreateTopicsRequestTopic) (createSpec, error) {
	spec := createSpec{name: rt.Topic, partitions: rt.NumPartitions, configs: map[string]string{}}
	if len(rt.ReplicaAssignment) > 0 {
		if rt.NumPartitions != -1 || rt.ReplicationFactor != -1 {
			return spec, newTopicError(kerr.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
		}
		spec.partitions = int32(len(rt.ReplicaAssignment))
		for i, a := range rt.ReplicaAssignment {
			if a.Partition != int32(i) {
				return spec, newTopicError(kerr.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence")
			}
			if err := s.checkReplicas(a.Replicas); err != nil {
				return spec, err
			}
		}
	} else {
		if spec.partitions == -1 {
			spec.partitions = s.cfg.NumPartitions
		}
		if err := checkReplicationFactor(rt.ReplicationFactor); err != nil {
			return spec, err
		}
	}
	for _, cfg := range rt.Configs {
		if cfg.Value == nil {
			return spec, newTopicError(kerr.InvalidConfig, "Null value not supported for topic config %s", cfg.Name)
		}
		spec.configs[cfg.Name] = *cfg.Value
	}
	return spec, nil
}

// checkReplicationFactor accepts 1 and -1 (the broker default, 1). More
// replicas need more brokers: the message says where to find them.
func checkReplicationFactor(rf int16) error {
	switch {
	case rf == 1 || rf == -1:
		return nil
	case rf < 1:
		return newTopicError(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default.")
	default:
		return newTopicError(kerr.InvalidReplicationFactor,
			"Replication factor %d is larger than the number of brokers (1): this Conflux broker is a single node and keeps one copy of each partition. "+
				"Use a replication factor of 1, or point Conflux at a Kafka cluster (--bootstrap-servers) when you need replicas.", rf)
	}
}

// checkReplicas accepts a manual assignment only if it names this node alone.
func (s *Server) checkReplicas(replicas []int32) error {
	if len(replicas) != 1 || replicas[0] != s.cfg.NodeID {
		if len(replicas) > 1 {
			return checkReplicationFactor(int16(len(replicas)))
		}
		return newTopicError(kerr.InvalidReplicaAssignment, "Replica assignment %v is invalid: the only broker is node %d", replicas, s.cfg.NodeID)
	}
	return nil
}
