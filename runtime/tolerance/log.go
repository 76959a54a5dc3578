package tolerance

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"conflux/connectors"
)

// logFailure writes one failure to the log at ERROR level (Kafka's
// LogReporter). The message is Kafka's, with the record's coordinates
// (topic, partition, offset, timestamp; a source record's source partition
// and offset), which say where the record is without showing it. The
// record's key, value and headers are added as attributes only with
// errors.log.include.messages, since they may be sensitive.
func (o *Operator) logFailure(ctx context.Context, stage Stage, class string, rec *Context, err error) {
	var b strings.Builder
	b.WriteString("Error encountered in task ")
	b.WriteString(o.cfg.TaskName())
	b.WriteString(". Executing stage '")
	b.WriteString(stage.String())
	b.WriteString("' with class '")
	b.WriteString(class)
	b.WriteByte('\'')
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("connector", o.cfg.Connector),
		slog.Int("task", o.cfg.Task),
		slog.String("stage", stage.String()),
		slog.String("class", class))
	switch {
	case rec.consumed():
		fmt.Fprintf(&b, ", where consumed record is {topic='%s', partition=%d, offset=%d", rec.Topic, rec.Partition, rec.Offset)
		if !rec.Timestamp.IsZero() && rec.TimestampType != connectors.NoTimestampType {
			fmt.Fprintf(&b, ", timestamp=%d, timestampType=%s", rec.Timestamp.UnixMilli(), rec.TimestampType)
		}
		b.WriteByte('}')
		attrs = append(attrs, slog.String("topic", rec.Topic), slog.Int("partition", int(rec.Partition)), slog.Int64("offset", rec.Offset))
		if o.cfg.LogIncludeMessages {
			attrs = append(attrs, slog.Any("key", rawValue(rec.Key)), slog.Any("value", rawValue(rec.Value)),
				slog.String("headers", rawHeaders(rec.Headers)))
		}
	case rec != nil && rec.Record != nil:
		r := rec.Record
		fmt.Fprintf(&b, ", where record is {topic='%s'", r.Topic)
		attrs = append(attrs, slog.String("topic", r.Topic))
		if r.KafkaPartition != nil {
			fmt.Fprintf(&b, ", partition=%d", *r.KafkaPartition)
			attrs = append(attrs, slog.Int("partition", int(*r.KafkaPartition)))
		}
		if r.SourcePartition != nil {
			fmt.Fprintf(&b, ", sourcePartition=%v, sourceOffset=%v", r.SourcePartition, r.SourceOffset)
			attrs = append(attrs, slog.Any("source_partition", r.SourcePartition), slog.Any("source_offset", r.SourceOffset))
		} else if r.KafkaPartition != nil {
			fmt.Fprintf(&b, ", offset=%d", r.KafkaOffset)
			attrs = append(attrs, slog.Int64("offset", r.KafkaOffset))
		}
		b.WriteByte('}')
		if o.cfg.LogIncludeMessages {
			attrs = append(attrs, slog.String("key", fmt.Sprint(r.Key)), slog.String("value", fmt.Sprint(r.Value)),
				slog.String("headers", connectHeaders(r.Headers)))
		}
	}
	b.WriteByte('.')
	attrs = append(attrs, slog.String("error", err.Error()), slog.String("exception", exceptionClass(err)))
	o.log.LogAttrs(ctx, slog.LevelError, b.String(), attrs...)
}

// rawValue shows raw bytes: as text when they are UTF-8, else as hex with
// a 0x prefix; nil as null.
func rawValue(p []byte) slog.Value {
	switch {
	case p == nil:
		return slog.StringValue("null")
	case utf8.Valid(p):
		return slog.StringValue(string(p))
	}
	return slog.StringValue("0x" + hex.EncodeToString(p))
}

// rawHeaders shows wire headers as [k1=v1, k2=v2].
func rawHeaders(h connectors.RawHeaders) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range h {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.Key)
		b.WriteByte('=')
		b.WriteString(rawValue(x.Value).String())
	}
	b.WriteByte(']')
	return b.String()
}

// connectHeaders shows Connect headers as [k1=v1, k2=v2].
func connectHeaders(h connectors.Headers) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range h {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.Key)
		b.WriteByte('=')
		if s, ok := x.Value.(string); ok {
			b.WriteString(strconv.Quote(s))
		} else {
			fmt.Fprint(&b, x.Value)
		}
	}
	b.WriteByte(']')
	return b.String()
}
