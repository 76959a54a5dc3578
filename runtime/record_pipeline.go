package runtime

import (
	"context"
	"errors"
	"time"

	"github.com/IBM/sarama"

	"conflux/connectors"
	"conflux/internal/arena"
	"conflux/internal/slab"
	"conflux/runtime/tolerance"
)

// recordPipeline is what happens to a task's records between the task and
// Kafka: transforms and converters, each step under the connector's error
// handling (retries, errors.tolerance, logging, dead letter queue). One
// pipeline belongs to one task and is used from its goroutines.
type recordPipeline struct {
	conv    converters
	chain   *transformChain
	ops     *tolerance.Operator
	metrics *taskMetrics
	// headers remembers, per header key seen, the key's wire form and the
	// last string value converted for it, so that a source's records
	// (which mostly carry the same few keys, often with the same values:
	// a file's path) share one read-only copy instead of allocating one per
	// header. Only toKafka uses it, from the task's one sending goroutine.
	headers map[string]*headerMemo
	// headerSlab is where toKafka carves the records' header slices from.
	headerSlab slab.Slab[sarama.RecordHeader]
	// wire is where toKafka writes converted keys and values, with
	// converters that can append (connectors.DataAppender); the memory
	// of each record is reused once Kafka acknowledged it
	// (inflight.release).
	wire arena.Arena
	// convHeaders is toKafka's scratch for the headers converters add to
	// the record being converted (a local would escape through the
	// Converter interface and cost an allocation per record).
	convHeaders connectors.RawHeaders
	// sourceRC is what toKafka tells error handling of the record being
	// converted (its Record alone): kept here rather than in every
	// inflight record, which it would make a third larger.
	sourceRC tolerance.Context
	// records and partitions are where fromKafka carves sink records and
	// their partition numbers from.
	records    slab.Slab[connectors.Record]
	partitions slab.Slab[int32]
}

// headerMemo is what recordPipeline.headers keeps of one header key.
type headerMemo struct {
	key []byte
	// The last string value converted for the key and what the header
	// converter made of it, for that topic and schema.
	topic  string
	schema *connectors.Schema
	value  string
	wire   []byte
}

// maxHeaderKeys bounds headers, for sources whose header keys vary.
const maxHeaderKeys = 256

// memo returns the memo of a header key, nil once too many keys were seen.
func (p *recordPipeline) memo(key string) *headerMemo {
	if m, ok := p.headers[key]; ok {
		return m
	}
	if p.headers == nil {
		p.headers = make(map[string]*headerMemo)
	}
	if len(p.headers) >= maxHeaderKeys {
		return nil
	}
	m := &headerMemo{key: []byte(key)}
	p.headers[key] = m
	return m
}

// headerKey returns key as bytes, shared between records: the producer
// only reads header keys.
func (p *recordPipeline) headerKey(key string) []byte {
	if m := p.memo(key); m != nil {
		return m.key
	}
	return []byte(key)
}

// wireHeader converts one header of a record for topic. A string value
// equal to the last one converted for its key, topic and schema reuses
// that conversion: converters are deterministic, and the producer only
// reads the bytes.
func (p *recordPipeline) wireHeader(topic string, h connectors.Header) (sarama.RecordHeader, error) {
	m := p.memo(h.Key)
	if m == nil {
		b, err := p.conv.header.FromConnectHeader(topic, h.Key, h.Schema, h.Value)
		return sarama.RecordHeader{Key: []byte(h.Key), Value: b}, err
	}
	s, isString := h.Value.(string)
	if isString && m.wire != nil && s == m.value && topic == m.topic && h.Schema == m.schema {
		return sarama.RecordHeader{Key: m.key, Value: m.wire}, nil
	}
	b, err := p.conv.header.FromConnectHeader(topic, h.Key, h.Schema, h.Value)
	if err != nil {
		return sarama.RecordHeader{}, err
	}
	if isString && b != nil {
		m.topic, m.schema, m.value, m.wire = topic, h.Schema, s, b
	}
	return sarama.RecordHeader{Key: m.key, Value: b}, nil
}

// close releases the transforms and the error handling's producer.
func (p *recordPipeline) close() {
	p.chain.Close()
	p.ops.Close()
	p.wire.Close()
}

