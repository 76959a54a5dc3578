package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// ParseStartOffset interprets the console consumer's --offset and
// --from-beginning flags. offset is "" (not given), "earliest", "latest" or a
// non-negative number; the result is sarama.OffsetOldest, sarama.OffsetNewest
// or that number. Without either flag the consumer starts at the end, as
// kafka-console-consumer does.
func ParseStartOffset(offset string, fromBeginning bool) (int64, error) {
	switch strings.ToLower(strings.TrimSpace(offset)) {
	case "":
		if fromBeginning {
			return sarama.OffsetOldest, nil
		}
		return sarama.OffsetNewest, nil
	case "earliest", "beginning", "oldest":
		return sarama.OffsetOldest, nil
	case "latest", "end", "newest":
		if fromBeginning {
			return 0, fmt.Errorf("%w: --from-beginning contradicts --offset %s", ErrInvalidArgument, offset)
		}
		return sarama.OffsetNewest, nil
	}
	n, err := strconv.ParseInt(offset, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: offset %q: want a non-negative number, earliest or latest", ErrInvalidArgument, offset)
	}
	if fromBeginning {
		return 0, fmt.Errorf("%w: --from-beginning contradicts --offset %s", ErrInvalidArgument, offset)
	}
	return n, nil
}

// ConsumerOptions configures the console consumer.
type ConsumerOptions struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Topic is read.
	Topic string
	// Partition, when >= 0, reads only that partition; otherwise all
	// partitions are read and their records interleaved. It cannot be
	// combined with Group.
	Partition int32
	// StartOffset is sarama.OffsetOldest, sarama.OffsetNewest or an explicit
	// offset (which needs Partition >= 0); see ParseStartOffset. With Group
	// it only applies to partitions the group has no committed offset for,
	// and must be OffsetOldest or OffsetNewest.
	StartOffset int64
	// Group, when set, consumes as a member of that consumer group: the
	// group's partitions are shared with its other members, and the offsets
	// of printed records are committed (every second and on exit).
	Group string
	// Assignor is the group's partition assignor, range (default),
	// roundrobin or sticky; see ParseAssignor. Only used with Group.
	Assignor string
	// MaxMessages stops the consumer after that many records; 0 = no limit.
	MaxMessages int64
	// IdleTimeout stops the consumer when no record arrived for that long;
	// 0 = wait forever.
	IdleTimeout time.Duration
	// Formatter prints each record; NewFormatter("", false) if nil.
	Formatter Formatter
}

// Consumer is the console consumer: it prints the records of a topic.
type Consumer struct {
	opts ConsumerOptions
	conf *sarama.Config
}

// NewConsumer validates opts and returns a consumer ready to Run.
func NewConsumer(opts ConsumerOptions) (*Consumer, error) {
	if opts.Topic == "" {
		return nil, fmt.Errorf("%w: empty topic name", ErrInvalidArgument)
	}
	if len(opts.Brokers) == 0 {
		return nil, fmt.Errorf("%w: no bootstrap servers", ErrInvalidArgument)
	}
	if opts.Group != "" && opts.Partition >= 0 {
		return nil, fmt.Errorf("%w: --partition cannot be used with --group: the group assigns partitions", ErrInvalidArgument)
	}
	if opts.Group != "" && opts.StartOffset >= 0 {
		return nil, fmt.Errorf("%w: --offset cannot be used with --group: the group starts at its committed offsets", ErrInvalidArgument)
	}
	if opts.StartOffset >= 0 && opts.Partition < 0 {
		return nil, fmt.Errorf("%w: an explicit --offset needs --partition", ErrInvalidArgument)
	}
	if opts.MaxMessages < 0 {
		return nil, fmt.Errorf("%w: negative --max-messages", ErrInvalidArgument)
	}
	if opts.Formatter == nil {
		f, err := NewFormatter("", false)
		if err != nil {
			return nil, err
		}
		opts.Formatter = f
	}
	conf := NewSaramaConfig()
	conf.Consumer.Return.Errors = true
	conf.Consumer.Fetch.Default = 1 << 20
	// Closing waits for the fetch in flight, so a short long-poll makes the
	// consumer exit promptly after --max-messages or --timeout-ms.
	conf.Consumer.MaxWaitTime = 200 * time.Millisecond
	conf.ChannelBufferSize = 1024
	if opts.Group != "" {
		assignor, err := ParseAssignor(opts.Assignor)
		if err != nil {
			return nil, err
		}
		conf.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{assignor}
		conf.Consumer.Offsets.Initial = opts.StartOffset
		conf.Consumer.Offsets.AutoCommit.Enable = true
		conf.Consumer.Offsets.AutoCommit.Interval = time.Second
	}
	return &Consumer{opts: opts, conf: conf}, nil
}

