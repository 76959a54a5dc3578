package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"conflux/configs"
	"conflux/connectors"
	"conflux/internal/slab"
	"conflux/offsets"
	"conflux/runtime/producer"
	"conflux/runtime/tolerance"
)

// Producer batching of source tasks: records wait up to producerLinger for
// company, and a partition's batch carries up to producerBatchBytes (and
// max.request.size, 1,000,000 bytes by default). The producer holds four
// batches unacknowledged: 512 KiB batches let three wait for the broker's
// fsync while the fourth fills, in the memory two 1 MiB batches took
// (docs/performance.md).
//
// While one request waits for its fsync the next is already written, up to
// producerMaxInFlight per partition (Kafka's
// max.in.flight.requests.per.connection, 5 by default and at most 5 with
// idempotence).
const (
	producerLinger      = 5 * time.Millisecond
	producerBatchBytes  = 512 << 10
	producerMaxInFlight = 5
)

// startTask starts one assigned task with its committed config.
func (w *Worker) startTask(id TaskID) {
	if w.closing {
		return
	}
	snap := w.configs.Snapshot()
	rawConn, ok := snap.Connectors[id.Connector]
	tasks := snap.Tasks[id.Connector]
	if !ok || id.Task >= len(tasks) {
		return
	}
	logger := w.logger.With("connector", id.Connector, "task", id.Task)
	target := TargetState(snap.TargetStates[id.Connector])
	rt, err := w.newTask(id, rawConn, tasks[id.Task], target, logger)
	if err != nil {
		logger.Error("cannot start task", "error", err)
		w.taskState(id, StateFailed, err)
		w.tasks[id] = &runningHandle{config: maps.Clone(tasks[id.Task])}
		return
	}
	w.tasks[id] = &runningHandle{
		handle: startTask(id, rt, w.cfg.TaskShutdownTimeout, logger),
		task:   rt,
		config: maps.Clone(tasks[id.Task]),
	}
}

// newTask builds a source or sink task and everything it runs with.
func (w *Worker) newTask(id TaskID, rawConn, rawTask map[string]string, target TargetState, logger *slog.Logger) (runningTask, error) {
	connCfg, err := w.resolve(rawConn)
	if err != nil {
		return nil, err
	}
	taskCfg, err := w.resolve(rawTask)
	if err != nil {
		return nil, err
	}
	plugin, err := w.reg.Lookup(connCfg[configs.KeyConnectorClass])
	if err != nil {
		return nil, err
	}
	switch c := plugin.New().(type) {
	case connectors.SourceConnector:
		return w.newSourceTask(id, c.NewTask(), connCfg, taskCfg, target, logger)
	case connectors.SinkConnector:
		return w.newSinkTask(id, c.NewTask(), connCfg, taskCfg, target, logger)
	}
	return nil, fmt.Errorf("plugin %s is not a connector", plugin.Name)
}

