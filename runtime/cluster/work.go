package cluster

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// TaskID names one task of a connector. Its fields match runtime.TaskID, so
// the worker converts one into the other with a plain type conversion.
type TaskID struct {
	Connector string
	Task      int
}

// String returns "<connector>-<task>", the form Kafka Connect logs.
func (t TaskID) String() string { return t.Connector + "-" + strconv.Itoa(t.Task) }

// connectorTask is the task id Kafka Connect's protocol uses on the wire for
// the connector instance itself.
const connectorTask = -1

// Work is a set of connector instances and tasks: what a worker runs, is
// given, or must stop. Connectors and Tasks are sorted and free of
// duplicates in every Work this package returns; a connector instance and
// its tasks are separate units of work and may run on different workers.
type Work struct {
	// Connectors are the connectors whose Connector instance runs here.
	Connectors []string
	// Tasks are the connector tasks that run here.
	Tasks []TaskID
}

// IsEmpty reports whether w holds neither connectors nor tasks.
func (w Work) IsEmpty() bool { return len(w.Connectors) == 0 && len(w.Tasks) == 0 }

// Len returns the number of connectors and tasks in w.
func (w Work) Len() int { return len(w.Connectors) + len(w.Tasks) }

// String lists the work compactly, e.g. "[a b-0 b-1]", for logs.
func (w Work) String() string {
	parts := make([]string, 0, w.Len())
	parts = append(parts, w.Connectors...)
	for _, t := range w.Tasks {
		parts = append(parts, t.String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// unit is one connector instance (task == connectorTask) or one task: the
// element of the work sets the assignor and the member compute with.
type unit struct {
	connector string
	task      int
}

func compareUnits(a, b unit) int {
	if c := strings.Compare(a.connector, b.connector); c != 0 {
		return c
	}
	return cmp.Compare(a.task, b.task)
}

// workSet is a set of units.
type workSet map[unit]struct{}

// setOf returns w as a set.
func setOf(w Work) workSet {
	s := make(workSet, w.Len())
	for _, c := range w.Connectors {
		s[unit{c, connectorTask}] = struct{}{}
	}
	for _, t := range w.Tasks {
		s[unit{t.Connector, t.Task}] = struct{}{}
	}
	return s
}

func (s workSet) add(u unit)      { s[u] = struct{}{} }
func (s workSet) has(u unit) bool { _, ok := s[u]; return ok }
func (s workSet) addAll(o workSet) {
	for u := range o {
		s[u] = struct{}{}
	}
}
func (s workSet) removeAll(o workSet) {
	for u := range o {
		delete(s, u)
	}
}
func (s workSet) clone() workSet      { o := make(workSet, len(s)); o.addAll(s); return o }
func (s workSet) connectors() (n int) { return s.count(true) }
func (s workSet) tasks() (n int)      { return s.count(false) }

func (s workSet) count(connectors bool) (n int) {
	for u := range s {
		if (u.task == connectorTask) == connectors {
			n++
		}
	}
	return n
}

// sorted returns the units of s in connector, then task order; a connector
// instance sorts before its tasks.
func (s workSet) sorted() []unit {
	us := make([]unit, 0, len(s))
	for u := range s {
		us = append(us, u)
	}
	slices.SortFunc(us, compareUnits)
	return us
}

// work returns s as a sorted Work.
func (s workSet) work() Work {
	var w Work
	for _, u := range s.sorted() {
		if u.task == connectorTask {
			w.Connectors = append(w.Connectors, u.connector)
		} else {
			w.Tasks = append(w.Tasks, TaskID{u.connector, u.task})
		}
	}
	return w
}

// normalize sorts w and drops duplicates.
func normalize(w Work) Work { return setOf(w).work() }
