package broker

import (
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(32, 0, 4, handleDescribeConfigs) }

func handleDescribeConfigs(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewDescribeConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		var err error
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			sr.Configs, err = c.s.describeTopicConfigs(req, rr)
		case kmsg.ConfigResourceTypeBroker:
			sr.Configs, err = c.s.describeBrokerConfigs(req, rr)
		default:
			err = newTopicError(kerr.InvalidRequest, "Config resource type %s is not supported by this broker", rr.ResourceType)
		}
		sr.ErrorCode, sr.ErrorMessage = kafkaError(err)
		resp.Resources = append(resp.Resources, sr)
	}
	return now(resp)
}

func (s *Server) describeTopicConfigs(req *kmsg.DescribeConfigsRequest, rr kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	t := s.topics.get(rr.ResourceName)
	if t == nil {
		return nil, newTopicError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", rr.ResourceName)
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, name := range topicConfigNames() {
		if rr.ConfigNames != nil && !slices.Contains(rr.ConfigNames, name) {
			continue
		}
		def := topicConfigDefs[name]
		value, source := effectiveTopicConfig(name, t.configs, s.cfg.TopicDefaults)
		cfg := configEntry(req, name, value, source, def.typ, def.doc, false)
		if req.IncludeSynonyms {
			if v, ok := t.configs[name]; ok {
				cfg.ConfigSynonyms = append(cfg.ConfigSynonyms, synonym(name, v, kmsg.ConfigSourceDynamicTopicConfig))
			}
			for prop, key := range serverPropertyToTopicConfig {
				if v, ok := s.cfg.TopicDefaults[key]; ok && key == name {
					cfg.ConfigSynonyms = append(cfg.ConfigSynonyms, synonym(prop, v, kmsg.ConfigSourceStaticBrokerConfig))
				}
			}
			cfg.ConfigSynonyms = append(cfg.ConfigSynonyms, synonym(name, def.def, kmsg.ConfigSourceDefaultConfig))
		}
		out = append(out, cfg)
	}
	return out, nil
}

func (s *Server) describeBrokerConfigs(req *kmsg.DescribeConfigsRequest, rr kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	if rr.ResourceName != "" && rr.ResourceName != strconv.Itoa(int(s.cfg.NodeID)) {
		return nil, newTopicError(kerr.InvalidRequest, "Broker %s is not this broker (node %d)", rr.ResourceName, s.cfg.NodeID)
	}
	host, port := s.advertised()
	entries := []struct {
		name, value string
		typ         kmsg.ConfigType
	}{
		{"node.id", strconv.Itoa(int(s.cfg.NodeID)), kmsg.ConfigTypeInt},
		{"num.partitions", strconv.Itoa(int(s.cfg.NumPartitions)), kmsg.ConfigTypeInt},
		{"auto.create.topics.enable", strconv.FormatBool(s.cfg.AutoCreateTopics), kmsg.ConfigTypeBoolean},
		{"log.dirs", s.cfg.DataDir, kmsg.ConfigTypeString},
		{"listeners", "PLAINTEXT://" + s.cfg.Listen, kmsg.ConfigTypeString},
		{"advertised.listeners", "PLAINTEXT://" + host + ":" + strconv.Itoa(int(port)), kmsg.ConfigTypeString},
		{"socket.request.max.bytes", strconv.Itoa(int(s.cfg.SocketRequestMaxBytes)), kmsg.ConfigTypeInt},
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, e := range entries {
		if rr.ConfigNames == nil || slices.Contains(rr.ConfigNames, e.name) {
			out = append(out, configEntry(req, e.name, e.value, kmsg.ConfigSourceStaticBrokerConfig, e.typ, "", true))
		}
	}
	for prop, key := range serverPropertyToTopicConfig {
		if rr.ConfigNames != nil && !slices.Contains(rr.ConfigNames, prop) {
			continue
		}
		value, source := effectiveTopicConfig(key, nil, s.cfg.TopicDefaults)
		out = append(out, configEntry(req, prop, value, source, topicConfigDefs[key].typ, topicConfigDefs[key].doc, true))
	}
	slices.SortFunc(out, func(a, b kmsg.DescribeConfigsResponseResourceConfig) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

func configEntry(req *kmsg.DescribeConfigsRequest, name, value string, source kmsg.ConfigSource, typ kmsg.ConfigType, doc string, readOnly bool) kmsg.DescribeConfigsResponseResourceConfig {
	cfg := kmsg.NewDescribeConfigsResponseResourceConfig()
	cfg.Name, cfg.Value, cfg.ReadOnly = name, &value, readOnly
	cfg.Source, cfg.IsDefault = source, source == kmsg.ConfigSourceDefaultConfig
	cfg.ConfigType = typ
	if req.IncludeDocumentation && doc != "" {
		cfg.Documentation = &doc
	}
	return cfg
}

func synonym(name, value string, source kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	syn.Name, syn.Value, syn.Source = name, &value, source
	return syn
}
