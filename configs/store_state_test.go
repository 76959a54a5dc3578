package configs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fuzzBase is the topic the fuzzed record follows: a connector with two
// committed tasks, a target state and a pending task record, and a second
// connector left inconsistent.
var fuzzBase = []struct{ key, value string }{
	{"connector-c", `{"properties":{"connector.class":"x","tasks.max":"2"}}`},
	{"task-c-0", `{"properties":{"t":"0"}}`},
	{"task-c-1", `{"properties":{"t":"1"}}`},
	{"commit-c", `{"tasks":2}`},
	{"target-state-c", `{"state":"PAUSED","state.v2":"PAUSED"}`},
	{"task-c-0", `{"properties":{"t":"pending"}}`},
	{"connector-d", `{"properties":{}}`},
	{"task-d-1", `{"properties":{}}`},
	{"commit-d", `{"tasks":2}`},
}

func fuzzBaseState(t *testing.T) *configState {
	t.Helper()
	s := newConfigState()
	for i, r := range fuzzBase {
		if _, err := s.apply(int64(i), r.key, []byte(r.value)); err != nil {
			t.Fatalf("base record %s: %v", r.key, err)
		}
	}
	if !s.inconsistent["d"] || s.taskCounts["c"] != 2 || len(s.deferred["c"]) != 1 {
		t.Fatalf("base state is not what the fuzz target expects")
	}
	return s
}

// FuzzConfigRecord feeds one arbitrary record (a tombstone if tombstone is
// set) to a state that already holds content, twice. The state must never
// panic; a skipped record must be reported as errIgnored and change nothing
// but the offset; every snapshot must keep its promises; and a connector
// config that was accepted must read back the same once written in our own
// format.
func FuzzConfigRecord(f *testing.F) {
	f.Add("connector-c", []byte(`{"properties":{"a":"b"}}`), false)
	f.Add("commit-c", []byte(`{"tasks":1}`), false)
	f.Add("target-state-c", []byte{}, true)
	f.Fuzz(func(t *testing.T, key string, value []byte, tombstone bool) {
		if tombstone {
			value = nil
		} else if value == nil {
			value = []byte{}
		}
		s := fuzzBaseState(t)
		for round := range 2 {
			off := int64(len(fuzzBase) + round)
			prev := s.snapshot()
			ch, err := s.apply(off, key, value)
			after := s.snapshot()
			checkSnapshot(t, after)
			if err != nil {
				if !errors.Is(err, errIgnored) {
					t.Fatalf("apply(%q, %q): error %v does not wrap errIgnored", key, value, err)
				}
				if ch != nil {
					t.Fatalf("apply(%q, %q) skipped the record but announced %+v", key, value, ch)
				}
				prev.Offset = after.Offset
				if !reflect.DeepEqual(after, prev) {
					t.Fatalf("skipped record %q → %q changed the state:\n  %+v\n→ %+v", key, value, prev, after)
				}
			}
			if after.Offset != off+1 && (err == nil || after.Offset != prev.Offset) {
				t.Fatalf("offset %d after the record at %d (was %d, err %v)", after.Offset, off, prev.Offset, err)
			}
			if ch != nil {
				checkChange(t, key, *ch, after)
			}
		}
		// An accepted connector config survives our own encoding.
		name, ok := strings.CutPrefix(key, prefixConnector)
		cfg, exists := s.snapshot().Connectors[name]
		if !ok || !exists || value == nil {
			return
		}
		enc, err := encodeStoreJSON(struct {
			Properties map[string]string `json:"properties"`
		}{cfg})
		if err != nil {
			t.Fatalf("encode %v: %v", cfg, err)
		}
		again := newConfigState()
		if _, err := again.apply(0, key, enc); err != nil {
			t.Fatalf("our encoding %s of %v is skipped: %v", enc, cfg, err)
		}
		if got := again.snapshot().Connectors[name]; !reflect.DeepEqual(got, cfg) {
			t.Fatalf("%v encoded as %s reads back as %v", cfg, enc, got)
		}
	})
}

// checkChange checks that a change names the connector its key names and
// agrees with the snapshot taken right after it.
func checkChange(t *testing.T, key string, ch Change, snap Snapshot) {
	t.Helper()
	var prefix string
	switch ch.Kind {
	case ChangeConnectorConfig, ChangeConnectorRemoved:
		prefix = prefixConnector
		if snap.Contains(ch.Connector) != (ch.Kind == ChangeConnectorConfig) {
			t.Fatalf("%s of %q, but Contains says %v", ch.Kind, ch.Connector, snap.Contains(ch.Connector))
		}
	case ChangeTaskConfigs:
		prefix = prefixCommit
		if tasks, ok := snap.Tasks[ch.Connector]; ok && len(tasks) != len(ch.Tasks) {
			t.Fatalf("task change %v, but the snapshot has %d tasks", ch.Tasks, len(tasks))
		}
		for i, id := range ch.Tasks {
			if id != i {
				t.Fatalf("task change lists %v, not 0..n-1", ch.Tasks)
			}
		}
	case ChangeTargetState:
		prefix = prefixTargetState
		if !snap.TargetStates[ch.Connector].valid() {
			t.Fatalf("target state change of %q, but its state is %q", ch.Connector, snap.TargetStates[ch.Connector])
		}
	case ChangeRestart:
		prefix = prefixRestart
		if ch.Restart.Connector != ch.Connector {
			t.Fatalf("restart change %+v names two connectors", ch)
		}
	case ChangeSessionKey:
		prefix = keySessionKey
		if ch.Connector != "" {
			t.Fatalf("session key change names connector %q", ch.Connector)
		}
	default:
		t.Fatalf("change of unknown kind %s", ch.Kind)
	}
	if key != prefix+ch.Connector {
		t.Fatalf("record %q announced as %s of %q", key, ch.Kind, ch.Connector)
	}
}

// TestSplitTaskID covers the connector names Kafka Connect allows in task
// keys (dashes and digits included) and the keys it would not write.
func TestSplitTaskID(t *testing.T) {
	for in, want := range map[string]string{
		"c-0":                    "c/0",
		"my-conn-2-13":           "my-conn-2/13",
		"c--1":                   "c-/1",
		"a:b/é-7":                "a:b/é/7",
		"c":                      "",
		"c-":                     "",
		"-0":                     "",
		"c-x":                    "",
		"c-01":                   "",
		"c-+1":                   "",
		"c-1.0":                  "",
		"c-99999999999999999999": "",
	} {
		name, n, ok := splitTaskID(in)
		got := ""
		if ok {
			got = fmt.Sprintf("%s/%d", name, n)
			if back := fmt.Sprintf("%s-%d", name, n); back != in {
				t.Errorf("splitTaskID(%q) = %s, which does not rebuild the key (%q)", in, got, back)
			}
		}
		if got != want {
			t.Errorf("splitTaskID(%q) = %q, want %q", in, got, want)
		}
	}
}
