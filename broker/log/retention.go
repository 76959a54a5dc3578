package log

import (
	"errors"
	"fmt"
	"time"
)

// ApplyRetention enforces retention.ms and retention.bytes (cleanup.policy
// delete) at time now, whole segments at a time and never the active one,
// oldest first, as Kafka does:
//
//   - by time, a segment goes when its largest timestamp is older than
//     now - retention.ms (-1: never);
//   - by size, the oldest segment goes while the log without it still holds
//     at least retention.bytes (-1: no limit).
//
// The log start offset moves to the base offset of the first segment kept
// and is persisted before any file is deleted; reads below it return
// ErrOffsetOutOfRange. Readers in the middle of a deleted segment finish
// from its still-open files, which are closed when the last one is done.
// It returns how many segments it deleted.
func (l *Log) ApplyRetention(now time.Time) (deletedSegments int, err error) {
	cfg := l.cfgNow()
	if cfg.RetentionMs < 0 && cfg.RetentionBytes < 0 {
		return 0, nil
	}
	// Capture the rolled segments; their maximum timestamps may need the
	// index files read, which is done without the lock.
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	var vs []segmentView
	for i := l.findSegment(l.start); i < len(l.segs)-1; i++ {
		vs = append(vs, l.view(i))
	}
	total := l.sizeA.Load()
	l.mu.Unlock()
	defer doneAll(vs)

	limitTs := now.UnixMilli() - cfg.RetentionMs
	k := 0
	for ; k < len(vs); k++ {
		v := &vs[k]
		expired := false
		if cfg.RetentionBytes >= 0 && total-v.limit >= cfg.RetentionBytes {
			expired = true
		} else if cfg.RetentionMs >= 0 {
			if err := l.load(v); errors.Is(err, ErrOffsetOutOfRange) {
				expired = true // deleted meanwhile
			} else if err != nil {
				return 0, fmt.Errorf("retention: %w", err)
			} else {
				expired = v.maxTs < limitTs
			}
		}
		if !expired {
			break
		}
		total -= v.limit
	}
	if k == 0 {
		return 0, nil
	}
	newStart := vs[k-1].next

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if newStart <= l.start {
		return 0, nil // moved at least as far meanwhile
	}
	if err := writeStartOffset(l.dir, newStart); err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	before := len(l.segs)
	l.start = newStart
	l.startA.Store(newStart)
	l.deleteSegmentsBelow(newStart)
	deleted := before - len(l.segs)
	if l.cleanerActive {
		deleted = k // the files go when the running cleaning pass ends
	}
	l.logger.Info("deleted segments by retention", "dir", l.dir, "segments", deleted, "log_start_offset", newStart)
	return deleted, nil
}
