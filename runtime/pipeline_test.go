package runtime

import (
	"context"
	"errors"
	"maps"
	"testing"

	"conflux/configs"
	"conflux/connectors"
	"conflux/runtime/convert"
)

const (
	jsonClass   = convert.JSONConverterClass
	stringClass = convert.StringConverterClass
)

func TestConverterSettings(t *testing.T) {
	worker := map[string]string{
		"key.converter":                  jsonClass,
		"key.converter.schemas.enable":   "true",
		"value.converter":                jsonClass,
		"value.converter.schemas.enable": "true",
		"value.converter.decimal.format": "NUMERIC",
		"header.converter.extra":         "w",
	}
	for _, tc := range []struct {
		name      string
		spec      converterSpec
		worker    map[string]string
		connector map[string]string
		class     string
		settings  map[string]string
	}{
		{
			name:     "worker's class and settings when the connector says nothing",
			spec:     valueConverterSpec,
			worker:   worker,
			class:    jsonClass,
			settings: map[string]string{"schemas.enable": "true", "decimal.format": "NUMERIC"},
		},
		{
			// The documented choice in pipeline.go: a connector's prefixed
			// settings overlay the worker's even without naming a class.
			name:      "connector settings overlay the worker's class",
			spec:      valueConverterSpec,
			worker:    worker,
			connector: map[string]string{"value.converter.schemas.enable": "false"},
			class:     jsonClass,
			settings:  map[string]string{"schemas.enable": "false", "decimal.format": "NUMERIC"},
		},
		{
			name:      "same class as the worker keeps the worker's settings",
			spec:      valueConverterSpec,
			worker:    worker,
			connector: map[string]string{"value.converter": " " + jsonClass + " ", "value.converter.schemas.enable": "false"},
			class:     jsonClass,
			settings:  map[string]string{"schemas.enable": "false", "decimal.format": "NUMERIC"},
		},
		{
			name:      "another class drops the worker's settings",
			spec:      valueConverterSpec,
			worker:    worker,
			connector: map[string]string{"value.converter": stringClass, "value.converter.encoding": "UTF-16"},
			class:     stringClass,
			settings:  map[string]string{"encoding": "UTF-16"},
		},
		{
			name:      "key and value settings do not mix",
			spec:      keyConverterSpec,
			worker:    worker,
			connector: map[string]string{"value.converter": stringClass, "value.converter.encoding": "UTF-16"},
			class:     jsonClass,
			settings:  map[string]string{"schemas.enable": "true"},
		},
		{
			name:     "header converter defaults to SimpleHeaderConverter",
			spec:     headerConverterSpec,
			worker:   worker,
			class:    configs.DefaultHeaderConverter,
			settings: map[string]string{"extra": "w"},
		},
		{
			name:      "connector header converter",
			spec:      headerConverterSpec,
			worker:    worker,
			connector: map[string]string{"header.converter": stringClass},
			class:     stringClass,
			settings:  map[string]string{},
		},
		{
			name:   "no class anywhere and no fallback",
			spec:   keyConverterSpec,
			worker: map[string]string{"key.converter.schemas.enable": "false"},
			class:  "",
			settings: map[string]string{
				"schemas.enable": "false",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, settings := converterSettings(tc.spec, tc.worker, tc.connector)
			if class != tc.class {
				t.Errorf("class = %q, want %q", class, tc.class)
			}
			if !maps.Equal(settings, tc.settings) {
				t.Errorf("settings = %v, want %v", settings, tc.settings)
			}
		})
	}
	if worker["value.converter.schemas.enable"] != "true" || len(worker) != 6 {
		t.Errorf("converterSettings changed the worker's config: %v", worker)
	}
}

// TestNewConvertersApplySettings checks the converters a task gets really
// behave as their settings say: the JsonConverter envelope follows
// schemas.enable from the worker, overridden per connector.
func TestNewConvertersApplySettings(t *testing.T) {
	worker := map[string]string{
		"key.converter":                  stringClass,
		"value.converter":                jsonClass,
		"value.converter.schemas.enable": "true",
	}
	encode := func(t *testing.T, connector map[string]string) (key, value string) {
		t.Helper()
		cv, err := newConverters(connectors.Default(), worker, connector)
		if err != nil {
			t.Fatal(err)
		}
		var wire connectors.RawHeaders
		k, err := cv.key.FromConnectData("t", &wire, connectors.StringSchema, "k1")
		if err != nil {
			t.Fatal(err)
		}
		v, err := cv.value.FromConnectData("t", &wire, connectors.StringSchema, "v1")
		if err != nil {
			t.Fatal(err)
		}
		if cv.header == nil {
			t.Fatal("no header converter")
		}
		return string(k), string(v)
	}
	if k, v := encode(t, nil); k != "k1" || v != `{"schema":{"type":"string","optional":false},"payload":"v1"}` {
		t.Errorf("worker settings: key %s, value %s", k, v)
	}
	if _, v := encode(t, map[string]string{"value.converter.schemas.enable": "false"}); v != `"v1"` {
		t.Errorf("connector's schemas.enable=false: value %s, want a bare JSON string", v)
	}
	if k, v := encode(t, map[string]string{"value.converter": stringClass, "key.converter": jsonClass}); k != `{"schema":{"type":"string","optional":false},"payload":"k1"}` || v != "v1" {
		t.Errorf("connector classes: key %s, value %s", k, v)
	}
}

func TestNewConvertersErrors(t *testing.T) {
	worker := map[string]string{"key.converter": stringClass, "value.converter": jsonClass}
	for _, tc := range []struct {
		name              string
		worker, connector map[string]string
	}{
		{"unknown class", worker, map[string]string{"value.converter": "com.example.AvroConverter"}},
		{"no key converter", map[string]string{"value.converter": jsonClass}, nil},
		{"not a converter", worker, map[string]string{"key.converter": "unit-nop-sink"}},
		{"not a header converter", worker, map[string]string{"header.converter": "unit-nop-sink"}},
		{"refused settings", worker, map[string]string{"value.converter.schemas.enable": "perhaps"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := connectors.NewRegistry()
			for _, p := range connectors.Default().List() {
				if _, err := reg.Lookup(p.Name); err != nil {
					reg.Register(p)
				}
			}
			reg.Register(connectors.Plugin{Name: "unit-nop-sink", Type: connectors.PluginSink, New: func() any { return nopSink{} }})
			if _, err := newConverters(reg, tc.worker, tc.connector); !errors.Is(err, ErrPipeline) {
				t.Errorf("newConverters: %v, want an ErrPipeline error", err)
			}
		})
	}
}

// nopSink is a sink connector that does nothing, to be named where a
// converter is expected.
type nopSink struct{}

func (nopSink) Start(_ context.Context, _ connectors.ConnectorContext, _ map[string]string) error {
	return nil
}
func (nopSink) TaskConfigs(int) ([]map[string]string, error) { return nil, nil }
func (nopSink) Stop() error                                  { return nil }
func (nopSink) NewTask() connectors.SinkTask                 { return nil }
