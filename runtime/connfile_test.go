package runtime

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConnectorFile(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		name          string
		config        map[string]string
	}{
		{
			file: "local-file-source.properties",
			content: "# Kafka's sample\n" +
				"name=local-file-source\n" +
				"connector.class : FileStreamSource\n" +
				"tasks.max 1\n" +
				"! another comment\n" +
				"file=/tmp/a\\ b.txt\n" +
				"topic=connect-\\\n    test\n" +
				"value.converter.schemas.enable=false\n",
			name: "local-file-source",
			config: map[string]string{
				"name": "local-file-source", "connector.class": "FileStreamSource", "tasks.max": "1",
				"file": "/tmp/a b.txt", "topic": "connect-test", "value.converter.schemas.enable": "false",
			},
		},
		{
			file: "rest-shape.json",
			content: `{"name": "sink", "config": {"connector.class": "FileStreamSink", "tasks.max": 2,
				"errors.log.enable": true, "errors.retry.timeout": -1, "topics": "a,b"}}`,
			name: "sink",
			config: map[string]string{
				"name": "sink", "connector.class": "FileStreamSink", "tasks.max": "2",
				"errors.log.enable": "true", "errors.retry.timeout": "-1", "topics": "a,b",
			},
		},
		{
			file:    "flat.json",
			content: `{"name": "gen", "connector.class": "datagen", "max.interval": 0, "kafka.topic": "users"}`,
			name:    "gen",
			config:  map[string]string{"name": "gen", "connector.class": "datagen", "max.interval": "0", "kafka.topic": "users"},
		},
		{
			// The REST shape may carry the name only inside config.
			file:    "inner-name.json",
			content: `{"config": {"name": "inner", "connector.class": "datagen"}}`,
			name:    "inner",
			config:  map[string]string{"name": "inner", "connector.class": "datagen"},
		},
		{
			// JSON is recognised by its content whatever the extension.
			file:    "connector.conf",
			content: "\n  {\"name\": \"byContent\", \"connector.class\": \"datagen\"}",
			name:    "byContent",
			config:  map[string]string{"name": "byContent", "connector.class": "datagen"},
		},
		{
			file:    "UPPER.JSON",
			content: `{"name":"upper","connector.class":"datagen"}`,
			name:    "upper",
			config:  map[string]string{"name": "upper", "connector.class": "datagen"},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			name, config, err := ReadConnectorFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if name != tc.name {
				t.Errorf("name = %q, want %q", name, tc.name)
			}
			if !maps.Equal(config, tc.config) {
				t.Errorf("config = %v\nwant %v", config, tc.config)
			}
		})
	}
}

func TestReadConnectorFileErrors(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		mention       string
	}{
		{"noname.properties", "connector.class=datagen\n", `"name"`},
		{"blankname.properties", "name=  \nconnector.class=datagen\n", `"name"`},
		{"noname.json", `{"config": {"connector.class": "datagen"}}`, `"name"`},
		{"broken.json", `{"name": "x", "config": {`, "not a JSON object"},
		{"array.json", `["name", "x"]`, "not a JSON object"},
		{"config-not-object.json", `{"name": "x", "config": "connector.class=datagen"}`, "config"},
		{"nested.json", `{"name": "x", "config": {"connector.class": "datagen", "tasks": {"max": 1}}}`, "tasks"},
		{"null.json", `{"name": "x", "config": {"connector.class": null}}`, "connector.class"},
		{"array-value.json", `{"name": "x", "topics": ["a", "b"]}`, "topics"},
		{"name-not-string.json", `{"name": 7, "connector.class": "datagen"}`, "name"},
		{"bad-escape.properties", "name=x\nfile=\\u12\n", "line 2"},
		// A REST-shaped file whose config names another connector is
		// ambiguous; Kafka Connect's REST API rejects the same mismatch.
		{"mismatch.json", `{"name": "a", "config": {"name": "b", "connector.class": "datagen"}}`, "name"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			name, config, err := ReadConnectorFile(path)
			if err == nil {
				t.Fatalf("ReadConnectorFile accepted %s: name %q, config %v", tc.content, name, config)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %s", err, tc.mention)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, _, err := ReadConnectorFile(filepath.Join(t.TempDir(), "absent.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
	})
}
