package transforms

import (
	"testing"
	"time"

	"conflux/connectors"
)

// newTransform looks a transform up by the name a config would use and
// configures it.
func newTransform(t testing.TB, name string, config map[string]string) connectors.Transformation {
	t.Helper()
	p, err := connectors.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", name, err)
	}
	tr, ok := p.New().(connectors.Transformation)
	if !ok {
		t.Fatalf("%s is not a transformation", name)
	}
	if err := tr.Configure(config); err != nil {
		t.Fatalf("%s.Configure(%v): %v", name, config, err)
	}
	return tr
}

// configureError returns the error Configure gives for config.
func configureError(t testing.TB, name string, config map[string]string) error {
	t.Helper()
	p, err := connectors.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", name, err)
	}
	return p.New().(connectors.Transformation).Configure(config)
}

// applyOne configures a transform and applies it to rec, failing the test
// on an error.
func applyOne(t testing.TB, name string, config map[string]string, rec *connectors.Record) *connectors.Record {
	t.Helper()
	out, err := newTransform(t, name, config).Apply(rec)
	if err != nil {
		t.Fatalf("%s.Apply: %v", name, err)
	}
	return out
}

// applyErr configures a transform and returns its Apply error.
func applyErr(t testing.TB, name string, config map[string]string, rec *connectors.Record) error {
	t.Helper()
	_, err := newTransform(t, name, config).Apply(rec)
	return err
}

// valueRecord is a record with a value and schema, topic "test".
func valueRecord(schema *connectors.Schema, value any) *connectors.Record {
	return &connectors.Record{Topic: "test", KafkaPartition: connectors.Partition(0), ValueSchema: schema, Value: value,
		Timestamp: time.UnixMilli(1_700_000_000_000).UTC()}
}

// mustStruct builds a Struct of schema from name/value pairs.
func mustStruct(schema *connectors.Schema, kv ...any) *connectors.Struct {
	st := connectors.NewStruct(schema)
	for i := 0; i < len(kv); i += 2 {
		st.Put(kv[i].(string), kv[i+1])
	}
	return st
}

// checkStruct compares a Struct's schema field names and types and values
// with want (name, value pairs in order).
func checkStruct(t testing.TB, got any, want ...any) {
	t.Helper()
	st, ok := got.(*connectors.Struct)
	if !ok {
		t.Fatalf("got %T (%v), want a Struct", got, got)
	}
	fields := st.Schema().Fields
	if len(fields)*2 != len(want) {
		t.Fatalf("got %d fields %v, want %v", len(fields), st, want)
	}
	for i, f := range fields {
		if f.Name != want[2*i] || !connectors.ValuesEqual(st.At(i), want[2*i+1]) {
			t.Errorf("field %d: got %s=%#v, want %s=%#v", i, f.Name, st.At(i), want[2*i], want[2*i+1])
		}
	}
	if err := st.Validate(); err != nil {
		t.Errorf("the Struct does not match its schema: %v", err)
	}
}
