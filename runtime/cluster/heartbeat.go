package cluster

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// heartbeater keeps one generation's membership alive from its own
// goroutine, so that slow Handler calls or a leader's assignment never let
// the session expire. It reports the first failure on events and stops,
// except REBALANCE_IN_PROGRESS: it reports that and goes on, since the
// coordinator keeps the session of a member that heartbeats until it
// rejoins.
type heartbeater struct {
	cancel context.CancelFunc
	done   chan struct{}
	// events receives heartbeat failures: a sarama.KError from the
	// coordinator, or a transport error.
	events chan error
}

// startHeartbeat heartbeats memberID in generation gen on conn every
// interval, storing when each answered request was sent in contact, and
// when each answer that shows the coordinator still knows the member was
// sent in confirmed.
func startHeartbeat(c *coordinator, conn *sarama.Broker, memberID string, gen int32, interval time.Duration, contact, confirmed *atomic.Int64) *heartbeater {
	ctx, cancel := context.WithCancel(context.Background())
	h := &heartbeater{cancel: cancel, done: make(chan struct{}), events: make(chan error, 1)}
	req := c.heartbeatRequest(memberID, gen)
	go func() {
		defer close(h.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// The coordinator saw the member alive no earlier than the
			// request left: counting from then, the member's own deadline
			// never falls after the coordinator's.
			sent := time.Now().UnixNano()
			resp, err := conn.Heartbeat(req)
			if err == nil {
				contact.Store(sent)
				if resp.Err == sarama.ErrNoError || resp.Err == sarama.ErrRebalanceInProgress {
					confirmed.Store(sent)
				}
				if resp.Err == sarama.ErrNoError {
					continue
				}
				err = resp.Err
			}
			select {
			case h.events <- err:
			default:
			}
			if err != sarama.ErrRebalanceInProgress {
				return
			}
		}
	}()
	return h
}

// stop ends the goroutine and waits for it; a heartbeat in flight is
// answered first.
func (h *heartbeater) stop() {
	if h == nil {
		return
	}
	h.cancel()
	<-h.done
}

// keepAlive heartbeats as the member of generation gen every interval
// until the returned stop is called, ignoring the answers; it runs while
// the member waits in JoinGroup. Kafka keeps a member that waits there
// however long the rebalance takes, and answers these heartbeats with
// REBALANCE_IN_PROGRESS; some coordinators (franz-go's kfake) instead drop
// it once its session timeout passes without a heartbeat and never answer
// its join, which then hangs for the whole request timeout. stop does not
// wait for a heartbeat in flight (sarama's Broker takes concurrent
// requests).
func keepAlive(c *coordinator, conn *sarama.Broker, memberID string, gen int32, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req := c.heartbeatRequest(memberID, gen)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_, _ = conn.Heartbeat(req)
		}
	}()
	return cancel
}
