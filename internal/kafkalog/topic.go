package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/IBM/sarama"
)

const cleanupPolicy = "cleanup.policy"

// ensureTopic creates the topic if it does not exist, with cleanup.policy
// forced to compact, waits until its metadata is visible, checks that an
// existing topic is compacted, and returns the partition count.
func ensureTopic(ctx context.Context, client sarama.Client, cfg *Config) (int32, error) {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return 0, fmt.Errorf("admin client: %w", err)
	}
	// Closing admin would close the shared client; it holds nothing else.

	exists, err := topicExists(admin, cfg.Topic)
	if err != nil {
		return 0, err
	}
	if !exists {
		entries := make(map[string]*string, len(cfg.TopicConfigs)+1)
		for k, v := range cfg.TopicConfigs {
			entries[k] = &v
		}
		compact := "compact"
		entries[cleanupPolicy] = &compact
		detail := &sarama.TopicDetail{
			NumPartitions:     cfg.Partitions,
			ReplicationFactor: cfg.ReplicationFactor,
			ConfigEntries:     entries,
		}
		err := admin.CreateTopic(cfg.Topic, detail, false)
		switch {
		case err == nil:
			cfg.Logger.Info("created internal topic", "topic", cfg.Topic, "partitions", cfg.Partitions, "replication_factor", cfg.ReplicationFactor)
		case errors.Is(err, sarama.ErrTopicAlreadyExists):
			// Another worker won the race; check it like any existing topic.
		default:
			return 0, fmt.Errorf("create topic %s: %w", cfg.Topic, err)
		}
	}
	if err := checkCompacted(admin, cfg); err != nil {
		return 0, err
	}
	return waitPartitions(ctx, client, cfg)
}

func topicExists(admin sarama.ClusterAdmin, topic string) (bool, error) {
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil {
		return false, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	for _, t := range md {
		if t.Name != topic {
			continue
		}
		switch {
		case errors.Is(t.Err, sarama.ErrNoError):
			return true, nil
		case errors.Is(t.Err, sarama.ErrUnknownTopicOrPartition):
			return false, nil
		default:
			return false, fmt.Errorf("describe topic %s: %w", topic, t.Err)
		}
	}
	return false, nil
}

// checkCompacted fails unless the topic's cleanup.policy is exactly compact,
// as Kafka Connect requires of its internal topics. When the cluster does not
// let us read topic configs (old broker, missing DescribeConfigs ACL) the check
// is skipped with a warning, as Kafka Connect does.
func checkCompacted(admin sarama.ClusterAdmin, cfg *Config) error {
	entries, err := admin.DescribeConfig(sarama.ConfigResource{
		Type:        sarama.TopicResource,
		Name:        cfg.Topic,
		ConfigNames: []string{cleanupPolicy},
	})
	if err != nil {
		if errors.Is(err, sarama.ErrTopicAuthorizationFailed) || errors.Is(err, sarama.ErrClusterAuthorizationFailed) ||
			errors.Is(err, sarama.ErrUnsupportedVersion) {
			cfg.Logger.Warn("cannot verify that the topic is compacted", "topic", cfg.Topic, "error", err)
			return nil
		}
		return fmt.Errorf("describe configs of topic %s: %w", cfg.Topic, err)
	}
	for _, e := range entries {
		if e.Name != cleanupPolicy {
			continue
		}
		var policies []string
		for p := range strings.SplitSeq(e.Value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				policies = append(policies, p)
			}
		}
		slices.Sort(policies)
		policies = slices.Compact(policies)
		if len(policies) == 1 && policies[0] == "compact" {
			return nil
		}
		return fmt.Errorf("%w: topic '%s' supplied via the '%s' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of %s, but found the topic currently has 'cleanup.policy=%s'; continuing would likely result in eventually losing %s; change the '%s' property to use a topic with 'cleanup.policy=compact'",
			ErrNotCompacted, cfg.Topic, cfg.ConfigKey, cfg.Purpose, e.Value, cfg.Purpose, cfg.ConfigKey)
	}
	cfg.Logger.Warn("cannot verify that the topic is compacted: cleanup.policy not reported", "topic", cfg.Topic)
	return nil
}

// waitPartitions refreshes metadata until every partition of the topic has a
// leader (a freshly created topic may take a moment to appear) and returns
// the partition count.
func waitPartitions(ctx context.Context, client sarama.Client, cfg *Config) (int32, error) {
	for {
		n, err := leadersKnown(client, cfg.Topic)
		if err == nil {
			return n, nil
		}
		if perr := pause(ctx, cfg.RetryBackoff); perr != nil {
			return 0, fmt.Errorf("wait for topic %s: %w (last error: %v)", cfg.Topic, perr, err)
		}
	}
}

// leadersKnown refreshes the topic's metadata and returns its partition
// count if every partition has a leader.
func leadersKnown(client sarama.Client, topic string) (int32, error) {
	if err := client.RefreshMetadata(topic); err != nil {
		return 0, err
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0, err
	}
	if len(parts) == 0 {
		return 0, sarama.ErrUnknownTopicOrPartition
	}
	for _, p := range parts {
		if _, err := client.Leader(topic, p); err != nil {
			return 0, err
		}
	}
	return int32(len(parts)), nil
}
