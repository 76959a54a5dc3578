package ui

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"conflux/runtime"
	"conflux/runtime/rest"
)

// clusterView is the body of GET /ui/api/cluster.
type clusterView struct {
	// WorkerID, URL, Generation, Protocol, Leader and LeaderURL describe
	// this worker's membership (see runtime.Membership).
	WorkerID   string `json:"worker_id"`
	URL        string `json:"url"`
	Version    string `json:"version"`
	Generation int32  `json:"generation"`
	Protocol   string `json:"protocol"`
	Leader     bool   `json:"leader"`
	LeaderURL  string `json:"leader_url"`
	// Assigned is what the leader assigned to this worker.
	Assigned workUnits `json:"assigned"`
	// Workers are the workers known from the statuses the cluster's
	// workers write, plus this one and the leader; sorted by id.
	Workers []workerView `json:"workers"`
}

// workUnits are connectors and tasks.
type workUnits struct {
	Connectors []string         `json:"connectors"`
	Tasks      []runtime.TaskID `json:"tasks"`
}

// workerView is one worker and the connectors and tasks whose status it
// last wrote.
type workerView struct {
	ID         string      `json:"id"`
	URL        string      `json:"url"`
	Leader     bool        `json:"leader"`
	Self       bool        `json:"self"`
	Connectors []unitState `json:"connectors"`
	Tasks      []unitState `json:"tasks"`
}

// unitState is a connector's or task's state on a worker.
type unitState struct {
	Connector string        `json:"connector"`
	Task      *int          `json:"task,omitempty"`
	State     runtime.State `json:"state"`
}

// cluster answers GET /ui/api/cluster. Only the leader learns every
// member of the group; the others are found, with their work, in the
// statuses, so a worker running nothing shows only on its own console and
// once it leads.
func (c *Console) cluster(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	m := c.member.Membership()
	view := clusterView{
		WorkerID: m.WorkerID, URL: m.URL, Version: c.version,
		Generation: m.Generation, Protocol: m.Protocol, Leader: m.Leader, LeaderURL: m.LeaderURL,
		Assigned: workUnits{Connectors: nonNil(m.Connectors), Tasks: nonNil(m.Tasks)},
	}
	workers := map[string]*workerView{}
	worker := func(id string) *workerView {
		if wv := workers[id]; wv != nil {
			return wv
		}
		wv := &workerView{ID: id, URL: workerURL(id, m), Connectors: []unitState{}, Tasks: []unitState{}}
		workers[id] = wv
		return wv
	}
	self := worker(m.WorkerID)
	self.Self, self.URL = true, m.URL
	if m.LeaderURL != "" {
		if u, err := url.Parse(m.LeaderURL); err == nil && u.Host != "" {
			lead := worker(u.Host)
			lead.Leader, lead.URL = true, m.LeaderURL
		}
	}

	names, err := c.herder.Connectors(ctx)
	if err != nil {
		rest.WriteError(w, herderStatus(err), "Cannot list the connectors: "+err.Error())
		return
	}
	for _, name := range names {
		st, err := c.herder.ConnectorStatus(ctx, name)
		if errors.Is(err, runtime.ErrNotFound) {
			continue // deleted meanwhile, or no status written yet
		}
		if err != nil {
			rest.WriteError(w, herderStatus(err), "Cannot read the status of connector "+name+": "+err.Error())
			return
		}
		if st.Connector.WorkerID != "" {
			wv := worker(st.Connector.WorkerID)
			wv.Connectors = append(wv.Connectors, unitState{Connector: name, State: st.Connector.State})
		}
		for _, t := range st.Tasks {
			if t.WorkerID != "" {
				id := t.ID
				wv := worker(t.WorkerID)
				wv.Tasks = append(wv.Tasks, unitState{Connector: name, Task: &id, State: t.State})
			}
		}
	}
	for _, wv := range workers {
		view.Workers = append(view.Workers, *wv)
	}
	slices.SortFunc(view.Workers, func(a, b workerView) int { return cmp.Compare(a.ID, b.ID) })
	rest.WriteJSON(w, http.StatusOK, view)
}

// workerURL guesses another worker's REST URL from its id (its advertised
// host:port), with the scheme the leader's URL uses.
func workerURL(id string, m runtime.Membership) string {
	scheme := "http"
	if strings.HasPrefix(m.LeaderURL, "https://") {
		scheme = "https"
	}
	return scheme + "://" + id
}

// herderStatus maps a Herder error to a status, as the REST API does for
// the cases a read can meet.
func herderStatus(err error) int {
	switch {
	case errors.Is(err, runtime.ErrNotReady):
		return http.StatusServiceUnavailable
	case errors.Is(err, runtime.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// nonNil returns s, or an empty slice for nil, so JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
