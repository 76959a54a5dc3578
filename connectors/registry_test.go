package connectors

import (
	"context"
	"errors"
	"strings"
	"testing"

	"conflux/configs"
)

type fakeSource struct{}

func (fakeSource) Start(context.Context, ConnectorContext, map[string]string) error { return nil }
func (fakeSource) TaskConfigs(int) ([]map[string]string, error)                     { return nil, nil }
func (fakeSource) Stop() error                                                      { return nil }
func (fakeSource) NewTask() SourceTask                                              { return nil }

type fakeSink struct{}

func (fakeSink) Start(context.Context, ConnectorContext, map[string]string) error { return nil }
func (fakeSink) TaskConfigs(int) ([]map[string]string, error)                     { return nil, nil }
func (fakeSink) Stop() error                                                      { return nil }
func (fakeSink) NewTask() SinkTask                                                { return nil }

type fakeConverter struct{}

func (fakeConverter) Configure(map[string]string, bool) error { return nil }
func (fakeConverter) FromConnectData(string, *RawHeaders, *Schema, any) ([]byte, error) {
	return nil, nil
}
func (fakeConverter) ToConnectData(string, RawHeaders, []byte) (*Schema, any, error) {
	return nil, nil, nil
}

type fakeBothConverter struct{ fakeConverter }

func (fakeBothConverter) ConfigureHeader(map[string]string) error { return nil }
func (fakeBothConverter) FromConnectHeader(string, string, *Schema, any) ([]byte, error) {
	return nil, nil
}
func (fakeBothConverter) ToConnectHeader(string, string, []byte) (*Schema, any, error) {
	return nil, nil, nil
}

func testRegistry() *Registry {
	r := NewRegistry()
	r.Register(Plugin{Name: "datagen", Aliases: []string{"io.confluent.kafka.connect.datagen.DatagenConnector"},
		Type: PluginSource, Version: "1.0", ConfigDef: configs.NewDef(), New: func() any { return fakeSource{} }})
	r.Register(Plugin{Name: "file-sink", Aliases: []string{"org.apache.kafka.connect.file.FileStreamSinkConnector"},
		Type: PluginSink, New: func() any { return fakeSink{} }})
	r.Register(Plugin{Name: "string", Aliases: []string{"org.apache.kafka.connect.storage.StringConverter"},
		Type: PluginConverter, New: func() any { return fakeBothConverter{} }})
	r.Register(Plugin{Name: "bytes", Aliases: []string{"org.apache.kafka.connect.converters.ByteArrayConverter"},
		Type: PluginConverter, New: func() any { return fakeConverter{} }})
	return r
}

func TestLookup(t *testing.T) {
	r := testRegistry()
	for _, name := range []string{
		"datagen", "io.confluent.kafka.connect.datagen.DatagenConnector", "DatagenConnector", "Datagen",
	} {
		p, err := r.Lookup(name)
		if err != nil || p.Name != "datagen" || p.Type != PluginSource || p.Class() != "io.confluent.kafka.connect.datagen.DatagenConnector" {
			t.Errorf("%s: %+v %v", name, p, err)
		}
	}
	for _, name := range []string{"FileStreamSinkConnector", "FileStreamSink", "StringConverter", "String", "ByteArray"} {
		if _, err := r.Lookup(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := r.Lookup("nope")
	if !errors.Is(err, ErrUnknownPlugin) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatal(err)
	}
	// The returned plugin is a copy.
	p, _ := r.Lookup("datagen")
	p.Aliases[0] = "changed"
	if q, _ := r.Lookup("datagen"); q.Aliases[0] == "changed" {
		t.Fatal("Lookup returned shared aliases")
	}
}

func TestLookupAmbiguousDerivedName(t *testing.T) {
	r := NewRegistry()
	r.Register(Plugin{Name: "a", Aliases: []string{"com.a.JdbcSinkConnector"}, Type: PluginSink, New: func() any { return fakeSink{} }})
	r.Register(Plugin{Name: "b", Aliases: []string{"com.b.JdbcSinkConnector"}, Type: PluginSink, New: func() any { return fakeSink{} }})
	if _, err := r.Lookup("JdbcSinkConnector"); err == nil {
		t.Fatal("ambiguous simple name resolved")
	}
	if p, err := r.Lookup("com.b.JdbcSinkConnector"); err != nil || p.Name != "b" {
		t.Fatal("full alias failed")
	}
}

func TestList(t *testing.T) {
	r := testRegistry()
	var got []string
	for _, p := range r.List() {
		got = append(got, string(p.Type)+":"+p.Class())
	}
	want := []string{
		"source:io.confluent.kafka.connect.datagen.DatagenConnector",
		"sink:org.apache.kafka.connect.file.FileStreamSinkConnector",
		"converter:org.apache.kafka.connect.converters.ByteArrayConverter",
		"converter:org.apache.kafka.connect.storage.StringConverter",
		"header_converter:org.apache.kafka.connect.storage.StringConverter",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
	if l := r.List(PluginSink, PluginSource); len(l) != 2 || l[0].Type != PluginSink {
		t.Fatalf("typed list %+v", l)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := map[string]Plugin{
		"no name":        {Type: PluginSource, New: func() any { return fakeSource{} }},
		"bad type":       {Name: "x", Type: "widget", New: func() any { return fakeSource{} }},
		"nil new":        {Name: "x", Type: PluginSource},
		"wrong instance": {Name: "x", Type: PluginSink, New: func() any { return fakeSource{} }},
		"duplicate name": {Name: "datagen", Type: PluginSource, New: func() any { return fakeSource{} }},
		"duplicate alias": {Name: "other", Aliases: []string{"io.confluent.kafka.connect.datagen.DatagenConnector"},
			Type: PluginSource, New: func() any { return fakeSource{} }},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			r := testRegistry()
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			r.Register(p)
		})
	}
}
