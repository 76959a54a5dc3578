package configs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"conflux/internal/jsonvalue"
)

// Record keys of the config topic, Kafka Connect's.
const (
	prefixConnector    = "connector-"
	prefixTask         = "task-"
	prefixCommit       = "commit-"
	prefixTargetState  = "target-state-"
	prefixRestart      = "restart-connector-"
	prefixTasksFencing = "tasks-fencing-"
	prefixLoggerLevel  = "logger-cluster-"
	keySessionKey      = "session-key"
)

// configState is the content of the config topic folded record by record,
// with Kafka Connect's semantics. It does no I/O: the store feeds it the
// records its log reads and turns the changes it reports into
// notifications.
type configState struct {
	offset       int64 // next offset after the last record applied; -1 before any
	connectors   map[string]map[string]string
	targets      map[string]TargetState
	taskCounts   map[string]int
	tasks        map[string]map[int]map[string]string // committed
	deferred     map[string]map[int]map[string]string // written, not yet committed
	inconsistent map[string]bool
	sessionKey   *SessionKey // nil until the leader writes one
}

func newConfigState() *configState {
	return &configState{
		offset:       -1,
		connectors:   map[string]map[string]string{},
		targets:      map[string]TargetState{},
		taskCounts:   map[string]int{},
		tasks:        map[string]map[int]map[string]string{},
		deferred:     map[string]map[int]map[string]string{},
		inconsistent: map[string]bool{},
	}
}

// errIgnored wraps the reason a record was skipped; the store logs it.
var errIgnored = errors.New("config record ignored")

func ignored(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", errIgnored, key, fmt.Sprintf(format, args...))
}

