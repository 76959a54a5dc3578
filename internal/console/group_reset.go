package console

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// ResetMethod says where reset-offsets moves a group's offsets.
type ResetMethod int

// The reset methods of kafka-consumer-groups --reset-offsets.
const (
	// ResetToEarliest moves to the log start offset.
	ResetToEarliest ResetMethod = iota + 1
	// ResetToLatest moves to the log end offset.
	ResetToLatest
	// ResetToOffset moves to ResetOptions.Offset, clamped to the log.
	ResetToOffset
	// ResetShiftBy moves the committed offset by ResetOptions.Offset
	// (negative: back), clamped to the log.
	ResetShiftBy
	// ResetToDatetime moves to the first record whose timestamp is at or
	// after ResetOptions.Time, or to the log end when there is none.
	ResetToDatetime
)

// TopicPartitions names a topic and some of its partitions; no partitions
// means all of them.
type TopicPartitions struct {
	// Topic is the topic name.
	Topic string
	// Partitions are the chosen partitions; empty for all.
	Partitions []int32
}

// ParseTopicPartitions parses the --topic argument of reset-offsets: a topic
// name, optionally followed by a colon and a comma-separated partition list
// (orders:0,2).
func ParseTopicPartitions(s string) (TopicPartitions, error) {
	topic, list, hasList := strings.Cut(s, ":")
	topic = strings.TrimSpace(topic)
	if topic == "" {
		return TopicPartitions{}, fmt.Errorf("%w: --topic %q: empty topic name", ErrInvalidArgument, s)
	}
	tp := TopicPartitions{Topic: topic}
	if !hasList {
		return tp, nil
	}
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || n < 0 {
			return TopicPartitions{}, fmt.Errorf("%w: --topic %q: partition %q is not a non-negative number",
				ErrInvalidArgument, s, p)
		}
		if !slices.Contains(tp.Partitions, int32(n)) {
			tp.Partitions = append(tp.Partitions, int32(n))
		}
	}
	return tp, nil
}

// datetimeLayouts are the forms --to-datetime accepts: Kafka's
// yyyy-MM-dd'T'HH:mm:ss.SSS, with or without milliseconds, with or without
// a zone (RFC 3339 is one of them). Without a zone the time is local, as in
// kafka-consumer-groups.
var datetimeLayouts = []string{
	"2006-01-02T15:04:05.000Z07:00",
	"2006-01-02T15:04:05.000Z0700",
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.000",
	"2006-01-02T15:04:05",
}

// ParseResetDatetime parses the argument of --to-datetime.
func ParseResetDatetime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range datetimeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: datetime %q: want 2006-01-02T15:04:05.000 (local time) or RFC 3339",
		ErrInvalidArgument, s)
}

// ResetOptions says which offsets of a group reset-offsets moves, and where.
type ResetOptions struct {
	// Group is the consumer group.
	Group string
	// Topics are the topics (and partitions) to reset.
	Topics []TopicPartitions
	// AllTopics resets every partition the group has a committed offset
	// for; it excludes Topics.
	AllTopics bool
	// Method says where the offsets go.
	Method ResetMethod
	// Offset is the target offset of ResetToOffset and the shift of
	// ResetShiftBy.
	Offset int64
	// Time is the target of ResetToDatetime.
	Time time.Time
	// Execute commits the new offsets; without it the plan is only
	// computed (a dry run).
	Execute bool
}

func (o *ResetOptions) validate() error {
	switch {
	case o.Group == "":
		return fmt.Errorf("%w: empty group id", ErrInvalidArgument)
	case o.AllTopics && len(o.Topics) > 0:
		return fmt.Errorf("%w: --all-topics and --topic exclude each other", ErrInvalidArgument)
	case !o.AllTopics && len(o.Topics) == 0:
		return fmt.Errorf("%w: give --topic or --all-topics", ErrInvalidArgument)
	case o.Method < ResetToEarliest || o.Method > ResetToDatetime:
		return fmt.Errorf("%w: give one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime",
			ErrInvalidArgument)
	case o.Method == ResetToOffset && o.Offset < 0:
		return fmt.Errorf("%w: --to-offset %d is negative", ErrInvalidArgument, o.Offset)
	case o.Method == ResetToDatetime && o.Time.IsZero():
		return fmt.Errorf("%w: --to-datetime needs a time", ErrInvalidArgument)
	}
	return nil
}

// OffsetReset is one line of a reset plan: the offset a partition's
// committed offset moves to.
type OffsetReset struct {
	// Topic and Partition identify the partition.
	Topic     string
	Partition int32
	// Offset is the new committed offset.
	Offset int64
}