// Run prints records to w until MaxMessages records were printed, no record
// arrived for IdleTimeout, or ctx is cancelled; none of these is an error.
// Transient consumer errors are reported on errw and consumption goes on. It
// returns the number of records printed. With Group, Run returns once the
// offsets of the printed records are committed and the member left the
// group; a failed final commit is an error.
func (c *Consumer) Run(ctx context.Context, w io.Writer, errw io.Writer) (n int64, err error) {
	client, err := sarama.NewClient(c.opts.Brokers, c.conf)
	if err != nil {
		return 0, fmt.Errorf("connect to %v: %w", c.opts.Brokers, fromSarama(err))
	}
	defer client.Close()
	if err := checkPartition(client, c.opts.Topic, c.opts.Partition); err != nil {
		return 0, err
	}
	var src messageSource
	if c.opts.Group != "" {
		src, err = newGroupSource(client, c.opts.Group, c.opts.Topic)
	} else {
		var partitions []int32
		if c.opts.Partition >= 0 {
			partitions = []int32{c.opts.Partition}
		} else if partitions, err = client.Partitions(c.opts.Topic); err != nil {
			return 0, fmt.Errorf("topic %q: %w", c.opts.Topic, fromSarama(err))
		}
		src, err = newPartitionSource(client, c.opts.Topic, partitions, c.opts.StartOffset)
	}
	if err != nil {
		return 0, err
	}
	n, err = c.print(ctx, src, w, errw)
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// maxUnflushed bounds how many printed records wait in the output buffer
// before it is flushed, when the source must learn which records were
// written out (printedMarker).
const maxUnflushed = 1024

// print copies records from src to w. When src is a printedMarker, each
// record is marked once the output holding it was flushed.
func (c *Consumer) print(ctx context.Context, src messageSource, w io.Writer, errw io.Writer) (int64, error) {
	out := bufio.NewWriterSize(w, 64<<10)
	idle := newIdleTimer(c.opts.IdleTimeout)
	defer idle.stop()
	var (
		n   int64
		buf []byte
	)
	marker, _ := src.(printedMarker)
	var unflushed []*sarama.ConsumerMessage
	flush := func() error {
		if err := out.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		for _, m := range unflushed {
			marker.MarkPrinted(m)
		}
		unflushed = unflushed[:0]
		return nil
	}
	msgs, errs := src.Messages(), src.Errors()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return n, flush()
			}
			idle.touch()
			buf = c.opts.Formatter.Append(buf[:0], m)
			if _, err := out.Write(buf); err != nil {
				return n, fmt.Errorf("write output: %w", err)
			}
			n++
			if marker != nil {
				unflushed = append(unflushed, m)
			}
			if c.opts.MaxMessages > 0 && n >= c.opts.MaxMessages {
				return n, flush()
			}
			// Flush whenever the consumer catches up, so output stays live.
			if len(msgs) == 0 || len(unflushed) >= maxUnflushed {
				if err := flush(); err != nil {
					return n, err
				}
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			fmt.Fprintf(errw, "warning: %v\n", fromSarama(err))
		case <-idle.C():
			if idle.expired() {
				return n, flush()
			}
		case <-ctx.Done():
			return n, flush()
		}
	}
}

