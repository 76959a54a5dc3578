package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// ParseAssignor converts a partition assignor name (range, roundrobin,
// sticky; Kafka's class names are accepted too) to sarama's strategy.
func ParseAssignor(s string) (sarama.BalanceStrategy, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	name = name[strings.LastIndex(name, ".")+1:] // org.apache.kafka.clients.consumer.RangeAssignor
	switch strings.TrimSuffix(name, "assignor") {
	case "", "range":
		return sarama.NewBalanceStrategyRange(), nil
	case "roundrobin", "round-robin":
		return sarama.NewBalanceStrategyRoundRobin(), nil
	case "sticky":
		return sarama.NewBalanceStrategySticky(), nil
	}
	return nil, fmt.Errorf("%w: assignor %q: want range, roundrobin or sticky", ErrInvalidArgument, s)
}

// printedMarker is implemented by message sources that must learn which
// records were written out, so that they acknowledge only those: the
// consumer group source commits exactly the records the console consumer
// printed.
type printedMarker interface {
	// MarkPrinted records that m was written to the output.
	MarkPrinted(m *sarama.ConsumerMessage)
}

// groupRetryBackoff is how long the group source waits before joining
// again after a failed session.
const groupRetryBackoff = time.Second

// groupSource is a messageSource that consumes a topic as a member of a
// consumer group, with sarama.ConsumerGroup. Each claim's records are
// forwarded to one channel; records the consumer printed are marked in the
// session that owns their partition and committed by sarama's auto-commit
// and, finally, when the session ends on Close.
//
// A partition that leaves and comes back to this member between sessions
// restarts at its committed offset, which may be behind what was already
// forwarded; those records are skipped, so nothing prints twice.
type groupSource struct {
	cg   sarama.ConsumerGroup
	msgs chan *sarama.ConsumerMessage
	errs chan error

	cancel context.CancelFunc // stops the consume loop
	stop   chan struct{}      // closed by Close: forwarders give up
	loop   sync.WaitGroup     // the consume loop
	fwd    sync.WaitGroup     // the error forwarder
	once   sync.Once

	group string
	fatal error // why the consume loop gave up; set before msgs is closed

	mu        sync.Mutex
	owners    map[topicPartition]sarama.ConsumerGroupSession // session owning each claimed partition
	forwarded map[topicPartition]int64                       // next offset to forward per partition
	lateErrs  []error                                        // errors that arrived after Close began
}

