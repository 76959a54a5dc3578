package runtime

import (
	"net/url"
	"slices"

	"conflux/runtime/cluster"
)

// Membership is what a worker knows of its place in the Connect cluster
// after its last rebalance: the generation, who leads it, and the work
// assigned to this worker. Other workers' work is known from the statuses
// they write (worker_id), not from here.
type Membership struct {
	// WorkerID is this worker's id (its advertised host:port) and URL its
	// advertised REST URL.
	WorkerID, URL string
	// Generation is the group generation of the last assignment, -1 before
	// the first one.
	Generation int32
	// Protocol is the Connect sub-protocol of that generation (default,
	// compatible or sessioned); "" before the first assignment.
	Protocol string
	// Leader reports whether this worker leads the generation, and
	// LeaderURL is the leader's REST URL.
	Leader    bool
	LeaderURL string
	// Connectors and Tasks are the connector instances and tasks assigned
	// to this worker, sorted.
	Connectors []string
	Tasks      []TaskID
	// Members are the REST URLs of every worker in the generation,
	// sorted; only the leader knows them (nil on other workers).
	Members []string
}

// Membership returns the worker's view of the cluster as of its last
// assignment. It is safe to call at any time from any goroutine.
func (w *Worker) Membership() Membership {
	if m := w.membership.Load(); m != nil {
		return *m
	}
	return Membership{WorkerID: w.id, URL: w.url, Generation: -1}
}

// membershipOf builds the Membership of an assignment.
func (w *Worker) membershipOf(a cluster.Assignment, gen cluster.Generation) *Membership {
	m := &Membership{
		WorkerID: w.id, URL: w.url,
		Generation: gen.ID, Protocol: gen.Protocol,
		Leader: gen.LeaderID == gen.MemberID, LeaderURL: a.LeaderURL,
		Connectors: append([]string(nil), a.Assigned.Connectors...),
		Tasks:      make([]TaskID, 0, len(a.Assigned.Tasks)),
		Members:    slices.Clone(gen.MemberURLs),
	}
	for _, t := range a.Assigned.Tasks {
		m.Tasks = append(m.Tasks, TaskID(t))
	}
	return m
}

// inGeneration reports whether the worker with id (a status's worker_id)
// is a member of this worker's generation, as far as it knows: always,
// unless this worker leads the generation and knows its members.
func (m Membership) inGeneration(id string) bool {
	if !m.Leader || len(m.Members) == 0 {
		return true
	}
	for _, raw := range m.Members {
		if u, err := url.Parse(raw); err == nil && u.Host == id {
			return true
		}
	}
	return false
}