// idleTimer fires when nothing happened for a duration. Activity only
// records the time; the timer re-arms itself lazily when it fires early, so
// a busy consumer does not reset a timer per record.
type idleTimer struct {
	d    time.Duration
	t    *time.Timer
	last time.Time
}

func newIdleTimer(d time.Duration) *idleTimer {
	if d <= 0 {
		return &idleTimer{}
	}
	return &idleTimer{d: d, t: time.NewTimer(d), last: time.Now()}
}

// C returns the timer channel, nil (never ready) when there is no timeout.
func (t *idleTimer) C() <-chan time.Time {
	if t.t == nil {
		return nil
	}
	return t.t.C
}

func (t *idleTimer) touch() {
	if t.t != nil {
		t.last = time.Now()
	}
}

// expired reports whether the idle time is over, re-arming the timer if not.
func (t *idleTimer) expired() bool {
	if rem := t.d - time.Since(t.last); rem > 0 {
		t.t.Reset(rem)
		return false
	}
	return true
}

func (t *idleTimer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

// messageSource delivers the records the console consumer prints: one
// sarama partition consumer per partition, merged (partitionSource), or a
// consumer group member (groupSource, which is also a printedMarker).
type messageSource interface {
	// Messages delivers records; it is closed when the source is done.
	Messages() <-chan *sarama.ConsumerMessage
	// Errors delivers errors that do not stop consumption.
	Errors() <-chan error
	// Close stops the source and releases its resources.
	Close() error
}

// partitionSource merges sarama partition consumers into one channel.
type partitionSource struct {
	consumer sarama.Consumer
	pcs      []sarama.PartitionConsumer
	msgs     chan *sarama.ConsumerMessage
	errs     chan error
	stop     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

func newPartitionSource(client sarama.Client, topic string, partitions []int32, offset int64) (*partitionSource, error) {
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("start consumer: %w", fromSarama(err))
	}
	s := &partitionSource{
		consumer: consumer,
		msgs:     make(chan *sarama.ConsumerMessage, 256),
		errs:     make(chan error, 16),
		stop:     make(chan struct{}),
	}
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(topic, p, offset)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("consume %s-%d from %s: %w", topic, p, offsetName(offset), fromSarama(err))
		}
		s.pcs = append(s.pcs, pc)
	}
	// The forwarders drain their partition consumer until it is closed,
	// dropping what arrives after stop, so that closing never blocks sarama.
	var fw sync.WaitGroup
	for _, pc := range s.pcs {
		fw.Go(func() {
			for m := range pc.Messages() {
				select {
				case s.msgs <- m:
				case <-s.stop:
				}
			}
		})
		s.wg.Go(func() {
			for e := range pc.Errors() {
				select {
				case s.errs <- e:
				case <-s.stop:
				}
			}
		})
	}
	// Messages closes when every partition consumer is done.
	s.wg.Go(func() {
		fw.Wait()
		close(s.msgs)
	})
	return s, nil
}

// Messages implements messageSource.
func (s *partitionSource) Messages() <-chan *sarama.ConsumerMessage { return s.msgs }

// Errors implements messageSource.
func (s *partitionSource) Errors() <-chan error { return s.errs }

// Close stops the partition consumers and waits for the forwarders.
func (s *partitionSource) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		for _, pc := range s.pcs {
			pc.AsyncClose()
		}
		s.wg.Wait()
		err = s.consumer.Close()
	})
	return err
}

func offsetName(o int64) string {
	switch o {
	case sarama.OffsetOldest:
		return "earliest"
	case sarama.OffsetNewest:
		return "latest"
	}
	return "offset " + strconv.FormatInt(o, 10)
}
