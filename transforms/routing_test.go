package transforms

import (
	"strings"
	"testing"
	"time"

	"conflux/connectors"
)

func TestRegexRouter(t *testing.T) {
	// Kafka's example: strip a prefix and keep the rest.
	cfg := map[string]string{"regex": `([^.]+)\.([^.]+)\.([^.]+)`, "replacement": "$3"}
	for topic, want := range map[string]string{"db.public.orders": "orders", "plain": "plain"} {
		out := applyOne(t, "RegexRouter", cfg, &connectors.Record{Topic: topic})
		if out.Topic != want {
			t.Errorf("%s → %s, want %s", topic, out.Topic, want)
		}
	}
	out := applyOne(t, "RegexRouter", map[string]string{"regex": "(a)(b)", "replacement": `$12-\$`}, &connectors.Record{Topic: "ab"})
	if out.Topic != "a2-$" {
		t.Errorf("Java group references: got %s, want a2-$", out.Topic)
	}
	for _, bad := range []map[string]string{{"regex": "(", "replacement": "x"}, {"regex": "(a)", "replacement": "$2"}} {
		if err := configureError(t, "RegexRouter", bad); err == nil {
			t.Errorf("Configure(%v) accepted", bad)
		}
	}
}

func TestTimestampRouter(t *testing.T) {
	rec := &connectors.Record{Topic: "orders", Timestamp: time.Date(2026, 12, 6, 23, 30, 0, 0, time.FixedZone("x", 3600))}
	out := applyOne(t, "TimestampRouter", map[string]string{}, rec)
	if out.Topic != "orders-20261206" {
		t.Errorf("default format: %s", out.Topic)
	}
	out = applyOne(t, "TimestampRouter", map[string]string{"topic.format": "${timestamp}.${topic}", "timestamp.format": "yyyy-MM-dd'T'HH"}, rec)
	if out.Topic != "2026-12-06T22.orders" {
		t.Errorf("custom format: %s", out.Topic)
	}
	if err := applyErr(t, "TimestampRouter", map[string]string{}, &connectors.Record{Topic: "x"}); err == nil || !strings.Contains(err.Error(), "Timestamp missing") {
		t.Errorf("no timestamp: %v", err)
	}
	if err := configureError(t, "TimestampRouter", map[string]string{"timestamp.format": "yyyyQ"}); err == nil {
		t.Error("an unsupported pattern letter was accepted")
	}
}

func TestTimestampConverter(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 20, 30, 456_000_000, time.UTC)
	ms := at.UnixMilli()
	cases := []struct {
		name   string
		cfg    map[string]string
		schema *connectors.Schema
		in     any
		want   any
	}{
		{"unix to string", map[string]string{"target.type": "string", "format": "yyyy-MM-dd HH:mm:ss.SSS"}, connectors.Int64Schema, ms, "2026-12-06 10:20:30.456"},
		{"string to unix", map[string]string{"target.type": "unix", "format": "yyyy-MM-dd HH:mm:ss.SSS"}, nil, "2026-12-06 10:20:30.456", ms},
		{"timestamp to date", map[string]string{"target.type": "Date"}, connectors.TimestampSchema().MustBuild(), at, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)},
		{"timestamp to time", map[string]string{"target.type": "Time"}, nil, at, time.Date(1970, 1, 1, 10, 20, 30, 456_000_000, time.UTC)},
		{"unix seconds to timestamp", map[string]string{"target.type": "Timestamp", "unix.precision": "seconds"}, nil, ms / 1000, at.Truncate(time.Second)},
		{"timestamp to unix micros", map[string]string{"target.type": "unix", "unix.precision": "microseconds"}, nil, at, at.UnixMicro()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := applyOne(t, "TimestampConverter$Value", c.cfg, valueRecord(c.schema, c.in))
			if !connectors.ValuesEqual(out.Value, c.want) {
				t.Errorf("got %#v, want %#v", out.Value, c.want)
			}
			if c.schema != nil && out.ValueSchema == nil {
				t.Error("the schema was dropped")
			}
		})
	}
	schema := connectors.StructSchema().Field("id", connectors.Int32Schema).Field("at", connectors.Int64Schema).MustBuild()
	out := applyOne(t, "TimestampConverter$Value", map[string]string{"field": "at", "target.type": "Timestamp"},
		valueRecord(schema, mustStruct(schema, "id", int32(1), "at", ms)))
	checkStruct(t, out.Value, "id", int32(1), "at", at)
	if s := out.ValueSchema.Field("at").Schema; s.Name != connectors.TimestampName {
		t.Errorf("field schema %v, want Timestamp", s)
	}
	if err := configureError(t, "TimestampConverter$Value", map[string]string{"target.type": "string"}); err == nil || !strings.Contains(err.Error(), "requires format") {
		t.Errorf("string target without format: %v", err)
	}
	err := applyErr(t, "TimestampConverter$Value", map[string]string{"target.type": "unix", "format": "yyyy-MM-dd"}, valueRecord(nil, "6 Dec"))
	if err == nil || !strings.Contains(err.Error(), "Could not parse timestamp") {
		t.Errorf("unparseable string: %v", err)
	}
}

