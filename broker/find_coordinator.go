package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FindCoordinator v0–3: this broker coordinates every group. (v4 batches
// keys; nobody needs it while v3 is served.)
func init() { register(10, 0, 3, handleFindCoordinator) }

// Coordinator key types.
const (
	coordinatorGroup       = 0
	coordinatorTransaction = 1
)

func handleFindCoordinator(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	resp.NodeID, resp.Port = -1, -1
	switch req.CoordinatorType {
	case coordinatorGroup:
		// Like Kafka, create __consumer_offsets when a group first asks.
		if _, err := c.s.groups.offsetsTopic(); err != nil {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.ErrorMessage = ptr(err.Error())
			return now(resp)
		}
	case coordinatorTransaction:
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		resp.ErrorMessage = ptr("transactions are not supported by this broker")
		return now(resp)
	default:
		resp.ErrorCode = kerr.InvalidRequest.Code
		resp.ErrorMessage = ptr("unknown coordinator key type")
		return now(resp)
	}
	host, port := c.s.advertised()
	resp.NodeID, resp.Host, resp.Port = c.s.cfg.NodeID, host, port
	return now(resp)
}
