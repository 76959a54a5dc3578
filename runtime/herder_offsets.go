package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"conflux/configs"
	"conflux/offsets"
	"conflux/runtime/status"
)

// Keys of a sink connector's offsets in the REST API (KIP-875).
const (
	sinkTopicKey     = "kafka_topic"
	sinkPartitionKey = "kafka_partition"
	sinkOffsetKey    = "kafka_offset"
)

// sinkGroup is the consumer group of a sink connector's tasks.
func sinkGroup(name string) string { return "connect-" + name }

// ConnectorOffsets implements Herder: a source connector's offsets from the
// offsets topic, a sink connector's from its consumer group.
func (w *Worker) ConnectorOffsets(ctx context.Context, name string) (ConnectorOffsets, error) {
	snap, err := w.snapshot(ctx)
	if err != nil {
		return ConnectorOffsets{}, err
	}
	cfg, err := connectorIn(snap, name)
	if err != nil {
		return ConnectorOffsets{}, err
	}
	out := ConnectorOffsets{Offsets: []PartitionOffset{}}
	if w.typeOf(cfg) == TypeSink {
		committed, err := w.groupOffsets(name)
		if err != nil {
			return ConnectorOffsets{}, err
		}
		for _, c := range committed {
			out.Offsets = append(out.Offsets, PartitionOffset{
				Partition: map[string]any{sinkTopicKey: c.topic, sinkPartitionKey: int64(c.partition)},
				Offset:    map[string]any{sinkOffsetKey: c.offset},
			})
		}
		return out, nil
	}
	pos, err := w.offsets.ConnectorOffsets(ctx, name)
	if err != nil {
		return ConnectorOffsets{}, err
	}
	for _, po := range pos {
		out.Offsets = append(out.Offsets, PartitionOffset(po))
	}
	return out, nil
}

// checkStopped returns Kafka Connect's error for offset changes on a
// connector that is not stopped.
func checkStopped(snap configs.Snapshot, name string) error {
	if snap.TargetStates[name] != configs.TargetStopped || len(snap.Tasks[name]) != 0 {
		return fmt.Errorf("%w: Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint",
			ErrBadRequest, name)
	}
	return nil
}

// awaitTasksGone waits until no task of a stopped connector reports a live
// state on the status topic. Stopping a connector first removes its task
// configs, so the status says STOPPED while its tasks are still flushing
// their last offsets and leaving the group; an offset change made then
// would be overwritten by that final commit. Each task reports UNASSIGNED
// (or FAILED) only after it, so once none is live the change is safe.
// Statuses of workers that are no longer in the group (one that died
// without a last word) do not count. The wait is bounded by the time a task
// may take to stop and flush; a task that takes longer is named in a
// conflict error for the user to retry.
func (w *Worker) awaitTasksGone(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.TaskShutdownTimeout+w.cfg.OffsetFlushTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := w.statuses.Sync(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		var live []string
		members := w.Membership()
		for _, ts := range w.statuses.Tasks(name) {
			if !members.inGeneration(ts.WorkerID) {
				continue // its worker left the group: it stopped, or died, without a last word
			}
			switch ts.State {
			case status.Running, status.Paused, status.Restarting:
				live = append(live, fmt.Sprintf("task %s is %s on worker %s", ts.ID, ts.State, ts.WorkerID))
			}
		}
		if len(live) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: connector %s is stopped but its tasks have not finished yet (%s); "+
				"their last offset commit could overwrite this change, so try again once they are gone",
				ErrConflict, name, strings.Join(live, "; "))
		case <-tick.C:
		}
	}
}

