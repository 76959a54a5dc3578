package console

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"
)

// TopicSpec describes a topic to create.
type TopicSpec struct {
	// Name is the topic name.
	Name string
	// Partitions is the number of partitions; -1 asks for the broker default
	// (brokers that predate CreateTopics v4 reject -1).
	Partitions int32
	// ReplicationFactor is the number of replicas; -1 asks for the broker
	// default (CreateTopics v4+).
	ReplicationFactor int16
	// Configs are topic-level config overrides such as cleanup.policy.
	Configs map[string]string
	// ValidateOnly asks the broker to check the request without creating
	// the topic.
	ValidateOnly bool
	// IfNotExists makes Create succeed when the topic already exists.
	IfNotExists bool
}

// PartitionInfo is what describe shows for one partition.
type PartitionInfo struct {
	// ID is the partition number.
	ID int32
	// Leader is the leader broker id, -1 when there is none.
	Leader int32
	// Replicas and ISR are the replica broker ids and the in-sync subset.
	Replicas, ISR []int32
	// LogStartOffset is the earliest offset still in the log.
	LogStartOffset int64
	// LogEndOffset is the high watermark: the offset the next record gets.
	LogEndOffset int64
	// Err is a per-partition error from metadata or offset lookups, if any.
	Err error
}

// ConfigInfo is one topic config entry as the broker describes it.
type ConfigInfo struct {
	// Name and Value of the config; Value is empty for sensitive entries.
	Name, Value string
	// Source says where the value comes from (topic override, broker, default).
	Source sarama.ConfigSource
	// Default is true when the value is the broker's default for the topic.
	Default bool
	// ReadOnly and Sensitive are the broker's flags for the entry.
	ReadOnly, Sensitive bool
}

// Override reports whether the entry is a topic-level override, the entries
// kafka-topics --describe lists.
func (c ConfigInfo) Override() bool {
	if c.Source == sarama.SourceUnknown {
		return !c.Default
	}
	return c.Source == sarama.SourceTopic
}

// TopicDescription is the result of describing one topic.
type TopicDescription struct {
	// Name is the topic name.
	Name string
	// ID is the topic id the broker reported, empty when it sent none.
	ID string
	// Internal is set for broker-internal topics such as __consumer_offsets.
	Internal bool
	// Partitions are sorted by partition id.
	Partitions []PartitionInfo
	// Configs are sorted by name; all of them, not only overrides.
	Configs []ConfigInfo
	// ConfigErr is set when the topic's configs could not be described.
	ConfigErr error
}

// ReplicationFactor returns the replica count of the topic's first partition.
func (d *TopicDescription) ReplicationFactor() int {
	if len(d.Partitions) == 0 {
		return 0
	}
	return len(d.Partitions[0].Replicas)
}

// TopicAdmin runs topic administration requests against a cluster. It owns
// one sarama client; Close releases it.
type TopicAdmin struct {
	client sarama.Client
	admin  sarama.ClusterAdmin
}

// NewTopicAdmin connects to the cluster at the given bootstrap addresses.
func NewTopicAdmin(addrs []string) (*TopicAdmin, error) {
	conf := NewSaramaConfig()
	client, err := sarama.NewClient(addrs, conf)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", addrs, err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connect to %v: %w", addrs, err)
	}
	return &TopicAdmin{client: client, admin: admin}, nil
}

// Close closes the connections to the cluster.
func (a *TopicAdmin) Close() error {
	return a.admin.Close()
}

// Create creates a topic and reports whether it did (false when it existed
// and IfNotExists is set, or with ValidateOnly). Broker errors are returned as
// *BrokerError.
func (a *TopicAdmin) Create(spec TopicSpec) (bool, error) {
	if spec.Name == "" {
		return false, fmt.Errorf("%w: empty topic name", ErrInvalidArgument)
	}
	detail := &sarama.TopicDetail{
		NumPartitions:     spec.Partitions,
		ReplicationFactor: spec.ReplicationFactor,
	}
	if len(spec.Configs) > 0 {
		detail.ConfigEntries = make(map[string]*string, len(spec.Configs))
		for k, v := range spec.Configs {
			detail.ConfigEntries[k] = &v
		}
	}
	if err := a.admin.CreateTopic(spec.Name, detail, spec.ValidateOnly); err != nil {
		if spec.IfNotExists && errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return false, nil
		}
		return false, fmt.Errorf("create topic %q: %w", spec.Name, fromSarama(err))
	}
	return !spec.ValidateOnly, nil
}

