package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// DefaultMaxMessageBytes is the default largest record the console producer
// sends, and so the longest input line it accepts: Kafka's default
// max.message.bytes less the record batch overhead.
const DefaultMaxMessageBytes = 1000000

// maxReportedErrors bounds how many delivery errors the producer prints
// individually before only counting them.
const maxReportedErrors = 10

// ProducerOptions configures the console producer.
type ProducerOptions struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Topic receives the records.
	Topic string
	// ParseKey splits each line at the first KeySeparator into key and value.
	ParseKey bool
	// KeySeparator separates key and value when ParseKey is set; ":" if empty.
	KeySeparator string
	// Partition, when >= 0, sends every record to that partition. When
	// negative, keyed records go where Kafka's Java client would put them
	// (murmur2) and records without a key are spread over all partitions.
	Partition int32
	// Headers are added to every record.
	Headers []sarama.RecordHeader
	// Acks is the acknowledgement level (sarama.WaitForAll, WaitForLocal or
	// NoResponse).
	Acks sarama.RequiredAcks
	// Compression is the codec for record batches.
	Compression sarama.CompressionCodec
	// Idempotent enables the idempotent producer (requires Acks = all; one
	// request in flight per broker).
	Idempotent bool
	// MaxMessageBytes is the largest record size, and the longest line
	// accepted; DefaultMaxMessageBytes if zero.
	MaxMessageBytes int
	// Linger is how long the producer may wait to fill a batch; zero sends as
	// soon as possible (batching still happens while requests are in flight).
	Linger time.Duration
}

// ProduceStats counts what a producer run did.
type ProduceStats struct {
	// Records is the number of records handed to the producer.
	Records int64
	// Failed is the number of records the producer could not deliver.
	Failed int64
}

// Producer is the console producer: it turns lines of text into records.
type Producer struct {
	opts ProducerOptions
	conf *sarama.Config
}

// NewProducer validates opts and returns a producer ready to Run.
func NewProducer(opts ProducerOptions) (*Producer, error) {
	if opts.Topic == "" {
		return nil, fmt.Errorf("%w: empty topic name", ErrInvalidArgument)
	}
	if len(opts.Brokers) == 0 {
		return nil, fmt.Errorf("%w: no bootstrap servers", ErrInvalidArgument)
	}
	if opts.KeySeparator == "" {
		opts.KeySeparator = ":"
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.Idempotent && opts.Acks != sarama.WaitForAll {
		return nil, fmt.Errorf("%w: the idempotent producer needs acks=all", ErrInvalidArgument)
	}
	conf := NewSaramaConfig()
	// Like Kafka's console producer, let a broker that auto-creates topics
	// create the target topic.
	conf.Metadata.AllowAutoTopicCreation = true
	conf.Producer.RequiredAcks = opts.Acks
	conf.Producer.Compression = opts.Compression
	conf.Producer.MaxMessageBytes = opts.MaxMessageBytes
	conf.Producer.Flush.Frequency = opts.Linger
	// Successes are counted so that the producer is closed only when every
	// record has an outcome (see Deliveries).
	conf.Producer.Return.Successes = true
	conf.Producer.Return.Errors = true
	conf.ChannelBufferSize = 4096
	conf.Producer.Partitioner = NewPartitioner
	if opts.Partition >= 0 {
		conf.Producer.Partitioner = sarama.NewManualPartitioner
	}
	if opts.Idempotent {
		conf.Producer.Idempotent = true
		conf.Net.MaxOpenRequests = 1
	}
	if err := conf.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return &Producer{opts: opts, conf: conf}, nil
}

// Run reads lines from in, one record per line (without the line ending, "\n"
// or "\r\n"), and produces them to the topic until in is exhausted or ctx is
// cancelled. Delivery errors are written to errw as they happen (the first
// few of them); if any record failed, Run returns an error wrapping
// ErrRecordsFailed once every other record is acknowledged. A malformed line
// (no key separator with ParseKey, longer than MaxMessageBytes) stops
// reading; records read before it are still delivered. Cancelling ctx stops
// reading too, and is not an error: the records read so far are delivered
// (waiting at most a few seconds for them).
func (p *Producer) Run(ctx context.Context, in io.Reader, errw io.Writer) (ProduceStats, error) {
	var stats ProduceStats
	client, err := sarama.NewClient(p.opts.Brokers, p.conf)
	if err != nil {
		return stats, fmt.Errorf("connect to %v: %w", p.opts.Brokers, fromSarama(err))
	}
	defer client.Close()
	if err := checkPartition(client, p.opts.Topic, p.opts.Partition); err != nil {
		return stats, err
	}
	prod, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		return stats, fmt.Errorf("start producer: %w", fromSarama(err))
	}

	// Drain outcomes while producing.
	var failed int64
	deliveries := NewDeliveries()
	outcomes := drainOutcomes(prod, deliveries, func(pe *sarama.ProducerError) {
		failed++
		if failed <= maxReportedErrors {
			fmt.Fprintf(errw, "error: record to %s-%d not delivered: %v\n", pe.Msg.Topic, pe.Msg.Partition, fromSarama(pe.Err))
		} else if failed == maxReportedErrors+1 {
			fmt.Fprintf(errw, "error: more records failed; counting only\n")
		}
	})

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	batches := make(chan []*sarama.ProducerMessage, 4)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(batches)
		readErr = p.read(readCtx, in, batches)
	})

	input := prod.Input()