// apply folds the record at offset with key and value (nil = tombstone) into
// the state. It returns the change to announce, if any, and an error
// wrapping errIgnored when the record was skipped.
func (s *configState) apply(offset int64, key string, value []byte) (*Change, error) {
	var body map[string]any
	tombstone := value == nil
	if value != nil {
		v, err := decodeStoreJSON(value)
		if err != nil {
			// Like Kafka Connect, a record that is not JSON does not even
			// move the config offset.
			return nil, ignored(key, "value is not JSON: %v", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			s.offset = offset + 1
			return nil, ignored(key, "value is a JSON %T, want an object", v)
		}
		body, tombstone = m, v == nil // JSON null reads as null, like a tombstone
	}
	s.offset = offset + 1
	switch {
	case strings.HasPrefix(key, prefixTargetState):
		return s.applyTargetState(key, strings.TrimPrefix(key, prefixTargetState), tombstone, body)
	case strings.HasPrefix(key, prefixConnector):
		return s.applyConnector(key, strings.TrimPrefix(key, prefixConnector), tombstone, body)
	case strings.HasPrefix(key, prefixTask):
		return s.applyTask(key, strings.TrimPrefix(key, prefixTask), body)
	case strings.HasPrefix(key, prefixCommit):
		return s.applyCommit(key, strings.TrimPrefix(key, prefixCommit), body)
	case strings.HasPrefix(key, prefixRestart):
		return s.applyRestart(key, strings.TrimPrefix(key, prefixRestart), body)
	case key == keySessionKey:
		return s.applySessionKey(key, tombstone, body)
	case strings.HasPrefix(key, prefixTasksFencing), strings.HasPrefix(key, prefixLoggerLevel):
		return nil, nil // features Conflux does not use yet; not an error
	}
	return nil, ignored(key, "unknown key")
}

func (s *configState) applyTargetState(key, name string, tombstone bool, body map[string]any) (*Change, error) {
	if tombstone {
		// Normally removed with its connector, whose removal is what gets
		// announced. A connector that still exists (a tombstone written
		// on its own, or one that overtook the connector's on a retried
		// write) falls back to STARTED, as in Kafka Connect, so that every
		// connector keeps a target state.
		delete(s.targets, name)
		if _, ok := s.connectors[name]; ok {
			s.targets[name] = TargetStarted
			return &Change{Kind: ChangeTargetState, Connector: name}, nil
		}
		return nil, nil
	}
	raw, ok := body["state.v2"].(string)
	if !ok {
		raw, ok = body["state"].(string)
	}
	st := TargetState(raw)
	if !ok || !st.valid() {
		return nil, ignored(key, "invalid target state %v", body)
	}
	s.targets[name] = st
	return &Change{Kind: ChangeTargetState, Connector: name}, nil
}

func (s *configState) applyConnector(key, name string, tombstone bool, body map[string]any) (*Change, error) {
	if tombstone {
		delete(s.connectors, name)
		delete(s.taskCounts, name)
		delete(s.tasks, name)
		delete(s.deferred, name)
		delete(s.inconsistent, name)
		return &Change{Kind: ChangeConnectorRemoved, Connector: name}, nil
	}
	props, err := properties(body)
	if err != nil {
		return nil, ignored(key, "%v", err)
	}
	s.connectors[name] = props
	if _, ok := s.targets[name]; !ok {
		// Connectors created before target states existed, or whose
		// target state was never written, start.
		s.targets[name] = TargetStarted
	}
	return &Change{Kind: ChangeConnectorConfig, Connector: name}, nil
}

func (s *configState) applyTask(key, rest string, body map[string]any) (*Change, error) {
	name, task, ok := splitTaskID(rest)
	if !ok {
		return nil, ignored(key, "not task-<connector>-<n>")
	}
	if body == nil {
		return nil, ignored(key, "task config is null")
	}
	props, err := properties(body)
	if err != nil {
		return nil, ignored(key, "%v", err)
	}
	if s.deferred[name] == nil {
		s.deferred[name] = map[int]map[string]string{}
	}
	s.deferred[name][task] = props
	return nil, nil
}

// applyCommit makes the task configs written since the last commit current,
// if they form the complete set 0..N-1. Compaction can remove task records
// that an older commit covered while keeping the commit (or the leader can
// die halfway through a write); then the set is incomplete, nothing is
// applied, and the connector is marked inconsistent until a complete commit
// follows. Either way the deferred configs are dropped: a later commit must
// come with a fresh set.
func (s *configState) applyCommit(key, name string, body map[string]any) (*Change, error) {
	n, ok := body["tasks"].(int64)
	if !ok || n < 0 || n > 1<<20 {
		return nil, ignored(key, "invalid task count %v", body["tasks"])
	}
	count := int(n)
	deferred := s.deferred[name]
	delete(s.deferred, name)
	complete := true
	for i := range count {
		if _, ok := deferred[i]; !ok {
			complete = false
			break
		}
	}
	if !complete {
		s.inconsistent[name] = true
		return &Change{Kind: ChangeTaskConfigs, Connector: name}, nil
	}
	committed := make(map[int]map[string]string, count)
	for i := range count {
		committed[i] = deferred[i]
	}
	s.tasks[name] = committed
	s.taskCounts[name] = count
	delete(s.inconsistent, name)
	return &Change{Kind: ChangeTaskConfigs, Connector: name, Tasks: slices.Sorted(maps.Keys(committed))}, nil
}

func (s *configState) applyRestart(key, name string, body map[string]any) (*Change, error) {
	if body == nil {
		return nil, nil // a tombstone of an old request
	}
	req := RestartRequest{Connector: name}
	for field, dst := range map[string]*bool{"include-tasks": &req.IncludeTasks, "only-failed": &req.OnlyFailed} {
		if v, ok := body[field]; ok {
			b, ok := v.(bool)
			if !ok {
				return nil, ignored(key, "invalid restart request %v", body)
			}
			*dst = b
		}
	}
	return &Change{Kind: ChangeRestart, Connector: name, Restart: req}, nil
}

// snapshot copies the state.
func (s *configState) snapshot() Snapshot {
	snap := Snapshot{
		Offset:       s.offset,
		Connectors:   make(map[string]map[string]string, len(s.connectors)),
		Tasks:        map[string][]map[string]string{},
		TaskCounts:   maps.Clone(s.taskCounts),
		TargetStates: maps.Clone(s.targets),
		Inconsistent: map[string]bool{},
	}
	for name, c := range s.connectors {
		snap.Connectors[name] = maps.Clone(c)
		if s.inconsistent[name] {
			snap.Inconsistent[name] = true
			continue
		}
		if committed, ok := s.tasks[name]; ok {
			list := make([]map[string]string, s.taskCounts[name])
			for i := range list {
				list[i] = maps.Clone(committed[i])
			}
			snap.Tasks[name] = list
		}
	}
	return snap
}

// splitTaskID parses "<connector>-<n>"; connector names may contain dashes.
func splitTaskID(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != s[i+1:] {
		return "", 0, false
	}
	return s[:i], n, true
}

// properties reads the "properties" object of a connector or task record.
// Values are strings; anything else (written by hand) is kept as its JSON
// text, and nulls are dropped.
func properties(body map[string]any) (map[string]string, error) {
	raw, ok := body["properties"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no \"properties\" object")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = x
		default:
			b, err := encodeStoreJSON(x)
			if err != nil {
				return nil, err
			}
			out[k] = string(b)
		}
	}
	return out, nil
}

// encodeStoreJSON marshals v as Kafka Connect's JsonConverter (Jackson)
// writes it.
func encodeStoreJSON(v any) ([]byte, error) { return jsonvalue.Marshal(v) }

// decodeStoreJSON parses exactly one JSON value; integers come back as int64
// (JsonConverter's schemaless Long), other numbers as float64.
func decodeStoreJSON(b []byte) (any, error) { return jsonvalue.Unmarshal(b) }