// newPipeline builds a task's converters, transforms and error handling.
func (w *Worker) newPipeline(id TaskID, def *configs.Def, connCfg map[string]string, logger *slog.Logger) (*recordPipeline, *configs.Values, error) {
	values, err := def.Parse(connCfg)
	if err != nil {
		return nil, nil, err
	}
	conv, err := newConverters(w.reg, w.cfg.Originals, connCfg)
	if err != nil {
		return nil, nil, err
	}
	chain, err := newTransformChain(w.reg, connCfg)
	if err != nil {
		return nil, nil, err
	}
	tcfg, err := tolerance.ConfigFromValues(values, id.Task)
	if err != nil {
		chain.Close()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tm := w.metrics.forTask(id)
	opts := []tolerance.Option{tolerance.WithLogger(logger)}
	if tcfg.DLQTopic != "" {
		// The dead letter queue is opened here rather than by
		// tolerance.Open so that the records sent to it are counted.
		dlq, err := tolerance.OpenDLQ(ctx, tolerance.DLQConfig{
			Brokers:           w.cfg.BootstrapServers,
			Topic:             tcfg.DLQTopic,
			ReplicationFactor: tcfg.DLQReplicationFactor,
			ClientID:          "connector-dlq-producer-" + tcfg.TaskName(),
			Sarama:            w.base,
			Logger:            logger,
		})
		if err != nil {
			chain.Close()
			tm.remove()
			return nil, nil, err
		}
		opts = append(opts, tolerance.WithDeadLetterQueue(countedDLQ{DLQWriter: dlq, sent: tm.dlqProduced}))
	}
	ops, err := tolerance.Open(ctx, tcfg, w.cfg.BootstrapServers, w.base, opts...)
	if err != nil {
		chain.Close()
		tm.remove()
		return nil, nil, err
	}
	return &recordPipeline{conv: conv, chain: chain, ops: ops, metrics: tm, headerSlab: slab.Slab[sarama.RecordHeader]{Size: 1024}}, values, nil
}

// countedDLQ counts the records handed to a task's dead letter queue
// (deadletterqueue_produce_requests_total).
type countedDLQ struct {
	tolerance.DLQWriter
	sent prometheus.Counter
}

// Send implements tolerance.DLQWriter.
func (d countedDLQ) Send(ctx context.Context, rec *tolerance.DLQRecord, done func(error)) error {
	err := d.DLQWriter.Send(ctx, rec, done)
	if err == nil {
		d.sent.Inc()
	}
	return err
}

// clientSettings returns the worker's settings for a Kafka client kind
// overlaid with the connector's <kind>.override.* settings, which the
// override policy must allow.
func (w *Worker) clientSettings(kind string, connCfg map[string]string) (map[string]string, error) {
	settings := w.cfg.clientSettings(kind + ".")
	overrides := configs.WithPrefix(connCfg, kind+".override.")
	if len(overrides) > 0 && w.cfg.Originals[configs.KeyConnectorClientOverridePolicy] == "None" {
		return nil, fmt.Errorf("%w: %s.override.* settings are not allowed by connector.client.config.override.policy=None",
			ErrInvalidClientConfig, kind)
	}
	maps.Copy(settings, overrides)
	return settings, nil
}

// newSourceTask builds a source task with its own idempotent producer.
func (w *Worker) newSourceTask(id TaskID, task connectors.SourceTask, connCfg, taskCfg map[string]string, target TargetState, logger *slog.Logger) (runningTask, error) {
	pipe, _, err := w.newPipeline(id, configs.SourceConnectorDef(), connCfg, logger)
	if err != nil {
		return nil, err
	}
	sc := *w.base
	sc.ClientID = fmt.Sprintf("connector-producer-%s-%d", id.Connector, id.Task)
	sc.Metadata.AllowAutoTopicCreation = true // as Kafka's producer: the broker decides
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Producer.Retry.Max = 10
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	// lz4 by default, unlike Kafka's producer: JSON with its schema envelope
	// repeats the schema in every record, and compressing it costs less CPU
	// than writing, fetching and copying four times the bytes.
	// producer.compression.type (or producer.override.*) changes it.
	sc.Producer.Compression = sarama.CompressionLZ4
	sc.Producer.Flush.Frequency = producerLinger
	sc.Producer.Flush.Bytes = producerBatchBytes
	sc.Net.MaxOpenRequests = producerMaxInFlight
	settings, err := w.clientSettings("producer", connCfg)
	if err == nil {
		err = applyClientSettings(&sc, "producer", settings, producerOptions, logger)
	}
	if err != nil {
		pipe.close()
		return nil, err
	}
	t := &sourceTask{
		id:              id,
		task:            task,
		config:          taskCfg,
		pipe:            pipe,
		writer:          offsets.NewOffsetWriter(w.offsets, id.Connector),
		store:           w.offsets,
		target:          newTargetSwitch(target),
		status:          w,
		metrics:         pipe.metrics,
		topics:          w.topicTracker(id),
		logger:          logger,
		flushInterval:   w.cfg.OffsetFlushInterval,
		flushTimeout:    w.cfg.OffsetFlushTimeout,
		shutdownTimeout: w.cfg.TaskShutdownTimeout,
	}
	if t.producer, err = producer.New(w.cfg.BootstrapServers, &sc, producer.Options{NewPartitioner: newRecordPartitioner, Ack: t.acked}); err != nil {
		pipe.close()
		return nil, fmt.Errorf("create producer: %w", err)
	}
	t.committer, _ = task.(connectors.RecordCommitter)
	return t, nil
}

// newSinkTask builds a sink task, a member of the group connect-<name>.
func (w *Worker) newSinkTask(id TaskID, task connectors.SinkTask, connCfg, taskCfg map[string]string, target TargetState, logger *slog.Logger) (runningTask, error) {
	pipe, values, err := w.newPipeline(id, configs.SinkConnectorDef(), connCfg, logger)
	if err != nil {
		return nil, err
	}
	sc := *w.base
	sc.ClientID = fmt.Sprintf("connector-consumer-%s-%d", id.Connector, id.Task)
	sc.Metadata.AllowAutoTopicCreation = true // as Kafka's consumer (allow.auto.create.topics): the broker decides
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest // Kafka Connect's auto.offset.reset=earliest
	sc.Consumer.Return.Errors = false
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	// 256 KiB a partition and fetch instead of Kafka's 1 MiB: the whole
	// response is decoded before the task sees a record, and 1 MiB of
	// lz4-compressed JSON envelopes (12:1) is 12 MB of values and 28,000
	// messages held at once, the largest part of a pipeline's live heap
	// (peak RSS 118-161 MB against 103-108 MB with 256 KiB, as fast).
	// max.partition.fetch.bytes overrides it.
	sc.Consumer.Fetch.Default = 256 << 10
	sc.ChannelBufferSize = 1024
	settings, err := w.clientSettings("consumer", connCfg)
	if err == nil {
		err = applyClientSettings(&sc, "consumer", settings, consumerOptions, logger)
	}
	maxRecs := defaultMaxPollRecords
	if v, ok := settings["max.poll.records"]; ok && err == nil {
		if maxRecs, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || maxRecs < 1 {
			err = fmt.Errorf("%w: consumer max.poll.records: %q is not a positive number", ErrInvalidClientConfig, v)
		}
	}
	if err != nil {
		pipe.close()
		return nil, err
	}
	// A JoinGroup is answered once every member rejoined, which may take
	// the rebalance timeout (max.poll.interval.ms): wait that long and a
	// little more for it, as Kafka's consumer does, rather than giving up
	// and joining again every Net.ReadTimeout.
	sc.Net.ReadTimeout = max(sc.Net.ReadTimeout, sc.Consumer.Group.Rebalance.Timeout+5*time.Second)
	t := &sinkTask{
		id:              id,
		task:            task,
		config:          taskCfg,
		groupID:         "connect-" + id.Connector,
		brokers:         w.cfg.BootstrapServers,
		sarama:          &sc,
		maxRecs:         maxRecs,
		pipe:            pipe,
		target:          newTargetSwitch(target),
		status:          w,
		metrics:         pipe.metrics,
		tracker:         w.topicTracker(id),
		logger:          logger,
		flushInterval:   w.cfg.OffsetFlushInterval,
		flushTimeout:    w.cfg.OffsetFlushTimeout,
		shutdownTimeout: w.cfg.TaskShutdownTimeout,
	}
	if re := values.String(configs.KeyTopicsRegex); re != "" {
		if t.topicsRe, err = regexp.Compile("^(?:" + re + ")$"); err == nil {
			meta := *w.base
			t.meta, err = sarama.NewClient(w.cfg.BootstrapServers, &meta)
		}
		if err != nil {
			pipe.close()
			return nil, fmt.Errorf("topics.regex: %w", err)
		}
	} else {
		for _, topic := range values.List(configs.KeyTopics) {
			if topic = strings.TrimSpace(topic); topic != "" {
				t.topics = append(t.topics, topic)
			}
		}
	}
	if pipe.ops.ReportsErrantRecords() {
		t.errant = pipe.ops.NewErrantReporter(task, pipe.encodeErrant)
	}
	return t, nil
}

// topicTracker returns the task's topic tracker.
func (w *Worker) topicTracker(id TaskID) topicTracker {
	if !w.cfg.TopicTracking {
		return noTopics{}
	}
	return &taskTopics{w: w, id: id}
}

// stopTask stops one running task.
func (w *Worker) stopTask(id TaskID) { w.stopTasks([]TaskID{id}) }

// stopTasks stops running tasks, all at once.
func (w *Worker) stopTasks(ids []TaskID) {
	var handles []*taskHandle
	for _, id := range ids {
		if rt, ok := w.tasks[id]; ok {
			delete(w.tasks, id)
			if rt.handle != nil {
				handles = append(handles, rt.handle)
			}
		}
	}
	var wg sync.WaitGroup
	for _, h := range handles {
		wg.Go(func() { h.stop() })
	}
	wg.Wait()
}