// ResetOffsets computes where the group's offsets go and, with
// opts.Execute, commits them as a simple commit (no generation, no member),
// which the coordinator accepts only while the group has no members. The
// group must be inactive (Empty, or Dead when it does not exist yet);
// otherwise the error is a *GroupStateError. It returns the plan, sorted by
// topic and partition.
func (a *GroupAdmin) ResetOffsets(opts ResetOptions) ([]OffsetReset, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	descs, err := a.admin.DescribeConsumerGroups([]string{opts.Group})
	if err != nil {
		return nil, fmt.Errorf("describe group '%s': %w", opts.Group, fromSarama(err))
	}
	if len(descs) != 1 {
		return nil, fmt.Errorf("describe group '%s': %w", opts.Group, fromSarama(sarama.ErrIncompleteResponse))
	}
	switch d := descs[0]; {
	case d.ErrorCode == int16(sarama.ErrGroupIDNotFound):
	case d.ErrorCode != 0:
		return nil, fmt.Errorf("describe group '%s': %w", opts.Group, newBrokerError(d.ErrorCode, ""))
	case d.State != GroupStateEmpty && d.State != GroupStateDead:
		return nil, &GroupStateError{Group: opts.Group, State: d.State}
	}

	committed, err := a.committedOffsets(opts.Group)
	if err != nil {
		return nil, err
	}
	tps, err := a.resetPartitions(opts, committed)
	if err != nil {
		return nil, err
	}
	if len(tps) == 0 {
		return nil, nil
	}
	logs := make(map[topicPartition]partitionOffsets, len(tps))
	queries := []int64{sarama.OffsetOldest, sarama.OffsetNewest}
	if opts.Method == ResetToDatetime {
		queries = append(queries, opts.Time.UnixMilli())
	}
	for _, q := range queries {
		res, err := a.listOffsets(tps, q)
		if err != nil {
			return nil, err
		}
		for tp, r := range res {
			if r.err != nil {
				return nil, fmt.Errorf("offsets of %s-%d: %w", tp.topic, tp.partition, r.err)
			}
			po := logs[tp]
			switch q {
			case sarama.OffsetOldest:
				po.start = r.offset
			case sarama.OffsetNewest:
				po.end = r.offset
			default:
				po.atTime = r.offset
			}
			logs[tp] = po
		}
	}
	for tp, po := range logs {
		po.committed = -1
		if c, ok := committed[tp]; ok && c.err == nil {
			po.committed = c.offset
		}
		logs[tp] = po
	}
	plan, err := planResets(opts, tps, logs)
	if err != nil || !opts.Execute {
		return plan, err
	}
	return plan, a.commit(opts.Group, plan)
}

// resetPartitions lists the partitions a reset applies to, sorted.
func (a *GroupAdmin) resetPartitions(opts ResetOptions, committed map[topicPartition]offsetResult) ([]topicPartition, error) {
	var tps []topicPartition
	if opts.AllTopics {
		for tp := range committed {
			tps = append(tps, tp)
		}
	}
	for _, t := range opts.Topics {
		all, err := a.client.Partitions(t.Topic)
		if err != nil {
			return nil, fmt.Errorf("topic %q: %w", t.Topic, fromSarama(err))
		}
		chosen := t.Partitions
		if len(chosen) == 0 {
			chosen = all
		}
		for _, p := range chosen {
			if !slices.Contains(all, p) {
				return nil, fmt.Errorf("topic %q has %d partitions: %w %d", t.Topic, len(all), ErrUnknownPartition, p)
			}
			if tp := (topicPartition{t.Topic, p}); !slices.Contains(tps, tp) {
				tps = append(tps, tp)
			}
		}
	}
	slices.SortFunc(tps, compareTopicPartition)
	return tps, nil
}

// partitionOffsets are the offsets of one partition a reset is computed
// from.
type partitionOffsets struct {
	start, end int64 // log start and end
	committed  int64 // the group's committed offset, -1 if none
	atTime     int64 // first offset at or after ResetOptions.Time, -1 if none
}

// planResets computes the new offset of every partition in tps. It does no
// I/O. Targets outside the log are clamped into [start, end], as Kafka does.
func planResets(opts ResetOptions, tps []topicPartition, logs map[topicPartition]partitionOffsets) ([]OffsetReset, error) {
	plan := make([]OffsetReset, 0, len(tps))
	for _, tp := range tps {
		po := logs[tp]
		var off int64
		switch opts.Method {
		case ResetToEarliest:
			off = po.start
		case ResetToLatest:
			off = po.end
		case ResetToOffset:
			off = opts.Offset
		case ResetShiftBy:
			if po.committed < 0 {
				return nil, fmt.Errorf("%w: cannot shift the offset of %s-%d: the group has no committed offset for it",
					ErrInvalidArgument, tp.topic, tp.partition)
			}
			off = po.committed + opts.Offset
		case ResetToDatetime:
			off = po.atTime
			if off < 0 {
				off = po.end
			}
		default:
			return nil, fmt.Errorf("%w: unknown reset method %d", ErrInvalidArgument, opts.Method)
		}
		off = min(max(off, po.start), po.end)
		plan = append(plan, OffsetReset{Topic: tp.topic, Partition: tp.partition, Offset: off})
	}
	return plan, nil
}

// commit stores plan as the group's committed offsets with a simple commit.
func (a *GroupAdmin) commit(group string, plan []OffsetReset) error {
	offsets := map[string]map[int32]sarama.OffsetAndMetadata{}
	for _, r := range plan {
		if offsets[r.Topic] == nil {
			offsets[r.Topic] = map[int32]sarama.OffsetAndMetadata{}
		}
		offsets[r.Topic][r.Partition] = sarama.OffsetAndMetadata{Offset: r.Offset, LeaderEpoch: -1}
	}
	resp, err := a.admin.AlterConsumerGroupOffsets(group, offsets, nil)
	if err != nil {
		return fmt.Errorf("commit offsets of group '%s': %w", group, fromSarama(err))
	}
	var errs []error
	for _, r := range plan {
		kerr, ok := resp.Errors[r.Topic][r.Partition]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("commit %s-%d: %w", r.Topic, r.Partition, fromSarama(sarama.ErrIncompleteResponse)))
		case kerr != sarama.ErrNoError:
			errs = append(errs, fmt.Errorf("commit %s-%d: %w", r.Topic, r.Partition, newBrokerError(int16(kerr), "")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("commit offsets of group '%s': %w", group, err)
	}
	return nil
}
