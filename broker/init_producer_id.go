package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(22, 0, 4, handleInitProducerID) }

// handleInitProducerID gives idempotent producers a fresh id, as Kafka does
// for producers without a transactional id (also when they present an old id
// to recover, KIP-360). Transactional ids are refused: this broker has no
// transaction coordinator.
func handleInitProducerID(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		c.logger.Warn("refused a transactional producer: transactions are not supported", "transactional_id", *req.TransactionalID)
		return now(resp)
	}
	id, err := c.s.producers.allocate()
	if err != nil {
		c.logger.Error("could not allocate a producer id", "error", err)
		resp.ErrorCode = kerr.KafkaStorageError.Code
		return now(resp)
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return now(resp)
}