// newGroupSource joins group on client (whose config carries the group
// settings) and starts consuming topic in the background.
func newGroupSource(client sarama.Client, group, topic string) (*groupSource, error) {
	cg, err := sarama.NewConsumerGroupFromClient(group, client)
	if err != nil {
		return nil, fmt.Errorf("join group '%s': %w", group, fromSarama(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &groupSource{
		cg:        cg,
		group:     group,
		msgs:      make(chan *sarama.ConsumerMessage, 256),
		errs:      make(chan error, 16),
		cancel:    cancel,
		stop:      make(chan struct{}),
		owners:    map[topicPartition]sarama.ConsumerGroupSession{},
		forwarded: map[topicPartition]int64{},
	}
	s.fwd.Go(func() {
		for e := range cg.Errors() {
			select {
			case s.errs <- e:
			case <-s.stop:
				s.mu.Lock()
				s.lateErrs = append(s.lateErrs, e)
				s.mu.Unlock()
			}
		}
	})
	s.loop.Go(func() { s.consume(ctx, topic) })
	return s, nil
}

// consume runs group sessions until ctx is cancelled. Sessions end at every
// rebalance; a failed join is reported and retried after a pause, unless
// the coordinator refused the member for good (isFatalGroupError): then
// Messages is closed and Close returns the error.
func (s *groupSource) consume(ctx context.Context, topic string) {
	h := groupHandler{s}
	for {
		err := s.cg.Consume(ctx, []string{topic}, h)
		if ctx.Err() != nil || errors.Is(err, sarama.ErrClosedConsumerGroup) {
			return
		}
		if isFatalGroupError(err) {
			// No handler runs once Consume returned, so nothing sends on
			// msgs any more.
			s.fatal = fmt.Errorf("consume in group '%s': %w", s.group, fromSarama(err))
			close(s.msgs)
			return
		}
		if err != nil {
			select {
			case s.errs <- fmt.Errorf("consumer group session: %w", fromSarama(err)):
			case <-ctx.Done():
				return
			}
			select {
			case <-time.After(groupRetryBackoff):
			case <-ctx.Done():
				return
			}
		}
	}
}

// isFatalGroupError reports whether err means that joining again cannot
// succeed: a setting the coordinator rejects, or a refusal.
func isFatalGroupError(err error) bool {
	var ke sarama.KError
	if !errors.As(err, &ke) {
		return false
	}
	switch ke {
	case sarama.ErrInvalidSessionTimeout, sarama.ErrInconsistentGroupProtocol, sarama.ErrInvalidGroupId,
		sarama.ErrGroupAuthorizationFailed, sarama.ErrTopicAuthorizationFailed, sarama.ErrGroupMaxSizeReached,
		sarama.ErrFencedInstancedId, sarama.ErrUnsupportedVersion:
		return true
	}
	return false
}

// Messages implements messageSource.
func (s *groupSource) Messages() <-chan *sarama.ConsumerMessage { return s.msgs }

// Errors implements messageSource.
func (s *groupSource) Errors() <-chan error { return s.errs }

// MarkPrinted implements printedMarker: the record's offset + 1 becomes the
// partition's next commit, if this member still owns the partition.
func (s *groupSource) MarkPrinted(m *sarama.ConsumerMessage) {
	s.mu.Lock()
	sess := s.owners[topicPartition{m.Topic, m.Partition}]
	s.mu.Unlock()
	if sess != nil {
		sess.MarkMessage(m, "")
	}
}

// Close ends the session, which commits the marked offsets, and leaves the
// group. It returns the error that made the source give up, if any, and
// those sarama reported while closing, such as a failed final commit.
func (s *groupSource) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		s.cancel()
		s.loop.Wait()
		cerr := s.cg.Close()
		s.fwd.Wait()
		s.mu.Lock()
		cerr = errors.Join(append(s.lateErrs, cerr)...)
		s.mu.Unlock()
		if cerr != nil {
			cerr = fmt.Errorf("leave group '%s': %w", s.group, fromSarama(cerr))
		}
		err = errors.Join(s.fatal, cerr)
	})
	return err
}

// groupHandler is the sarama.ConsumerGroupHandler of a groupSource.
type groupHandler struct{ s *groupSource }

// Setup records the session as the owner of its claims, so that printed
// records are marked in it.
func (h groupHandler) Setup(sess sarama.ConsumerGroupSession) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	for t, ps := range sess.Claims() {
		for _, p := range ps {
			h.s.owners[topicPartition{t, p}] = sess
		}
	}
	return nil
}

// Cleanup runs after every claim ended and before sarama's final commit of
// the session; marks made until then still count.
func (h groupHandler) Cleanup(sess sarama.ConsumerGroupSession) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	for tp, owner := range h.s.owners {
		if owner == sess {
			delete(h.s.owners, tp)
		}
	}
	return nil
}

// ConsumeClaim forwards the claim's records until it is revoked or the
// session ends, skipping records forwarded in an earlier session.
func (h groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	tp := topicPartition{claim.Topic(), claim.Partition()}
	h.s.mu.Lock()
	next, seen := h.s.forwarded[tp]
	h.s.mu.Unlock()
	defer func() {
		h.s.mu.Lock()
		h.s.forwarded[tp] = next
		h.s.mu.Unlock()
	}()
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if seen && m.Offset < next {
				continue
			}
			select {
			case h.s.msgs <- m:
				next, seen = m.Offset+1, true
			case <-sess.Context().Done():
				return nil
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}
