package status

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestEncodeStatus(t *testing.T) {
	tests := []struct {
		name string
		in   Status
		want string
	}{
		{"running without trace", Status{State: Running, WorkerID: "10.0.0.1:8083", Generation: 3},
			`{"state":"RUNNING","trace":null,"worker_id":"10.0.0.1:8083","generation":3}`},
		{"negative generation", Status{State: Unassigned, WorkerID: "w:1", Generation: -1},
			`{"state":"UNASSIGNED","trace":null,"worker_id":"w:1","generation":-1}`},
		{"largest generation", Status{State: Paused, Generation: 2147483647},
			`{"state":"PAUSED","trace":null,"worker_id":"","generation":2147483647}`},
		// Jackson: short escapes for \b \t \n \f \r, upper-case \u00XX for
		// other controls, nothing else escaped (not DEL, '/', '<', U+2028).
		{"trace escaped as Jackson does", Status{State: Failed, Trace: "a\"b\\c\n\tat X(X.java:1)\r\b\f\x00\x1b[31m\x7f/<>&é✓\u2028😀", WorkerID: "h:8083", Generation: 7},
			`{"state":"FAILED","trace":"a\"b\\c\n\tat X(X.java:1)\r\b\f\u0000\u001B[31m` + "\x7f/<>&é✓\u2028😀" + `","worker_id":"h:8083","generation":7}`},
		{"invalid UTF-8 replaced", Status{State: Failed, Trace: "x\xffy", WorkerID: "w"},
			`{"state":"FAILED","trace":"x` + "\uFFFD" + `y","worker_id":"w","generation":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeStatus(tt.in)
			if string(got) != tt.want {
				t.Fatalf("EncodeStatus = %s\nwant          %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("not valid JSON: %s", got)
			}
		})
	}
	if got := EncodeStatus(Status{State: Destroyed, WorkerID: "w", Generation: 1}); got != nil {
		t.Errorf("DESTROYED encodes as %q, want a tombstone (nil)", got)
	}
}

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Status
		bad  bool
	}{
		{"conflux", `{"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":3}`, Status{State: Running, WorkerID: "w:8083", Generation: 3}, false},
		{"java field order, spaces, extra fields", ` { "generation" : 12, "worker_id":"10.1.2.3:8083", "state":"FAILED", "trace":"boom\n\tat x", "extra":{"a":[1]} } `,
			Status{State: Failed, Trace: "boom\n\tat x", WorkerID: "10.1.2.3:8083", Generation: 12}, false},
		{"no trace field", `{"state":"PAUSED","worker_id":"w","generation":0}`, Status{State: Paused, WorkerID: "w"}, false},
		{"null worker", `{"state":"UNASSIGNED","worker_id":null,"generation":1}`, Status{State: Unassigned, Generation: 1}, false},
		{"repeated field keeps the last", `{"state":"RUNNING","state":"PAUSED","generation":1}`, Status{State: Paused, Generation: 1}, false},
		{"destroyed", `{"state":"DESTROYED","generation":1}`, Status{State: Destroyed, Generation: 1}, false},
		{"escapes", `{"state":"FAILED","trace":"\u001B\u00e9\"","generation":1}`, Status{State: Failed, Trace: "\x1bé\"", Generation: 1}, false},
		{"stopped", `{"state":"STOPPED","worker_id":"w","generation":-5}`, Status{State: Stopped, WorkerID: "w", Generation: -5}, false},

		{"empty", ``, Status{}, true},
		{"not json", `RUNNING`, Status{}, true},
		{"json null", `null`, Status{}, true},
		{"array", `[]`, Status{}, true},
		{"string", `"RUNNING"`, Status{}, true},
		{"trailing data", `{"state":"RUNNING","generation":1}{}`, Status{}, true},
		{"truncated", `{"state":"RUNNING","generation":1`, Status{}, true},
		{"schema envelope", `{"schema":{"type":"struct"},"payload":{"state":"RUNNING","generation":1}}`, Status{}, true},
		{"no state", `{"generation":1}`, Status{}, true},
		{"null state", `{"state":null,"generation":1}`, Status{}, true},
		{"lower-case state", `{"state":"running","generation":1}`, Status{}, true},
		{"unknown state", `{"state":"STARTED","generation":1}`, Status{}, true},
		{"state not a string", `{"state":1,"generation":1}`, Status{}, true},
		{"field names are case-sensitive", `{"STATE":"RUNNING","generation":1}`, Status{}, true},
		{"no generation", `{"state":"RUNNING"}`, Status{}, true},
		{"null generation", `{"state":"RUNNING","generation":null}`, Status{}, true},
		{"fractional generation", `{"state":"RUNNING","generation":1.0}`, Status{}, true},
		{"exponent generation", `{"state":"RUNNING","generation":1e2}`, Status{}, true},
		{"string generation", `{"state":"RUNNING","generation":"1"}`, Status{}, true},
		{"generation beyond 32 bits", `{"state":"RUNNING","generation":2147483648}`, Status{}, true},
		{"trace not a string", `{"state":"FAILED","trace":{"x":1},"generation":1}`, Status{}, true},
		{"worker not a string", `{"state":"FAILED","worker_id":5,"generation":1}`, Status{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeStatus([]byte(tt.in))
			if tt.bad {
				if !errors.Is(err, ErrInvalidRecord) {
					t.Fatalf("DecodeStatus(%s) = %+v, %v; want ErrInvalidRecord", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DecodeStatus(%s) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
	if got, err := DecodeStatus(nil); err != nil || got.State != Destroyed {
		t.Errorf("DecodeStatus(nil) = %+v, %v; want DESTROYED", got, err)
	}
}

func TestTopicStatusCodec(t *testing.T) {
	ts := TopicStatus{Topic: "users", Connector: "datagen-users", Task: 2, Discovered: time.UnixMilli(1700000000123)}
	const want = `{"topic":{"name":"users","connector":"datagen-users","task":2,"discoverTimestamp":1700000000123}}`
	if got := EncodeTopicStatus(ts); string(got) != want {
		t.Fatalf("EncodeTopicStatus = %s\nwant %s", got, want)
	}
	good := []struct {
		in   string
		want TopicStatus
	}{
		{want, ts},
		{`{"topic":{"discoverTimestamp":5,"task":0,"connector":"c","name":"t","x":1},"other":true}`, TopicStatus{Topic: "t", Connector: "c", Discovered: time.UnixMilli(5)}},
		{`{"topic":{"name":null,"task":1,"discoverTimestamp":-1}}`, TopicStatus{Task: 1, Discovered: time.UnixMilli(-1)}},
	}
	for _, g := range good {
		got, err := DecodeTopicStatus([]byte(g.in))
		if err != nil || got.Topic != g.want.Topic || got.Connector != g.want.Connector || got.Task != g.want.Task || !got.Discovered.Equal(g.want.Discovered) {
			t.Errorf("DecodeTopicStatus(%s) = %+v, %v; want %+v", g.in, got, err, g.want)
		}
	}
	for _, in := range []string{
		``, `null`, `{}`, `{"topic":null}`, `{"topic":[]}`, `{"topic":"t"}`,
		`{"topic":{"name":"t","connector":"c","discoverTimestamp":1}}`,
		`{"topic":{"name":"t","connector":"c","task":0}}`,
		`{"topic":{"name":"t","connector":"c","task":0.5,"discoverTimestamp":1}}`,
		`{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":"1"}}`,
		`{"topic":{"name":1,"connector":"c","task":0,"discoverTimestamp":1}}`,
		`{"topic":{"name":"t","connector":"c","task":4294967296,"discoverTimestamp":1}}`,
	} {
		if got, err := DecodeTopicStatus([]byte(in)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("DecodeTopicStatus(%s) = %+v, %v; want ErrInvalidRecord", in, got, err)
		}
	}
	if _, err := DecodeTopicStatus(nil); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("DecodeTopicStatus(nil) = %v, want ErrInvalidRecord", err)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		want recordKey
		bad  bool
	}{
		{key: "status-connector-datagen", want: recordKey{kind: keyConnector, connector: "datagen"}},
		{key: "status-connector-a-b-1", want: recordKey{kind: keyConnector, connector: "a-b-1"}},
		{key: "status-connector-", bad: true},
		{key: "status-task-datagen-0", want: recordKey{kind: keyTask, connector: "datagen", task: 0}},
		{key: "status-task-my-conn-12", want: recordKey{kind: keyTask, connector: "my-conn", task: 12}},
		{key: "status-task-a--b-3", want: recordKey{kind: keyTask, connector: "a--b", task: 3}},
		{key: "status-task-c-007", want: recordKey{kind: keyTask, connector: "c", task: 7}},
		{key: "status-task-c:x-1", want: recordKey{kind: keyTask, connector: "c:x", task: 1}},
		{key: "status-task-0", bad: true},
		{key: "status-task--0", bad: true},
		{key: "status-task-c-", bad: true},
		{key: "status-task-c-x", bad: true},
		{key: "status-task-c-1.0", bad: true},
		{key: "status-task-c-2147483648", bad: true},
		{key: "status-topic-users:connector-datagen", want: recordKey{kind: keyTopic, topic: "users", connector: "datagen"}},
		{key: "status-topic-a.b_c-d:connector-x:y", want: recordKey{kind: keyTopic, topic: "a.b_c-d", connector: "x:y"}},
		{key: "status-topic-:connector-x", bad: true},
		{key: "status-topic-users:connector-", bad: true},
		{key: "status-topic-users:task-x", bad: true},
		{key: "status-topic-users", bad: true},
		{key: "status-other-x", bad: true},
		{key: "connector-x", bad: true},
		{key: "", bad: true},
	}
	for _, tt := range tests {
		got, err := parseKey(tt.key)
		if tt.bad {
			if err == nil {
				t.Errorf("parseKey(%q) = %+v, want an error", tt.key, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseKey(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
		}
	}
}

// FuzzDecodeStatus feeds arbitrary bytes to both value decoders: they must
// either fail with ErrInvalidRecord or return something whose encoding is
// valid JSON that decodes to the same thing and re-encodes to the same bytes.
func FuzzDecodeStatus(f *testing.F) {
	for _, s := range []string{
		`{"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":3}`,
		`{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":1700000000000}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := DecodeStatus(data)
		switch {
		case err != nil:
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("DecodeStatus error of the wrong kind: %v", err)
			}
		case st.State == Destroyed:
			if EncodeStatus(st) != nil {
				t.Fatalf("DESTROYED must encode as a tombstone")
			}
		default:
			enc := EncodeStatus(st)
			if !json.Valid(enc) {
				t.Fatalf("EncodeStatus(%+v) is not JSON: %q", st, enc)
			}
			again, err := DecodeStatus(enc)
			if err != nil || again != st {
				t.Fatalf("round trip: %+v → %q → %+v, %v", st, enc, again, err)
			}
			if enc2 := EncodeStatus(again); string(enc2) != string(enc) {
				t.Fatalf("encoding not stable: %q then %q", enc, enc2)
			}
		}

		ts, err := DecodeTopicStatus(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("DecodeTopicStatus error of the wrong kind: %v", err)
			}
			return
		}
		enc := EncodeTopicStatus(ts)
		if !json.Valid(enc) {
			t.Fatalf("EncodeTopicStatus(%+v) is not JSON: %q", ts, enc)
		}
		again, err := DecodeTopicStatus(enc)
		if err != nil || again.Topic != ts.Topic || again.Connector != ts.Connector || again.Task != ts.Task || !again.Discovered.Equal(ts.Discovered) {
			t.Fatalf("round trip: %+v → %q → %+v, %v", ts, enc, again, err)
		}
	})
}

// FuzzParseKey checks that every key the store accepts names the entity it
// would write under the canonical form of that key.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"status-connector-a", "status-task-a-b-0", "status-topic-t:connector-c", "status-task-c-+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, err := parseKey(key)
		if err != nil {
			return
		}
		var canonical []byte
		switch k.kind {
		case keyConnector:
			canonical = connectorKey(k.connector)
		case keyTask:
			canonical = taskKey(TaskID{Connector: k.connector, Task: k.task})
		case keyTopic:
			canonical = topicKey(k.connector, k.topic)
		default:
			t.Fatalf("parseKey(%q) returned kind %d", key, k.kind)
		}
		if k.connector == "" || (k.kind == keyTopic && k.topic == "") || k.task < 0 {
			t.Fatalf("parseKey(%q) = %+v: empty name or negative task", key, k)
		}
		again, err := parseKey(string(canonical))
		if err != nil || again != k {
			t.Fatalf("parseKey(%q) = %+v, but its canonical key %q parses as %+v, %v", key, k, canonical, again, err)
		}
	})
}