// AlterConnectorOffsets implements Herder; the leader changes the offsets,
// other workers forward the request to it.
func (w *Worker) AlterConnectorOffsets(ctx context.Context, name string, offs ConnectorOffsets) (string, error) {
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return "", err
		}
		return w.forwardOffsets(ctx, leader, forwardRequest{method: http.MethodPatch, path: connectorPath(name, "/offsets"), body: offs})
	}
	snap, err := w.snapshot(ctx)
	if err != nil {
		return "", err
	}
	cfg, err := connectorIn(snap, name)
	if err != nil {
		return "", err
	}
	if err := checkStopped(snap, name); err != nil {
		return "", err
	}
	if err := w.awaitTasksGone(ctx, name); err != nil {
		return "", err
	}
	sink := w.typeOf(cfg) == TypeSink
	kind := "source"
	if sink {
		kind = "sink"
	}
	for _, po := range offs.Offsets {
		if po.Partition == nil {
			return "", fmt.Errorf("%w: The partition for a %s connector offset cannot be null or missing", ErrBadRequest, kind)
		}
	}
	if sink {
		changes, err := parseSinkOffsets(offs)
		if err != nil {
			return "", err
		}
		if err := w.alterGroupOffsets(name, changes); err != nil {
			return "", err
		}
		return AlteredOffsetsMessage, nil
	}
	pos := make([]offsets.PartitionOffset, len(offs.Offsets))
	for i, po := range offs.Offsets {
		pos[i] = offsets.PartitionOffset(po)
	}
	if err := w.offsets.Alter(ctx, name, pos); err != nil {
		if errors.Is(err, offsets.ErrInvalidPartition) {
			return "", fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		return "", err
	}
	return AlteredOffsetsMessage, nil
}

// ResetConnectorOffsets implements Herder; the leader removes the offsets,
// other workers forward the request to it.
func (w *Worker) ResetConnectorOffsets(ctx context.Context, name string) (string, error) {
	if leader, err := w.leaderTarget(ctx); err != nil || leader != "" {
		if err != nil {
			return "", err
		}
		return w.forwardOffsets(ctx, leader, forwardRequest{method: http.MethodDelete, path: connectorPath(name, "/offsets")})
	}
	snap, err := w.snapshot(ctx)
	if err != nil {
		return "", err
	}
	cfg, err := connectorIn(snap, name)
	if err != nil {
		return "", err
	}
	if err := checkStopped(snap, name); err != nil {
		return "", err
	}
	if err := w.awaitTasksGone(ctx, name); err != nil {
		return "", err
	}
	if w.typeOf(cfg) == TypeSink {
		if err := w.deleteGroup(name); err != nil {
			return "", err
		}
		return ResetOffsetsMessage, nil
	}
	if err := w.offsets.Reset(ctx, name); err != nil {
		return "", err
	}
	return ResetOffsetsMessage, nil
}

// forwardOffsets sends an offsets change to the leader and returns its
// message.
func (w *Worker) forwardOffsets(ctx context.Context, leader string, req forwardRequest) (string, error) {
	var answer struct {
		Message string `json:"message"`
	}
	req.out = &answer
	if _, err := w.forward(ctx, leader, req); err != nil {
		return "", err
	}
	return answer.Message, nil
}

// groupOffset is one committed offset of a sink connector's group; offset
// -1 removes it.
type groupOffset struct {
	topic     string
	partition int32
	offset    int64
}

// parseSinkOffsets checks the body of PATCH /offsets for a sink connector.
func parseSinkOffsets(offs ConnectorOffsets) ([]groupOffset, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
	}
	var out []groupOffset
	for _, po := range offs.Offsets {
		topic, ok := po.Partition[sinkTopicKey].(string)
		if !ok || strings.TrimSpace(topic) == "" {
			return nil, bad("Kafka topic names must be valid strings and may not be null")
		}
		p, ok := wholeNumber(po.Partition[sinkPartitionKey])
		if !ok || p < 0 || p > math.MaxInt32 {
			return nil, bad("Kafka partitions must be valid numbers and may not be null")
		}
		g := groupOffset{topic: topic, partition: int32(p), offset: -1}
		if po.Offset != nil {
			o, ok := wholeNumber(po.Offset[sinkOffsetKey])
			if !ok || o < 0 {
				return nil, bad("Kafka offsets must be valid numbers and may not be null or negative")
			}
			g.offset = o
		}
		out = append(out, g)
	}
	return out, nil
}

// wholeNumber reads a JSON number that is an integer.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case string:
		var x int64
		if _, err := fmt.Sscan(n, &x); err == nil {
			return x, true
		}
	}
	return 0, false
}

