package rest

import (
	"context"
	"errors"
	"net/http"

	"conflux/runtime"
)

// serverInfo is the body of GET /.
type serverInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// serverInfo answers GET /. It calls only Herder.ClusterID, which must not
// block, so that it answers as soon as the server listens.
func (a *api) serverInfo(w http.ResponseWriter, _ *http.Request) error {
	WriteJSON(w, http.StatusOK, serverInfo{Version: a.version, Commit: a.commit, KafkaClusterID: a.herder.ClusterID()})
	return nil
}

// workerStatus is the body of GET /health, whatever its status code.
type workerStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Kafka Connect's health messages (KIP-1017).
const (
	healthyMessage   = "Worker has completed startup and is ready to handle requests."
	startingMessage  = "Worker is still starting up."
	unhealthyMessage = "Worker was unable to handle this request and may be unable to handle other requests."
)

// health answers GET /health: 200 healthy, 503 starting (the herder
// returned runtime.ErrNotReady), or 500 unhealthy (any other error, or no
// answer within the health timeout). The herder's reason is appended to
// the message.
func (a *api) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), a.healthTimeout)
	defer cancel()
	err := a.herder.Healthy(ctx)
	switch {
	case err == nil:
		WriteJSON(w, http.StatusOK, workerStatus{Status: "healthy", Message: healthyMessage})
	case errors.Is(err, runtime.ErrNotReady):
		WriteJSON(w, http.StatusServiceUnavailable, workerStatus{Status: "starting", Message: withDetail(startingMessage, userMessage(err, runtime.ErrNotReady))})
	case ctx.Err() != nil:
		WriteJSON(w, http.StatusInternalServerError, workerStatus{Status: "unhealthy", Message: withDetail(unhealthyMessage, "The health check timed out.")})
	default:
		WriteJSON(w, http.StatusInternalServerError, workerStatus{Status: "unhealthy", Message: withDetail(unhealthyMessage, err.Error())})
	}
	return nil
}

func withDetail(msg, detail string) string {
	if detail == "" {
		return msg
	}
	return msg + " " + detail
}