// List returns the names of all topics, sorted. Internal topics (names
// starting with "__") are left out unless includeInternal is set.
func (a *TopicAdmin) List(includeInternal bool) ([]string, error) {
	md, err := a.admin.DescribeTopics(nil)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", fromSarama(err))
	}
	names := make([]string, 0, len(md))
	for _, t := range md {
		if !includeInternal && (t.IsInternal || len(t.Name) > 1 && t.Name[:2] == "__") {
			continue
		}
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return names, nil
}

// Delete deletes the named topics, one request each, and returns the joined
// errors of those that failed. With ifExists, topics that do not exist are
// not an error.
func (a *TopicAdmin) Delete(names []string, ifExists bool) error {
	var errs []error
	for _, n := range names {
		if err := a.admin.DeleteTopic(n); err != nil {
			if ifExists && errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
				continue
			}
			errs = append(errs, fmt.Errorf("delete topic %q: %w", n, fromSarama(err)))
		}
	}
	return errors.Join(errs...)
}

// AlterConfigs changes topic configs with IncrementalAlterConfigs: set holds
// the entries to set, remove the names to delete (back to the default).
func (a *TopicAdmin) AlterConfigs(topic string, set map[string]string, remove []string) error {
	if len(set) == 0 && len(remove) == 0 {
		return fmt.Errorf("%w: nothing to alter: give -c key=value or --delete-config key", ErrInvalidArgument)
	}
	entries := make(map[string]sarama.IncrementalAlterConfigsEntry, len(set)+len(remove))
	for k, v := range set {
		entries[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}
	}
	for _, k := range remove {
		if _, dup := entries[k]; dup {
			return fmt.Errorf("%w: config %q is both set and deleted", ErrInvalidArgument, k)
		}
		entries[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationDelete}
	}
	if err := a.admin.IncrementalAlterConfig(sarama.TopicResource, topic, entries, false); err != nil {
		return fmt.Errorf("alter configs of topic %q: %w", topic, fromSarama(err))
	}
	return nil
}

// Describe returns partitions, offsets and configs of the named topics, or of
// every topic when names is empty. A topic that does not exist makes the
// whole call fail with a *BrokerError (UNKNOWN_TOPIC_OR_PARTITION).
func (a *TopicAdmin) Describe(names []string) ([]TopicDescription, error) {
	md, err := a.admin.DescribeTopics(names)
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", fromSarama(err))
	}
	descs := make([]TopicDescription, 0, len(md))
	for _, t := range md {
		if !errors.Is(t.Err, sarama.ErrNoError) {
			return nil, fmt.Errorf("describe topic %q: %w", t.Name, newBrokerError(int16(t.Err), ""))
		}
		d := TopicDescription{Name: t.Name, Internal: t.IsInternal}
		if t.Uuid != (sarama.Uuid{}) {
			d.ID = t.Uuid.String()
		}
		for _, p := range t.Partitions {
			pi := PartitionInfo{ID: p.ID, Leader: p.Leader, Replicas: p.Replicas, ISR: p.Isr,
				LogStartOffset: -1, LogEndOffset: -1}
			if !errors.Is(p.Err, sarama.ErrNoError) {
				pi.Err = newBrokerError(int16(p.Err), "")
			}
			d.Partitions = append(d.Partitions, pi)
		}
		slices.SortFunc(d.Partitions, func(x, y PartitionInfo) int { return cmp.Compare(x.ID, y.ID) })
		descs = append(descs, d)
	}
	slices.SortFunc(descs, func(x, y TopicDescription) int { return cmp.Compare(x.Name, y.Name) })
	if err := a.fillOffsets(descs); err != nil {
		return nil, err
	}
	a.fillConfigs(descs)
	return descs, nil
}