loop:
	for {
		select {
		case batch, ok := <-batches:
			if !ok {
				break loop
			}
			for _, m := range batch {
				select {
				case input <- m:
					stats.Records++
				case <-ctx.Done():
					break loop
				}
			}
		case <-ctx.Done():
			break loop
		}
	}
	stopReading()

	// Wait for every outcome, even when interrupted (then for a bounded
	// time), before closing: sarama's close fails records still in retry.
	deliveries.Finish(stats.Records)
	select {
	case <-deliveries.Done():
	case <-ctx.Done():
		t := time.NewTimer(interruptedFlushTimeout)
		select {
		case <-deliveries.Done():
		case <-t.C:
		}
		t.Stop()
	}
	prod.AsyncClose()
	<-outcomes
	stats.Failed = failed
	// When interrupted, the reader may be blocked reading in; it is left to
	// finish with the process.
	if ctx.Err() == nil {
		wg.Wait()
		if readErr != nil {
			return stats, readErr
		}
	}
	if failed > 0 {
		return stats, fmt.Errorf("%d of %d records not delivered: %w", failed, stats.Records, ErrRecordsFailed)
	}
	return stats, nil
}

// interruptedFlushTimeout bounds how long an interrupted producer waits for
// the records it already sent.
const interruptedFlushTimeout = 5 * time.Second

// drainOutcomes reads an async producer's successes and errors until both
// channels close, calling onError for each failure and counting every
// outcome in d. The returned channel closes when both are drained.
func drainOutcomes(prod sarama.AsyncProducer, d *Deliveries, onError func(*sarama.ProducerError)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		succ, errs := prod.Successes(), prod.Errors()
		for succ != nil || errs != nil {
			select {
			case _, ok := <-succ:
				if !ok {
					succ = nil
					continue
				}
				d.Delivered()
			case pe, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				onError(pe)
				d.Delivered()
			}
		}
	}()
	return done
}

// readBatch is how many records the reader hands over at most at once.
const readBatch = 512

// read turns lines of in into records and sends them to out in batches. A
// batch is handed over early when no more input is buffered, so interactive
// input is sent line by line.
func (p *Producer) read(ctx context.Context, in io.Reader, out chan<- []*sarama.ProducerMessage) error {
	r := bufio.NewReaderSize(in, 64<<10)
	sep := []byte(p.opts.KeySeparator)
	var (
		arena   byteArena
		msgs    []sarama.ProducerMessage
		encs    []sarama.ByteEncoder
		batch   []*sarama.ProducerMessage
		long    []byte
		lineNum int64
	)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
			batch = make([]*sarama.ProducerMessage, 0, readBatch)
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		line, err := readLine(r, p.opts.MaxMessageBytes, &long)
		if errors.Is(err, io.EOF) && line == nil {
			send()
			return nil
		}
		lineNum++
		if err != nil && !errors.Is(err, io.EOF) {
			send()
			if errors.Is(err, ErrLineTooLong) {
				return fmt.Errorf("line %d: %w (%d bytes)", lineNum, err, p.opts.MaxMessageBytes)
			}
			return fmt.Errorf("read input: %w", err)
		}
		line = arena.copy(line)
		if len(msgs) == 0 {
			msgs = make([]sarama.ProducerMessage, readBatch)
			encs = make([]sarama.ByteEncoder, 2*readBatch)
		}
		m := &msgs[0]
		msgs = msgs[1:]
		m.Topic = p.opts.Topic
		m.Headers = p.opts.Headers
		if p.opts.Partition >= 0 {
			m.Partition = p.opts.Partition
		}
		value := line
		if p.opts.ParseKey {
			k, v, kerr := SplitKey(line, sep)
			if kerr != nil {
				send()
				return fmt.Errorf("line %d: %w (separator %q)", lineNum, kerr, p.opts.KeySeparator)
			}
			encs[0] = k
			m.Key = &encs[0]
			encs = encs[1:]
			value = v
		}
		encs[0] = value
		m.Value = &encs[0]
		encs = encs[1:]
		batch = append(batch, m)
		if len(batch) == readBatch || r.Buffered() == 0 {
			if !send() {
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			send()
			return nil
		}
	}
}

// readLine returns the next line of r without its line ending. The result
// aliases r's buffer or *long and is valid until the next call. A last line
// without a newline is returned with io.EOF.
func readLine(r *bufio.Reader, max int, long *[]byte) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		*long = append((*long)[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(*long) > max+2 {
				return nil, ErrLineTooLong
			}
			line, err = r.ReadSlice('\n')
			*long = append(*long, line...)
		}
		line = *long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if errors.Is(err, io.EOF) && len(line) == 0 {
		return nil, io.EOF
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	if len(line) > max {
		return nil, ErrLineTooLong
	}
	return line, err
}

// byteArena copies many small byte slices into shared blocks, so that
// producing a line costs no allocation of its own.
type byteArena struct{ buf []byte }

const arenaBlock = 256 << 10

func (a *byteArena) copy(b []byte) []byte {
	if len(b) > arenaBlock/8 {
		return slices.Clone(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaBlock)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// checkPartition makes sure the topic exists (so that a typo fails fast with
// the broker's error) and, when partition >= 0, that it has that partition.
func checkPartition(client sarama.Client, topic string, partition int32) error {
	parts, err := client.Partitions(topic)
	if err != nil {
		return fmt.Errorf("topic %q: %w", topic, fromSarama(err))
	}
	if partition >= 0 && !slices.Contains(parts, partition) {
		return fmt.Errorf("topic %q has %d partitions: %w %d", topic, len(parts), ErrUnknownPartition, partition)
	}
	return nil
}
