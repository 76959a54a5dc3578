package configs

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares v, encoded as indented JSON, with testdata/name.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; run go test -run %s -update and review the diff\ngot:\n%s", path, t.Name(), got)
	}
}

func TestGoldenKeyInfos(t *testing.T) {
	golden(t, "sink_connector_keys.json", SinkConnectorDef().KeyInfos())
	golden(t, "source_connector_keys.json", SourceConnectorDef().KeyInfos())
	golden(t, "worker_keys.json", WorkerDef().KeyInfos())
}

// pluginDef is a connector plugin's own definition, for validation tests.
func pluginDef() *Def {
	return NewDef(
		Key{Name: "connection.url", Type: TypeString, Default: NoDefault, Importance: High, Group: "Connection",
			Documentation: "Database URL.", Dependents: []string{"table.name"}},
		Key{Name: "connection.password", Type: TypePassword, Importance: High, Group: "Connection", Documentation: "Password."},
		Key{Name: "table.name", Type: TypeString, Default: "t", Group: "Connection", Documentation: "Table.",
			Recommender: staticRecommender{"orders", "users"}},
		Key{Name: "batch.size", Type: TypeInt, Default: 500, Validator: Between(1, 10000), Group: "Writes", Documentation: "Batch size."},
	)
}

type staticRecommender []any

func (r staticRecommender) ValidValues(string, *Values) ([]any, error) { return r, nil }
func (r staticRecommender) Visible(string, *Values) bool               { return true }

func TestGoldenConfigInfos(t *testing.T) {
	def := Merge(SinkConnectorDef(), pluginDef())
	valid := map[string]string{
		"name": "pg-sink", "connector.class": "io.example.PgSink", "tasks.max": "2", "topics": "orders, users",
		"connection.url": "postgres://db/x", "connection.password": "hunter2", "table.name": "orders",
		"transforms": "a,b",
	}
	golden(t, "validate_sink_ok.json", def.ConfigInfos("io.example.PgSink", valid))

	invalid := map[string]string{
		"connector.class": "io.example.PgSink", "tasks.max": "abc", "topics": "orders", "topics.regex": "o.*",
		"errors.tolerance": "some", "connection.password": "hunter2", "batch.size": "0", "transforms": "a,a",
		"connection.url": "${env:DB_URL}",
	}
	infos := def.ConfigInfos("io.example.PgSink", invalid, WithSecrets(map[string]bool{"connection.url": true}))
	infos.AddError("connection.url", "Could not connect.")
	infos.AddError("value.converter.schemas.enable", "Not a boolean.")
	golden(t, "validate_sink_errors.json", infos)
	if infos.ErrorCount != 9 {
		t.Fatalf("error_count %d", infos.ErrorCount)
	}
	b, _ := json.Marshal(infos)
	if bytes.Contains(b, []byte("hunter2")) || bytes.Contains(b, []byte("DB_URL")) {
		t.Fatal("secret in ConfigInfos")
	}
}

func TestKeyInfoJSONShape(t *testing.T) {
	d := ConnectorDef()
	tests := map[string]string{
		"name": `{"name":"name","type":"STRING","required":true,"default_value":null,"importance":"HIGH",` +
			`"documentation":"Globally unique name of the connector. It may not be empty or contain control characters.",` +
			`"group":"Common","order":1,"width":"MEDIUM","display_name":"Connector name","dependents":[]}`,
	}
	for key, want := range tests {
		k, _ := d.Key(key)
		b, err := json.Marshal(k.KeyInfo())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
	}
	k, _ := d.Key("tasks.max")
	if ki := k.KeyInfo(); ki.Required || *ki.DefaultValue != "1" || ki.Type != "INT" || ki.Order != 3 {
		t.Errorf("tasks.max: %+v", ki)
	}
	k, _ = d.Key("transforms")
	if ki := k.KeyInfo(); *ki.DefaultValue != "" || ki.Type != "LIST" || *ki.Group != "Transforms" {
		t.Errorf("transforms: %+v", ki)
	}
	k, _ = d.Key("key.converter")
	if ki := k.KeyInfo(); ki.Required || ki.DefaultValue != nil || ki.Type != "CLASS" {
		t.Errorf("key.converter: %+v", ki)
	}
	noGroup := NewDef(Key{Name: "x", Type: TypePassword, Default: "pw"}).KeyInfos()[0]
	b, _ := json.Marshal(noGroup)
	want := `{"name":"x","type":"PASSWORD","required":false,"default_value":"[hidden]","importance":"MEDIUM",` +
		`"documentation":"","group":null,"order":-1,"width":"NONE","display_name":"x","dependents":[]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestSinkTopicChecks(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{"name": "s", "connector.class": "c"}
	}
	tests := map[string]struct {
		extra map[string]string
		want  string
	}{
		"neither": {nil, "Must configure one of topics or topics.regex"},
		"both":    {map[string]string{"topics": "a", "topics.regex": "b.*"}, "topics and topics.regex are mutually exclusive options, but both are set."},
		"dlq in list": {map[string]string{"topics": "a,dlq", "errors.deadletterqueue.topic.name": "dlq"},
			"The DLQ topic 'dlq' may not be included in the list of topics ('topics=a,dlq') to consume from"},
		"dlq in regex": {map[string]string{"topics.regex": "d.*", "errors.deadletterqueue.topic.name": "dlq"},
			"The DLQ topic 'dlq' may not be included in the regex matching the topics to consume from ('topics.regex=d.*')"},
		"ok": {map[string]string{"topics.regex": "a.*", "errors.deadletterqueue.topic.name": "dlq"}, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			raw := base()
			for k, v := range tt.extra {
				raw[k] = v
			}
			_, err := SinkConnectorDef().Parse(raw)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWorkerDefDefaults(t *testing.T) {
	v, err := WorkerDef().Parse(map[string]string{
		"group.id": "connect-cluster", "config.storage.topic": "connect-configs", "offset.storage.topic": "connect-offsets",
		"status.storage.topic": "connect-status", "key.converter": "org.apache.kafka.connect.json.JsonConverter",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "plugin.path": "/usr/share/java",
		"offset.storage.replication.factor": "-1", "producer.linger.ms": "5",
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Int(KeyOffsetStoragePartitions) != 25 || v.Int(KeyStatusStoragePartitions) != 5 ||
		v.Long(KeyOffsetFlushInterval) != 60000 || v.Short(KeyOffsetStorageReplication) != -1 ||
		v.Short(KeyConfigStorageReplication) != 3 || v.String(KeyConnectProtocol) != "sessioned" ||
		v.Int(KeyScheduledRebalanceMaxDelay) != 300000 || v.List(KeyListeners)[0] != "http://:8083" ||
		v.String(KeyHeaderConverter) != DefaultHeaderConverter || v.Originals()["producer.linger.ms"] != "5" {
		t.Fatalf("unexpected worker values: %v", v.vals)
	}
	_, err = WorkerDef().Parse(map[string]string{
		"group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s",
		"key.converter": "k", "value.converter": "v", "offset.storage.partitions": "0",
	})
	want := "Invalid value 0 for configuration offset.storage.partitions: Number of partitions must be positive, or -1 to use the broker's default"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
}