// admin opens a cluster admin client for one operation.
func (w *Worker) admin() (sarama.ClusterAdmin, error) {
	sc := *w.base
	return sarama.NewClusterAdmin(w.cfg.BootstrapServers, &sc)
}

// groupOffsets lists a sink connector's committed offsets, sorted.
func (w *Worker) groupOffsets(name string) ([]groupOffset, error) {
	adm, err := w.admin()
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	resp, err := adm.ListConsumerGroupOffsets(sinkGroup(name), nil)
	if err != nil {
		return nil, fmt.Errorf("list offsets of group %s: %w", sinkGroup(name), err)
	}
	if resp.Err != sarama.ErrNoError {
		return nil, fmt.Errorf("list offsets of group %s: %w", sinkGroup(name), resp.Err)
	}
	var out []groupOffset
	for topic, parts := range resp.Blocks {
		for p, b := range parts {
			if b.Err == sarama.ErrNoError && b.Offset >= 0 {
				out = append(out, groupOffset{topic: topic, partition: p, offset: b.Offset})
			}
		}
	}
	slices.SortFunc(out, func(a, b groupOffset) int {
		if a.topic != b.topic {
			return strings.Compare(a.topic, b.topic)
		}
		return int(a.partition - b.partition)
	})
	return out, nil
}

// alterGroupOffsets commits or removes offsets of a sink connector's group,
// which has no members since the connector is stopped.
func (w *Worker) alterGroupOffsets(name string, changes []groupOffset) error {
	adm, err := w.admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	group := sinkGroup(name)
	req := &sarama.OffsetCommitRequest{Version: 2, ConsumerGroup: group, ConsumerGroupGeneration: -1, RetentionTime: -1}
	commits := 0
	for _, c := range changes {
		if c.offset < 0 {
			if err := adm.DeleteConsumerGroupOffset(group, c.topic, c.partition); err != nil && !errors.Is(err, sarama.ErrGroupIDNotFound) {
				return fmt.Errorf("remove the offset of %s-%d from group %s: %w", c.topic, c.partition, group, err)
			}
			continue
		}
		req.AddBlock(c.topic, c.partition, c.offset, 0, "")
		commits++
	}
	if commits == 0 {
		return nil
	}
	sc := *w.base
	client, err := sarama.NewClient(w.cfg.BootstrapServers, &sc)
	if err != nil {
		return err
	}
	defer client.Close()
	coord, err := client.Coordinator(group)
	if err != nil {
		return fmt.Errorf("find the coordinator of group %s: %w", group, err)
	}
	resp, err := coord.CommitOffset(req)
	if err != nil {
		return fmt.Errorf("commit offsets of group %s: %w", group, err)
	}
	for topic, parts := range resp.Errors {
		for p, kerr := range parts {
			if kerr == sarama.ErrUnknownMemberId {
				return fmt.Errorf("Failed to alter consumer group offsets for connector %s either because its tasks haven't stopped "+
					"completely yet or the connector was resumed before the request to alter its offsets could be successfully "+
					"completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't "+
					"eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks. (%w)",
					name, kerr)
			}
			if kerr != sarama.ErrNoError {
				return fmt.Errorf("commit the offset of %s-%d for group %s: %w", topic, p, group, kerr)
			}
		}
	}
	return nil
}

// deleteGroup removes a sink connector's group and its offsets.
func (w *Worker) deleteGroup(name string) error {
	adm, err := w.admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	err = adm.DeleteConsumerGroup(sinkGroup(name))
	switch {
	case err == nil, errors.Is(err, sarama.ErrGroupIDNotFound):
	case errors.Is(err, sarama.ErrNonEmptyGroup):
		return fmt.Errorf("Failed to reset consumer group offsets for connector %s either because its tasks haven't stopped "+
			"completely yet or the connector was resumed before the request to reset its offsets could be successfully "+
			"completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't "+
			"eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks. (%w)", name, err)
	default:
		return fmt.Errorf("delete group %s: %w", sinkGroup(name), err)
	}
	return nil
}