func TestHeaderTransforms(t *testing.T) {
	rec := &connectors.Record{Topic: "t", Headers: connectors.Headers{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}}}
	out := applyOne(t, "DropHeaders", map[string]string{"headers": "a"}, rec)
	if len(out.Headers) != 1 || out.Headers[0].Key != "b" || len(rec.Headers) != 3 {
		t.Errorf("DropHeaders: %+v (input now %+v)", out.Headers, rec.Headers)
	}
	if err := configureError(t, "DropHeaders", map[string]string{"headers": ""}); err == nil || !strings.Contains(err.Error(), "Empty list") {
		t.Errorf("empty headers: %v", err)
	}
	for literal, want := range map[string]any{"42": int8(42), "true": true, "hello": "hello", "1.5": float32(1.5)} {
		out := applyOne(t, "InsertHeader", map[string]string{"header": "h", "value.literal": literal}, rec)
		if h, _ := out.Headers.Last("h"); h.Value != want {
			t.Errorf("InsertHeader %s: %#v, want %#v", literal, h.Value, want)
		}
	}
}

func TestFilterAndPredicates(t *testing.T) {
	if out := applyOne(t, "Filter", nil, &connectors.Record{Topic: "x"}); out != nil {
		t.Error("Filter kept a record")
	}
	test := func(name string, cfg map[string]string, rec *connectors.Record) bool {
		t.Helper()
		p, err := connectors.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		pred := p.New().(connectors.Predicate)
		if err := pred.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		ok, err := pred.Test(rec)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	tm := "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"
	if !test(tm, map[string]string{"pattern": "orders.*"}, &connectors.Record{Topic: "orders-eu"}) ||
		test(tm, map[string]string{"pattern": "orders"}, &connectors.Record{Topic: "orders-eu"}) {
		t.Error("TopicNameMatches must match the whole topic name")
	}
	withHeader := &connectors.Record{Headers: connectors.Headers{{Key: "trace"}}}
	if !test("HasHeaderKey", map[string]string{"name": "trace"}, withHeader) || test("HasHeaderKey", map[string]string{"name": "x"}, withHeader) {
		t.Error("HasHeaderKey")
	}
	if !test("RecordIsTombstone", nil, &connectors.Record{}) || test("RecordIsTombstone", nil, &connectors.Record{Value: "v"}) {
		t.Error("RecordIsTombstone")
	}
}

func TestRegisteredWithKafkaClassNames(t *testing.T) {
	want := []string{"Cast$Key", "Cast$Value", "DropHeaders", "ExtractField$Key", "ExtractField$Value", "Filter",
		"Flatten$Key", "Flatten$Value", "HeaderFrom$Key", "HeaderFrom$Value", "HoistField$Key", "HoistField$Value",
		"InsertField$Key", "InsertField$Value", "InsertHeader", "MaskField$Key", "MaskField$Value", "RegexRouter",
		"ReplaceField$Key", "ReplaceField$Value", "SetSchemaMetadata$Key", "SetSchemaMetadata$Value",
		"TimestampConverter$Key", "TimestampConverter$Value", "TimestampRouter", "ValueToKey"}
	for _, name := range want {
		p, err := connectors.Lookup(kafkaTransforms + name)
		if err != nil || p.Type != connectors.PluginTransformation || p.Class() != kafkaTransforms+name {
			t.Errorf("%s: %+v, %v", name, p, err)
		}
	}
	for _, name := range []string{"TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"} {
		if p, err := connectors.Lookup(kafkaPredicates + name); err != nil || p.Type != connectors.PluginPredicate {
			t.Errorf("predicate %s: %v", name, err)
		}
	}
}
