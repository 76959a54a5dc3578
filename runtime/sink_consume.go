package runtime

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/IBM/sarama"
)

// consume keeps the task in its consumer group until ctx ends: each
// sarama Consume call is one generation; between them the subscription is
// resolved again (topics.regex) and failures are retried.
func (t *sinkTask) consume(ctx context.Context, fail *failure) {
	for ctx.Err() == nil {
		topics, err := t.subscription()
		if err != nil {
			t.logger.Warn("cannot list topics for topics.regex; retrying", "error", err)
		}
		if len(topics) == 0 {
			if err == nil {
				t.logger.Debug("no topic matches topics.regex yet", "regex", t.topicsRe)
			}
			if !sleepCtx(ctx, min(topicsRegexRefresh, 5*time.Second)) {
				return
			}
			continue
		}
		sctx, cancel := context.WithCancel(ctx)
		t.setSessionCancel(cancel)
		if t.topicsRe != nil {
			go t.watchTopics(sctx, cancel, topics)
		}
		err = t.group.Consume(sctx, topics, sinkHandler{t})
		cancel()
		switch {
		case ctx.Err() != nil, errors.Is(err, sarama.ErrClosedConsumerGroup):
			return
		case err != nil:
			t.logger.Warn("consumer group failed; rejoining", "group", t.groupID, "error", err)
			if !sleepCtx(ctx, consumeRetry) {
				return
			}
		}
	}
}

// subscription returns the topics to consume.
func (t *sinkTask) subscription() ([]string, error) {
	if t.topicsRe == nil {
		return t.topics, nil
	}
	if err := t.meta.RefreshMetadata(); err != nil {
		return nil, err
	}
	all, err := t.meta.Topics()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, topic := range all {
		if t.topicsRe.MatchString(topic) {
			out = append(out, topic)
		}
	}
	slices.Sort(out)
	return out, nil
}

// watchTopics ends the generation when the topics matching topics.regex
// change, so that the group subscribes to the new set.
func (t *sinkTask) watchTopics(ctx context.Context, cancel context.CancelFunc, current []string) {
	tick := time.NewTicker(topicsRegexRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if topics, err := t.subscription(); err == nil && !slices.Equal(topics, current) {
			t.logger.Info("topics matching topics.regex changed; rejoining", "topics", topics)
			cancel()
			return
		}
	}
}

func (t *sinkTask) setSessionCancel(cancel context.CancelFunc) {
	t.cancelMu.Lock()
	defer t.cancelMu.Unlock()
	t.cancelSession = cancel
}

// restartGeneration makes the task rejoin its group, so that partitions
// are fetched again from their committed offsets.
func (t *sinkTask) restartGeneration() {
	t.cancelMu.Lock()
	defer t.cancelMu.Unlock()
	if t.cancelSession != nil {
		t.cancelSession()
	}
}

// sleepCtx waits for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// sinkHandler is the sarama side of a sink task: it forwards the group's
// callbacks and records to the task's goroutine.
type sinkHandler struct{ t *sinkTask }

// send hands an event to the task's goroutine, unless the task is gone.
func (h sinkHandler) send(ev sinkEvent) bool {
	select {
	case h.t.events <- ev:
		return true
	case <-h.t.quit:
		return false
	}
}

// Setup implements sarama.ConsumerGroupHandler: the task opens its
// partitions before any record of the generation is fetched.
func (h sinkHandler) Setup(sess sarama.ConsumerGroupSession) error {
	ev := sinkEvent{kind: sinkOpen, sess: sess, done: make(chan struct{})}
	if h.send(ev) {
		select {
		case <-ev.done:
		case <-h.t.quit:
		}
	}
	return nil
}

// Cleanup implements sarama.ConsumerGroupHandler: offsets are committed and
// the partitions closed before the generation ends.
func (h sinkHandler) Cleanup(sess sarama.ConsumerGroupSession) error {
	ev := sinkEvent{kind: sinkClose, sess: sess, done: make(chan struct{})}
	if h.send(ev) {
		select {
		case <-ev.done:
		case <-h.t.quit:
		}
	}
	return nil
}

// ConsumeClaim implements sarama.ConsumerGroupHandler: it forwards one
// partition's records in batches of up to max.poll.records, taking what is
// already fetched without waiting for more.
func (h sinkHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	done := sess.Context().Done()
	msgs := claim.Messages()
	for {
		var first *sarama.ConsumerMessage
		select {
		case <-done:
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			first = m
		}
		batch := make([]*sarama.ConsumerMessage, 1, min(h.t.maxRecs, 64))
		batch[0] = first
	fill:
		for len(batch) < h.t.maxRecs {
			select {
			case m, ok := <-msgs:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		ev := sinkEvent{kind: sinkRecords, sess: sess, msgs: batch, hwm: claim.HighWaterMarkOffset()}
		select {
		case h.t.events <- ev:
		case <-done:
			return nil
		case <-h.t.quit:
			return nil
		}
	}
}
