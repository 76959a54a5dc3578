package broker

import (
	"errors"
	"time"

	"conflux/broker/log"
)

// backgroundFlushInterval bounds how long acks=0/1 data stays only in the
// page cache: acks=all is always fsynced before its answer, everything else
// is fsynced by this loop. It also keeps each partition's recovery
// checkpoint fresh, so a crash rescans at most about this much data.
const backgroundFlushInterval = time.Second

// flushLoop fsyncs every partition with unflushed data once per interval,
// until the server closes.
func (s *Server) flushLoop() {
	tick := time.NewTicker(backgroundFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range s.topics.list() {
			for p, l := range t.partitions {
				// A topic deleted meanwhile has closed logs: nothing to flush.
				if err := l.SyncTo(l.EndOffset()); err != nil && !errors.Is(err, log.ErrClosed) {
					s.logger.Error("background flush failed", "topic", t.name, "partition", p, "error", err)
				}
			}
		}
	}
}
