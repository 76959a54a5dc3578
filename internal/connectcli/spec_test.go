package connectcli

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConnectorSpec(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		format FileFormat
		want   ConnectorSpec
	}{
		{"properties", "# a source\nname=src\nconnector.class = contract-source\ntopic: orders\n", FormatAuto,
			ConnectorSpec{Name: "src", Config: map[string]string{"name": "src", "connector.class": "contract-source", "topic": "orders"}}},
		{"properties without name", "connector.class=x\n", FormatProperties,
			ConnectorSpec{Config: map[string]string{"connector.class": "x"}}},
		{"create request", `{"name":" src ","config":{"connector.class":"x","tasks.max":2,"enabled":true},"initial_state":"paused"}`, FormatAuto,
			ConnectorSpec{Name: "src", InitialState: "PAUSED", Config: map[string]string{"name": "src", "connector.class": "x", "tasks.max": "2", "enabled": "true"}}},
		{"create request with same name in config", `{"name":"src","config":{"name":"src","connector.class":"x"}}`, FormatJSON,
			ConnectorSpec{Name: "src", Config: map[string]string{"name": "src", "connector.class": "x"}}},
		{"flat config", "\uFEFF\n  {\"name\":\"sink\",\"connector.class\":\"x\",\"batch\":1.50e2,\"config\":\"a string\"}", FormatAuto,
			ConnectorSpec{Name: "sink", Config: map[string]string{"name": "sink", "connector.class": "x", "batch": "1.50e2", "config": "a string"}}},
		{"empty properties", "", FormatAuto, ConnectorSpec{Config: map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConnectorSpec([]byte(tt.in), tt.format)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseConnectorSpecErrors(t *testing.T) {
	tests := []struct {
		name, in string
		format   FileFormat
		want     string
	}{
		{"null value", `{"name":"a","x":null}`, FormatAuto, `the value of "x" must be a string, number or boolean, not null`},
		{"array value", `{"config":{"x":[1]}}`, FormatAuto, `the value of "x" must be a string, number or boolean, not an array`},
		{"name mismatch", `{"name":"a","config":{"name":"b"}}`, FormatAuto, `name "a" differs from the config's name "b"`},
		{"name not a string", `{"name":1,"config":{}}`, FormatAuto, `"name" must be a string, not a number`},
		{"unknown field", `{"name":"a","config":{},"tasks":[]}`, FormatAuto, `unknown field "tasks"`},
		{"syntax", "{\n  \"a\": \"b\",\n}", FormatAuto, "invalid JSON at line 3, column 1"},
		{"trailing data", `{"a":"b"} {}`, FormatAuto, "unexpected data after the value at line 1, column 11"},
		{"not an object", `["a"]`, FormatJSON, "cannot unmarshal array"},
		{"null", `null`, FormatJSON, "want a JSON object, got null"},
		{"empty json", ``, FormatJSON, "no JSON value"},
		{"bad escape", "k=\\u12g4\n", FormatAuto, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConnectorSpec([]byte(tt.in), tt.format)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrInvalidArgument containing %q", err, tt.want)
			}
		})
	}
}

func TestReadConnectorSpec(t *testing.T) {
	dir := t.TempDir()
	// A .json name forces JSON, however the content starts.
	path := filepath.Join(dir, "c.json")
	if err := os.WriteFile(path, []byte(`{"name":"old","config":{"connector.class":"x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := ReadConnectorSpec(path, nil, " new ")
	want := ConnectorSpec{Name: "new", Config: map[string]string{"name": "new", "connector.class": "x"}}
	if err != nil || !reflect.DeepEqual(spec, want) {
		t.Errorf("--name override: %+v, %v; want %+v", spec, err, want)
	}

	spec, err = ReadConnectorSpec("-", strings.NewReader("name=s\nconnector.class=x\n"), "")
	if err != nil || spec.Name != "s" || !maps.Equal(spec.Config, map[string]string{"name": "s", "connector.class": "x"}) {
		t.Errorf("stdin: %+v, %v", spec, err)
	}

	_, err = ReadConnectorSpec("-", strings.NewReader(`{"x":null}`), "")
	if err == nil || !strings.HasPrefix(err.Error(), "stdin: ") {
		t.Errorf("stdin error: %v, want it to name stdin", err)
	}
	_, err = ReadConnectorSpec(filepath.Join(dir, "missing.properties"), nil, "")
	if !errors.Is(err, ErrInvalidArgument) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseOffsets(t *testing.T) {
	got, err := ParseOffsets([]byte(`{"offsets":[
		{"partition":{"file":"a.txt"},"offset":{"line":12345678901234567890}},
		{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers keep every digit; a null offset stays null (remove).
	want := `{"offsets":[{"partition":{"file":"a.txt"},"offset":{"line":12345678901234567890}},` +
		`{"partition":{"kafka_partition":0,"kafka_topic":"t"},"offset":null}]}`
	if string(body) != want {
		t.Errorf("got %s, want %s", body, want)
	}

	bare, err := ParseOffsets([]byte(`[{"partition":{"p":1},"offset":{"o":2}}]`))
	if err != nil || len(bare.Offsets) != 1 {
		t.Errorf("bare list: %+v, %v", bare, err)
	}

	for in, want := range map[string]string{
		`{"offsets":[]}`:                  "the offsets list is empty",
		`{"offsets":{}}`:                  "want {",
		`{}`:                              "want {",
		`[1]`:                             "offsets[0] must be an object, not a number",
		`[{"offset":{}}]`:                 "offsets[0].partition must be an object, not null",
		`[{"partition":{},"offset":"x"}]`: "offsets[0].offset must be an object or null, not a string",
		`[{"partition":{},"offset":{}}] trailing`: "invalid JSON",
	} {
		if _, err := ParseOffsets([]byte(in)); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOffsets(%s) = %v, want ErrInvalidArgument containing %q", in, err, want)
		}
	}
}

// FuzzParseConnectorSpec checks that any input either fails with
// ErrInvalidArgument or gives a spec whose name, if any, is in its config.
func FuzzParseConnectorSpec(f *testing.F) {
	f.Add([]byte("name=a\nconnector.class=b\n"))
	f.Add([]byte(`{"name":"a","config":{"connector.class":"b","n":1}}`))
	f.Add([]byte(`{"name":"a","connector.class":true}`))
	f.Add([]byte("k\\\n  v\\u00e9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseConnectorSpec(data, FormatAuto)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		if spec.Config == nil {
			t.Fatal("nil config")
		}
		if spec.Name != "" && spec.Config["name"] == "" {
			t.Fatalf("name %q missing from the config %q", spec.Name, spec.Config)
		}
	})
}