// transform runs the chain over rec. A nil record means it was dropped, by
// a transform or because errors.tolerance=all skipped a failure; an error
// fails the task.
func (p *recordPipeline) transform(ctx context.Context, rec *connectors.Record, rc *tolerance.Context) (*connectors.Record, error) {
	for i := range p.chain.steps {
		step := &p.chain.steps[i]
		var applies bool
		skip, err := p.ops.Execute(ctx, tolerance.StageTransformation, step.predicateClass, rc, func() (err error) {
			defer recoverPlugin("predicate", step.alias, &err)
			applies, err = step.applies(rec)
			return err
		})
		if skip || err != nil {
			p.skipped(skip)
			return nil, err
		}
		if !applies {
			continue
		}
		var out *connectors.Record
		skip, err = p.ops.Execute(ctx, tolerance.StageTransformation, step.transformClass, rc, func() (err error) {
			defer recoverPlugin("transform", step.alias, &err)
			out, err = step.transform.Apply(rec)
			return err
		})
		if skip || err != nil {
			p.skipped(skip)
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		rec = out
	}
	return rec, nil
}

func (p *recordPipeline) skipped(skip bool) {
	if skip {
		p.metrics.errors.Inc()
		p.metrics.skipped.Inc()
	}
}

// toKafka transforms and converts the source record in.rec into in.msg,
// the producer message. A nil record means it was dropped; an error fails
// the task.
func (p *recordPipeline) toKafka(ctx context.Context, in *inflight) (*connectors.Record, error) {
	rec := in.rec
	p.sourceRC = tolerance.Context{Record: rec}
	rc := &p.sourceRC
	out := rec
	if !p.chain.Empty() {
		var err error
		if out, err = p.transform(ctx, rec, rc); out == nil {
			return nil, err
		}
	}
	clear(p.convHeaders)
	p.convHeaders = p.convHeaders[:0]
	msg := &in.msg
	msg.Topic, msg.Timestamp, msg.Metadata = out.Topic, out.Timestamp, in
	skip, err := p.ops.Execute(ctx, tolerance.StageKeyConverter, p.conv.keyClass, rc, func() (err error) {
		msg.Key, in.keyMem, err = p.fromConnect(p.conv.key, out.Topic, &p.convHeaders, out.KeySchema, out.Key)
		return err
	})
	if skip || err != nil {
		p.skipped(skip)
		return nil, err
	}
	skip, err = p.ops.Execute(ctx, tolerance.StageValueConverter, p.conv.valueClass, rc, func() (err error) {
		msg.Value, in.valueMem, err = p.fromConnect(p.conv.value, out.Topic, &p.convHeaders, out.ValueSchema, out.Value)
		return err
	})
	if skip || err != nil {
		p.skipped(skip)
		return nil, err
	}
	if len(out.Headers) > 0 || len(p.convHeaders) > 0 {
		skip, err = p.ops.Execute(ctx, tolerance.StageHeaderConverter, p.conv.headerClass, rc, func() error {
			msg.Headers = p.headerSlab.Slice(len(out.Headers) + len(p.convHeaders))
			for _, h := range out.Headers {
				rh, err := p.wireHeader(out.Topic, h)
				if err != nil {
					return err
				}
				msg.Headers = append(msg.Headers, rh)
			}
			for _, h := range p.convHeaders {
				msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: p.headerKey(h.Key), Value: h.Value})
			}
			return nil
		})
		if skip || err != nil {
			p.skipped(skip)
			return nil, err
		}
	}
	return out, nil
}

// fromConnect converts a key or value for Kafka. A converter that can
// append writes into the pipeline's arena, and the chunk it returns must
// be released once the bytes are no longer used; other converters' bytes
// are their own (a nil chunk).
func (p *recordPipeline) fromConnect(conv connectors.Converter, topic string, wire *connectors.RawHeaders, schema *connectors.Schema, value any) ([]byte, *arena.Chunk, error) {
	app, ok := conv.(connectors.DataAppender)
	if !ok {
		b, err := conv.FromConnectData(topic, wire, schema, value)
		return b, nil, err
	}
	b, err := app.AppendConnectData(p.wire.Tail(), topic, wire, schema, value)
	if err != nil {
		return nil, nil, err
	}
	b, mem := p.wire.Keep(b)
	return b, mem, nil
}