// fillOffsets looks up log start and end offsets with one ListOffsets request
// per leader and per kind (earliest, latest).
func (a *TopicAdmin) fillOffsets(descs []TopicDescription) error {
	// Metadata for the topics we describe must be known to find leaders.
	topics := make([]string, 0, len(descs))
	for _, d := range descs {
		topics = append(topics, d.Name)
	}
	if len(topics) == 0 {
		return nil
	}
	if err := a.client.RefreshMetadata(topics...); err != nil {
		return fmt.Errorf("refresh metadata: %w", fromSarama(err))
	}
	type ref struct{ d, p int }
	byLeader := map[*sarama.Broker][]ref{}
	for di := range descs {
		for pi := range descs[di].Partitions {
			p := &descs[di].Partitions[pi]
			if p.Leader < 0 {
				continue
			}
			b, err := a.client.Leader(descs[di].Name, p.ID)
			if err != nil {
				p.Err = fromSarama(err)
				continue
			}
			byLeader[b] = append(byLeader[b], ref{di, pi})
		}
	}
	for b, refs := range byLeader {
		for _, ts := range []int64{sarama.OffsetOldest, sarama.OffsetNewest} {
			req := sarama.NewOffsetRequest(a.client.Config().Version)
			for _, r := range refs {
				req.AddBlock(descs[r.d].Name, descs[r.d].Partitions[r.p].ID, ts, 1)
			}
			resp, err := b.GetAvailableOffsets(req)
			if err != nil {
				return fmt.Errorf("list offsets from broker %d: %w", b.ID(), fromSarama(err))
			}
			for _, r := range refs {
				p := &descs[r.d].Partitions[r.p]
				blk := resp.GetBlock(descs[r.d].Name, p.ID)
				switch {
				case blk == nil:
					p.Err = fromSarama(sarama.ErrIncompleteResponse)
				case !errors.Is(blk.Err, sarama.ErrNoError):
					p.Err = newBrokerError(int16(blk.Err), "")
				default:
					off := blk.Offset
					if len(blk.Offsets) > 0 {
						off = blk.Offsets[0]
					}
					if ts == sarama.OffsetOldest {
						p.LogStartOffset = off
					} else {
						p.LogEndOffset = off
					}
				}
			}
		}
	}
	return nil
}

// fillConfigs describes the topics' configs in one request; a failure is
// recorded per topic rather than failing the describe.
func (a *TopicAdmin) fillConfigs(descs []TopicDescription) {
	if len(descs) == 0 {
		return
	}
	res := make([]*sarama.ConfigResource, 0, len(descs))
	for _, d := range descs {
		res = append(res, &sarama.ConfigResource{Type: sarama.TopicResource, Name: d.Name})
	}
	results, err := a.admin.DescribeConfigs(res, sarama.DescribeConfigsOptions{})
	if err != nil {
		err = fmt.Errorf("describe configs: %w", fromSarama(err))
		for i := range descs {
			descs[i].ConfigErr = err
		}
		return
	}
	byName := make(map[string]*sarama.ConfigResourceResult, len(results))
	for _, r := range results {
		byName[r.Name] = r
	}
	for i := range descs {
		r := byName[descs[i].Name]
		switch {
		case r == nil:
			descs[i].ConfigErr = fmt.Errorf("describe configs: %w", fromSarama(sarama.ErrIncompleteResponse))
		case r.ErrorCode != 0:
			descs[i].ConfigErr = newBrokerError(int16(r.ErrorCode), r.ErrorMsg)
		default:
			for _, c := range r.Configs {
				descs[i].Configs = append(descs[i].Configs, ConfigInfo{
					Name: c.Name, Value: c.Value, Source: c.Source, Default: c.Default,
					ReadOnly: c.ReadOnly, Sensitive: c.Sensitive,
				})
			}
			slices.SortFunc(descs[i].Configs, func(x, y ConfigInfo) int { return cmp.Compare(x.Name, y.Name) })
		}
	}
}
