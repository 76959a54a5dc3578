package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(33, 0, 2, handleAlterConfigs) }

// handleAlterConfigs replaces a topic's whole set of config overrides.
func handleAlterConfigs(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewAlterConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		err := checkAlterableResource(rr.ResourceType)
		if err == nil {
			configs := map[string]string{}
			for _, cfg := range rr.Configs {
				if cfg.Value == nil {
					err = newTopicError(kerr.InvalidRequest, "Null value not supported for topic config %s", cfg.Name)
					break
				}
				configs[cfg.Name] = *cfg.Value
			}
			if err == nil {
				err = c.s.alterTopicConfigs(rr.ResourceName, configs, req.ValidateOnly)
			}
		}
		sr.ErrorCode, sr.ErrorMessage = kafkaError(err)
		resp.Resources = append(resp.Resources, sr)
	}
	return now(resp)
}

// checkAlterableResource allows topics only: broker settings come from the
// config file and flags, read at start.
func checkAlterableResource(t kmsg.ConfigResourceType) error {
	switch t {
	case kmsg.ConfigResourceTypeTopic:
		return nil
	case kmsg.ConfigResourceTypeBroker:
		return newTopicError(kerr.InvalidRequest, "Broker configs cannot be changed at runtime; edit the broker's --config file and restart it")
	default:
		return newTopicError(kerr.InvalidRequest, "Config resource type %s is not supported by this broker", t)
	}
}

// alterTopicConfigs validates and, unless validateOnly, applies a new set of
// overrides to a topic.
func (s *Server) alterTopicConfigs(name string, configs map[string]string, validateOnly bool) error {
	if s.topics.get(name) == nil {
		return newTopicError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", name)
	}
	if err := validateTopicConfigs(configs); err != nil {
		return newTopicError(kerr.InvalidConfig, "%v", err)
	}
	if validateOnly {
		return nil
	}
	if err := s.topics.setConfigs(name, configs); err != nil {
		return err
	}
	s.logger.Info("altered topic configs", "topic", name, "configs", configs)
	return nil
}
