package runtime

import (
	"context"
	"net/http"
)

// TaskConfigWriter is implemented by herders of a worker cluster, whose
// workers send the task configs their connectors generate to the leader:
// Kafka Connect's internal endpoint POST /connectors/{name}/tasks.
type TaskConfigWriter interface {
	// PutTaskConfigs writes a connector's task configs as the leader,
	// after checking the request's signature (nil: unsigned) under the
	// sessioned protocol; a worker that does not lead forwards them.
	PutTaskConfigs(ctx context.Context, name string, tasks []map[string]string, sig *RequestSignature) error
}

var _ TaskConfigWriter = (*Worker)(nil)

// PutTaskConfigs implements TaskConfigWriter.
func (w *Worker) PutTaskConfigs(ctx context.Context, name string, tasks []map[string]string, sig *RequestSignature) error {
	if err := w.awaitJoined(ctx); err != nil {
		return err
	}
	if err := w.verifySignature(sig); err != nil {
		return err
	}
	return w.putTaskConfigs(ctx, name, tasks)
}

// putTaskConfigs writes a connector's task configs if this worker leads,
// and otherwise sends them, signed, to the leader.
func (w *Worker) putTaskConfigs(ctx context.Context, name string, tasks []map[string]string) error {
	leader, err := w.leaderTarget(ctx)
	if err != nil {
		return err
	}
	if leader != "" {
		_, err := w.forward(ctx, leader, forwardRequest{method: http.MethodPost, path: connectorPath(name, "/tasks"), body: tasks, signed: true})
		return err
	}
	snap, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := connectorIn(snap, name); err != nil {
		return err
	}
	return w.configs.PutTaskConfigs(ctx, name, tasks)
}
