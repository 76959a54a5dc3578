package status

import (
	"fmt"
	"maps"
	"slices"
)

// statusState is the status topic's content folded record by record, with
// Kafka Connect's semantics. It does no I/O: the store feeds it the records
// its log reads and turns the changes it reports into notifications.
type statusState struct {
	connectors map[string]Status
	tasks      map[string]map[int]Status         // connector → task → status
	topics     map[string]map[string]TopicStatus // connector → topic → status
}

func newStatusState() *statusState {
	return &statusState{
		connectors: map[string]Status{},
		tasks:      map[string]map[int]Status{},
		topics:     map[string]map[string]TopicStatus{},
	}
}

// apply folds the record with key and value (nil = tombstone) into the
// state. It returns the change to announce, or an error saying why the
// record was skipped; a skipped record leaves the previous status in place.
func (s *statusState) apply(key string, value []byte) (*Change, error) {
	k, err := parseKey(key)
	if err != nil {
		return nil, err
	}
	switch k.kind {
	case keyConnector:
		st, err := DecodeStatus(value)
		if err != nil {
			return nil, err
		}
		if st.State == Destroyed {
			// Like Kafka Connect, forgetting a connector forgets its
			// tasks too, whatever order their tombstones arrive in.
			delete(s.connectors, k.connector)
			delete(s.tasks, k.connector)
			return &Change{Kind: ChangeConnector, Connector: k.connector, Removed: true}, nil
		}
		s.connectors[k.connector] = st
		return &Change{Kind: ChangeConnector, Connector: k.connector, Status: st}, nil
	case keyTask:
		st, err := DecodeStatus(value)
		if err != nil {
			return nil, err
		}
		ch := &Change{Kind: ChangeTask, Connector: k.connector, Task: k.task}
		if st.State == Destroyed {
			delete(s.tasks[k.connector], k.task)
			if len(s.tasks[k.connector]) == 0 {
				delete(s.tasks, k.connector)
			}
			ch.Removed = true
			return ch, nil
		}
		if s.tasks[k.connector] == nil {
			s.tasks[k.connector] = map[int]Status{}
		}
		s.tasks[k.connector][k.task] = st
		ch.Status = st
		return ch, nil
	case keyTopic:
		ch := &Change{Kind: ChangeTopic, Connector: k.connector, Topic: k.topic}
		if value == nil {
			delete(s.topics[k.connector], k.topic)
			if len(s.topics[k.connector]) == 0 {
				delete(s.topics, k.connector)
			}
			ch.Removed = true
			return ch, nil
		}
		ts, err := DecodeTopicStatus(value)
		if err != nil {
			return nil, err
		}
		// The key is what compaction and tombstones go by, so it names
		// the entry whatever the value says.
		ts.Topic, ts.Connector = k.topic, k.connector
		if s.topics[k.connector] == nil {
			s.topics[k.connector] = map[string]TopicStatus{}
		}
		s.topics[k.connector][k.topic] = ts
		ch.TopicStatus = ts
		return ch, nil
	}
	return nil, fmt.Errorf("unknown key kind %d", k.kind)
}

// lookup returns the stored status of a connector (task < 0) or task.
func (s *statusState) lookup(connector string, task int) (Status, bool) {
	if task < 0 {
		st, ok := s.connectors[connector]
		return st, ok
	}
	st, ok := s.tasks[connector][task]
	return st, ok
}

func (s *statusState) taskList(connector string) []TaskStatus {
	tasks := s.tasks[connector]
	out := make([]TaskStatus, 0, len(tasks))
	for _, n := range slices.Sorted(maps.Keys(tasks)) {
		out = append(out, TaskStatus{ID: TaskID{Connector: connector, Task: n}, Status: tasks[n]})
	}
	return out
}

func (s *statusState) connectorNames() []string {
	names := make(map[string]struct{}, len(s.connectors)+len(s.tasks))
	for n := range s.connectors {
		names[n] = struct{}{}
	}
	for n := range s.tasks {
		names[n] = struct{}{}
	}
	return slices.Sorted(maps.Keys(names))
}
