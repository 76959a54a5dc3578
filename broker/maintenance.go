package broker

import (
	"errors"
	"strings"
	"time"

	"conflux/broker/log"
)

// cleanupPolicy parses a cleanup.policy value ("delete", "compact" or both,
// comma-separated) into its two switches.
func cleanupPolicy(value string) (del, compact bool) {
	for item := range strings.SplitSeq(value, ",") {
		switch strings.TrimSpace(item) {
		case "delete":
			del = true
		case "compact":
			compact = true
		}
	}
	return del, compact
}

// topicPolicy returns the effective cleanup.policy switches of a topic.
func (s *Server) topicPolicy(t *topic) (del, compact bool) {
	v, _ := effectiveTopicConfig("cleanup.policy", t.configs, s.topics.defaults)
	return cleanupPolicy(v)
}

// maintenanceLoop owns the background upkeep of the partition logs until
// the server closes: it starts the log cleaner (one goroutine compacting
// the partitions of topics whose cleanup.policy contains compact, dirtiest
// first), and every RetentionCheckInterval applies retention.ms and
// retention.bytes to the partitions of topics whose policy contains delete
// and wakes the cleaner.
func (s *Server) maintenanceLoop() {
	cleaner := log.NewCleaner(log.CleanerOptions{Logs: s.compactedLogs, Logger: s.logger.With("component", "log-cleaner")})
	s.wg.Go(func() { cleaner.Run(s.ctx) })
	tick := time.NewTicker(s.cfg.RetentionCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		s.applyRetention(time.Now())
		cleaner.Wake()
	}
}

// applyRetention runs one retention check over every partition of every
// topic with the delete policy.
func (s *Server) applyRetention(now time.Time) {
	for _, t := range s.topics.list() {
		if del, _ := s.topicPolicy(t); !del {
			continue
		}
		for p, l := range t.partitions {
			// A topic deleted meanwhile has closed logs.
			if _, err := l.ApplyRetention(now); err != nil && !errors.Is(err, log.ErrClosed) {
				s.logger.Error("applying retention failed", "topic", t.name, "partition", p, "error", err)
			}
		}
	}
}

// compactedLogs returns the partitions of every topic with the compact
// policy, for the log cleaner.
func (s *Server) compactedLogs() []*log.Log {
	var out []*log.Log
	for _, t := range s.topics.list() {
		if _, compact := s.topicPolicy(t); compact {
			out = append(out, t.partitions...)
		}
	}
	return out
}
