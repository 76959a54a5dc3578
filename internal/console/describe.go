package console

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DescribeOptions controls how WriteDescriptions prints topics.
type DescribeOptions struct {
	// AllConfigs lists every config with its source instead of only the
	// topic-level overrides.
	AllConfigs bool
}

// WriteDescriptions prints topics the way kafka-topics --describe does: a
// header line per topic with its config overrides, then one line per
// partition with leader, replicas, ISR and the log start and end offsets.
func WriteDescriptions(w io.Writer, descs []TopicDescription, opts DescribeOptions) error {
	tw := bufio.NewWriter(w)
	for i, d := range descs {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "Topic: %s", d.Name)
		if d.ID != "" {
			fmt.Fprintf(tw, "\tTopicId: %s", d.ID)
		}
		fmt.Fprintf(tw, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
			len(d.Partitions), d.ReplicationFactor(), overrides(d))
		for _, p := range d.Partitions {
			fmt.Fprintf(tw, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tLogStartOffset: %s\tLogEndOffset: %s",
				d.Name, p.ID, brokerID(p.Leader), ids(p.Replicas), ids(p.ISR), offset(p.LogStartOffset), offset(p.LogEndOffset))
			if p.Err != nil {
				fmt.Fprintf(tw, "\tError: %v", p.Err)
			}
			fmt.Fprintln(tw)
		}
		if d.ConfigErr != nil {
			fmt.Fprintf(tw, "\tConfigs unavailable: %v\n", d.ConfigErr)
		} else if opts.AllConfigs {
			fmt.Fprintf(tw, "\tAll configs:\n")
			width := 0
			for _, c := range d.Configs {
				width = max(width, len(c.Name)+1+len(configValue(c)))
			}
			for _, c := range d.Configs {
				fmt.Fprintf(tw, "\t  %-*s  (%s)\n", width, c.Name+"="+configValue(c), sourceName(c))
			}
		}
	}
	return tw.Flush()
}

// overrides joins a topic's config overrides as name=value,name=value.
func overrides(d TopicDescription) string {
	if d.ConfigErr != nil {
		return "?"
	}
	var parts []string
	for _, c := range d.Configs {
		if c.Override() {
			parts = append(parts, c.Name+"="+configValue(c))
		}
	}
	return strings.Join(parts, ",")
}

func configValue(c ConfigInfo) string {
	if c.Sensitive {
		return "<sensitive>"
	}
	return c.Value
}

// sourceName returns Kafka's name for where a config value comes from.
func sourceName(c ConfigInfo) string {
	switch c.Source.String() {
	case "Topic":
		return "DYNAMIC_TOPIC_CONFIG"
	case "DynamicBroker":
		return "DYNAMIC_BROKER_CONFIG"
	case "DynamicDefaultBroker":
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case "StaticBroker":
		return "STATIC_BROKER_CONFIG"
	case "Default":
		return "DEFAULT_CONFIG"
	}
	if c.Default {
		return "DEFAULT_CONFIG"
	}
	return "UNKNOWN"
}

func brokerID(id int32) string {
	if id < 0 {
		return "none"
	}
	return strconv.Itoa(int(id))
}

func ids(v []int32) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func offset(o int64) string {
	if o < 0 {
		return "?"
	}
	return strconv.FormatInt(o, 10)
}