// consumedContext describes a consumed record for error handling: what
// the dead letter queue receives if it fails.
func consumedContext(msg *sarama.ConsumerMessage) tolerance.Context {
	rc := tolerance.Context{
		Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset,
		Timestamp: msg.Timestamp, TimestampType: timestampType(msg),
		Key: msg.Key, Value: msg.Value,
	}
	if len(msg.Headers) > 0 {
		rc.Headers = make(connectors.RawHeaders, len(msg.Headers))
		for i, h := range msg.Headers {
			rc.Headers[i] = connectors.RawHeader{Key: string(h.Key), Value: h.Value}
		}
	}
	return rc
}

// fromKafka converts and transforms a consumed record for a sink task; rc
// is its consumedContext. A nil record means it was dropped; an error fails
// the task.
func (p *recordPipeline) fromKafka(ctx context.Context, msg *sarama.ConsumerMessage, rc *tolerance.Context) (*connectors.Record, error) {
	raw := rc.Headers
	rec, partition := p.records.One(), p.partitions.One()
	*partition = msg.Partition
	*rec = connectors.Record{
		Topic:          msg.Topic,
		KafkaPartition: partition,
		KafkaOffset:    msg.Offset,
		Timestamp:      msg.Timestamp,
		TimestampType:  timestampType(msg),
	}
	skip, err := p.ops.Execute(ctx, tolerance.StageKeyConverter, p.conv.keyClass, rc, func() error {
		var err error
		rec.KeySchema, rec.Key, err = p.conv.key.ToConnectData(msg.Topic, raw, msg.Key)
		return err
	})
	if skip || err != nil {
		p.skipped(skip)
		return nil, err
	}
	skip, err = p.ops.Execute(ctx, tolerance.StageValueConverter, p.conv.valueClass, rc, func() error {
		var err error
		rec.ValueSchema, rec.Value, err = p.conv.value.ToConnectData(msg.Topic, raw, msg.Value)
		return err
	})
	if skip || err != nil {
		p.skipped(skip)
		return nil, err
	}
	if len(raw) > 0 {
		skip, err = p.ops.Execute(ctx, tolerance.StageHeaderConverter, p.conv.headerClass, rc, func() error {
			rec.Headers = make(connectors.Headers, 0, len(raw))
			for _, h := range raw {
				schema, value, err := p.conv.header.ToConnectHeader(msg.Topic, h.Key, h.Value)
				if err != nil {
					return err
				}
				rec.Headers = append(rec.Headers, connectors.Header{Key: h.Key, Schema: schema, Value: value})
			}
			return nil
		})
		if skip || err != nil {
			p.skipped(skip)
			return nil, err
		}
	}
	if p.chain.Empty() {
		return rec, nil
	}
	return p.transform(ctx, rec, rc)
}

// encodeErrant turns a record a sink task made itself into the consumed
// form the dead letter queue takes, with the task's converters.
func (p *recordPipeline) encodeErrant(rec *connectors.Record) (tolerance.Context, error) {
	var wire connectors.RawHeaders
	key, err := p.conv.key.FromConnectData(rec.Topic, &wire, rec.KeySchema, rec.Key)
	if err != nil {
		return tolerance.Context{}, err
	}
	value, err := p.conv.value.FromConnectData(rec.Topic, &wire, rec.ValueSchema, rec.Value)
	if err != nil {
		return tolerance.Context{}, err
	}
	for _, h := range rec.Headers {
		b, err := p.conv.header.FromConnectHeader(rec.Topic, h.Key, h.Schema, h.Value)
		if err != nil {
			return tolerance.Context{}, err
		}
		wire = append(wire, connectors.RawHeader{Key: h.Key, Value: b})
	}
	tp := rec.TopicPartition()
	return tolerance.Context{Topic: rec.Topic, Partition: tp.Partition, Offset: rec.KafkaOffset, Timestamp: rec.Timestamp,
		TimestampType: rec.TimestampType, Key: key, Value: value, Headers: wire}, nil
}

// timestampType tells how the broker set a consumed record's timestamp.
// sarama does not expose the batch attribute, so a zero timestamp means
// none and any other CreateTime, which is what producers set by default.
func timestampType(msg *sarama.ConsumerMessage) connectors.TimestampType {
	if msg.Timestamp.IsZero() || msg.Timestamp.Equal(time.UnixMilli(-1)) {
		return connectors.NoTimestampType
	}
	return connectors.CreateTime
}

// isStopping reports whether err only says that ctx ended.
func isStopping(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
