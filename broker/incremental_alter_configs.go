package broker

import (
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(44, 0, 1, handleIncrementalAlterConfigs) }

// handleIncrementalAlterConfigs sets, deletes, appends to or subtracts from
// individual topic configs, leaving the others as they are.
func handleIncrementalAlterConfigs(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewIncrementalAlterConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		err := checkAlterableResource(rr.ResourceType)
		if err == nil {
			var configs map[string]string
			if configs, err = c.s.applyIncrementalOps(rr); err == nil {
				err = c.s.alterTopicConfigs(rr.ResourceName, configs, req.ValidateOnly)
			}
		}
		sr.ErrorCode, sr.ErrorMessage = kafkaError(err)
		resp.Resources = append(resp.Resources, sr)
	}
	return now(resp)
}

// applyIncrementalOps returns a topic's overrides with the request's
// operations applied.
func (s *Server) applyIncrementalOps(rr kmsg.IncrementalAlterConfigsRequestResource) (map[string]string, error) {
	t := s.topics.get(rr.ResourceName)
	if t == nil {
		return nil, newTopicError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", rr.ResourceName)
	}
	configs := maps.Clone(t.configs)
	for _, op := range rr.Configs {
		def, known := topicConfigDefs[op.Name]
		if !known {
			return nil, newTopicError(kerr.InvalidConfig, "unknown topic config name: %s", op.Name)
		}
		value := ""
		if op.Value != nil {
			value = *op.Value
		}
		switch op.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if op.Value == nil {
				return nil, newTopicError(kerr.InvalidRequest, "Null value not supported for topic config %s", op.Name)
			}
			configs[op.Name] = value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(configs, op.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			if def.typ != kmsg.ConfigTypeList {
				return nil, newTopicError(kerr.InvalidConfig, "Config value append/subtract is not allowed for config %s: it is not a list", op.Name)
			}
			current, _ := effectiveTopicConfig(op.Name, configs, s.cfg.TopicDefaults)
			configs[op.Name] = editList(current, value, op.Op == kmsg.IncrementalAlterConfigOpAppend)
		default:
			return nil, newTopicError(kerr.InvalidRequest, "Unknown config operation %d for %s", op.Op, op.Name)
		}
	}
	return configs, nil
}

// editList appends items to, or removes them from, a comma-separated list.
func editList(current, items string, add bool) string {
	var list []string
	for _, v := range strings.Split(current, ",") {
		if v = strings.TrimSpace(v); v != "" {
			list = append(list, v)
		}
	}
	for _, v := range strings.Split(items, ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case add && !slices.Contains(list, v):
			list = append(list, v)
		case !add:
			list = slices.DeleteFunc(list, func(x string) bool { return x == v })
		}
	}
	return strings.Join(list, ",")
}
