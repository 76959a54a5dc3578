package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// Fetch sizes: a partition starts with defaultPartitionBytes per fetch and
// grows (up to maxPartitionBytes) when a single batch does not fit.
const (
	defaultPartitionBytes = 1 << 20
	maxPartitionBytes     = 64 << 20
)

// fetcher consumes every partition of the topic from the beginning with
// plain Fetch requests, one long-polling loop per partition leader. It keeps
// its own positions rather than using sarama's consumer because "read to the
// end" needs the exact next offset of each partition, which compaction gaps
// and empty batches at the end of a log would otherwise hide.
type fetcher struct {
	client  sarama.Client
	cfg     *Config
	version int16
	apply   func(Record)
	applyMu sync.Mutex // apply is called by one goroutine at a time
	prog    *progress

	// pos and partBytes are indexed by partition. A partition belongs to
	// exactly one fetch loop at a time (loops are started and stopped as a
	// whole), so the loop owning it reads and writes its entries unlocked.
	pos       []int64 // next offset to fetch; -1 = resolve the log start
	partBytes []int32
}

func newFetcher(client sarama.Client, cfg *Config, partitions int32, apply func(Record), prog *progress) *fetcher {
	f := &fetcher{
		client:    client,
		cfg:       cfg,
		version:   fetchVersion(client.Config().Version),
		apply:     apply,
		prog:      prog,
		pos:       make([]int64, partitions),
		partBytes: make([]int32, partitions),
	}
	for i := range f.pos {
		f.pos[i] = -1
		f.partBytes[i] = defaultPartitionBytes
	}
	return f
}

// run fetches until ctx is cancelled. It starts one loop per leader broker;
// when any loop fails (lost connection, moved leadership) all of them stop,
// metadata is refreshed and the loops are started again from their
// positions.
func (f *fetcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		groups, err := f.byLeader()
		if err == nil {
			err = f.runLoops(ctx, groups)
		}
		if ctx.Err() != nil {
			return
		}
		f.cfg.Logger.Warn("fetching internal topic failed; retrying", "topic", f.cfg.Topic, "error", err)
		if pause(ctx, f.cfg.RetryBackoff) != nil {
			return
		}
		if err := f.client.RefreshMetadata(f.cfg.Topic); err != nil {
			f.cfg.Logger.Debug("metadata refresh failed", "topic", f.cfg.Topic, "error", err)
		}
	}
}

// byLeader groups the partitions by their current leader.
func (f *fetcher) byLeader() (map[*sarama.Broker][]int32, error) {
	groups := make(map[*sarama.Broker][]int32)
	for p := range int32(len(f.pos)) {
		b, err := f.client.Leader(f.cfg.Topic, p)
		if err != nil {
			return nil, fmt.Errorf("leader of partition %d: %w", p, err)
		}
		groups[b] = append(groups[b], p)
	}
	return groups, nil
}

// runLoops runs one fetch loop per leader and returns the first failure,
// after every loop has stopped.
func (f *fetcher) runLoops(ctx context.Context, groups map[*sarama.Broker][]int32) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(groups))
	for b, parts := range groups {
		go func() { errc <- f.loop(lctx, b, parts) }()
	}
	first := <-errc
	cancel()
	for range len(groups) - 1 {
		<-errc
	}
	return first
}

// loop long-polls one broker for the partitions it leads.
func (f *fetcher) loop(ctx context.Context, b *sarama.Broker, parts []int32) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.resolveStarts(b, parts); err != nil {
			return err
		}
		req := f.request(fetchMaxWait, 1, parts)
		resp, err := b.Fetch(req)
		if err != nil {
			_ = b.Close() // reconnect on the next attempt
			return fmt.Errorf("fetch from broker %d: %w", b.ID(), err)
		}
		var idle []int32
		for _, p := range parts {
			blk := resp.GetBlock(f.cfg.Topic, p)
			got, err := f.handle(p, blk)
			if err != nil {
				return err
			}
			if !got && blk.HighWaterMarkOffset > f.pos[p] {
				idle = append(idle, p)
			}
		}
		// A partition that returned nothing although its high watermark is
		// ahead either ends in a gap (records compacted away, or batches
		// with no records left) or was crowded out of the response by the
		// others. Ask for it alone to tell which.
		for _, p := range idle {
			if err := f.probe(b, p); err != nil {
				return err
			}
		}
	}
}

// probe fetches one partition without waiting. If the broker has nothing
// between the position and the high watermark, the position moves to the
// high watermark: there are no records to apply there.
func (f *fetcher) probe(b *sarama.Broker, p int32) error {
	resp, err := b.Fetch(f.request(0, 0, []int32{p}))
	if err != nil {
		_ = b.Close()
		return fmt.Errorf("fetch from broker %d: %w", b.ID(), err)
	}
	blk := resp.GetBlock(f.cfg.Topic, p)
	got, err := f.handle(p, blk)
	if err != nil || got || blk.Partial {
		return err
	}
	if blk.HighWaterMarkOffset > f.pos[p] {
		f.pos[p] = blk.HighWaterMarkOffset
		f.prog.advance(p, f.pos[p])
	}
	return nil
}

func (f *fetcher) request(maxWait time.Duration, minBytes int32, parts []int32) *sarama.FetchRequest {
	req := &sarama.FetchRequest{
		Version:     f.version,
		MaxWaitTime: int32(maxWait.Milliseconds()),
		MinBytes:    minBytes,
		Isolation:   sarama.ReadUncommitted,
	}
	if f.version >= 7 {
		req.SessionID, req.SessionEpoch = 0, -1
	}
	var total int64
	for _, p := range parts {
		req.AddBlock(f.cfg.Topic, p, f.pos[p], f.partBytes[p], -1)
		total += int64(f.partBytes[p])
	}
	// The response limit never binds before the partition limits do.
	req.MaxBytes = int32(min(total, 1<<30))
	return req
}

// resolveStarts sets the position of partitions that have none (at start, or
// after OFFSET_OUT_OF_RANGE) to the log start offset.
func (f *fetcher) resolveStarts(b *sarama.Broker, parts []int32) error {
	var need []int32
	for _, p := range parts {
		if f.pos[p] < 0 {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		return nil
	}
	offs, err := listOffsets(b, f.client.Config().Version, f.cfg.Topic, need, sarama.OffsetOldest)
	if err != nil {
		return err
	}
	for _, p := range need {
		f.pos[p] = offs[p]
		f.prog.advance(p, offs[p])
	}
	return nil
}

// handle applies one partition's part of a fetch response and reports
// whether it held any batch.
func (f *fetcher) handle(p int32, blk *sarama.FetchResponseBlock) (bool, error) {
	if blk == nil {
		return false, fmt.Errorf("fetch partition %d: %w", p, sarama.ErrIncompleteResponse)
	}
	switch {
	case errors.Is(blk.Err, sarama.ErrNoError):
	case errors.Is(blk.Err, sarama.ErrOffsetOutOfRange):
		f.cfg.Logger.Warn("position out of range; reading the partition again from its start", "topic", f.cfg.Topic, "partition", p, "position", f.pos[p])
		f.pos[p] = -1
		return true, nil
	default:
		return false, fmt.Errorf("fetch partition %d: %w", p, blk.Err)
	}
	if blk.Partial {
		// The next batch is larger than we asked for: ask for more.
		if f.partBytes[p] >= maxPartitionBytes {
			return false, fmt.Errorf("fetch partition %d at offset %d: %w", p, f.pos[p], sarama.ErrMessageTooLarge)
		}
		f.partBytes[p] = min(f.partBytes[p]*2, maxPartitionBytes)
		return true, nil
	}
	if len(blk.RecordsSet) == 0 {
		return false, nil
	}
	before := f.pos[p]
	f.applyMu.Lock()
	for _, rs := range blk.RecordsSet {
		switch {
		case rs.RecordBatch != nil:
			f.applyBatch(p, rs.RecordBatch)
		case rs.MsgSet != nil:
			f.applyMessageSet(p, rs.MsgSet)
		}
	}
	f.applyMu.Unlock()
	if f.pos[p] > before {
		f.prog.advance(p, f.pos[p])
	}
	return true, nil
}

func (f *fetcher) applyBatch(p int32, b *sarama.RecordBatch) {
	if !b.Control {
		for _, r := range b.Records {
			off := b.FirstOffset + r.OffsetDelta
			if off < f.pos[p] {
				continue
			}
			ts := b.FirstTimestamp.Add(r.TimestampDelta)
			if b.LogAppendTime {
				ts = b.MaxTimestamp
			}
			f.apply(Record{Partition: p, Offset: off, Key: r.Key, Value: r.Value, Timestamp: ts})
			f.pos[p] = off + 1
		}
	}
	f.pos[p] = max(f.pos[p], b.LastOffset()+1)
}

// applyMessageSet handles the pre-0.11 message formats (v0, v1) that an old
// topic may still hold.
func (f *fetcher) applyMessageSet(p int32, set *sarama.MessageSet) {
	for _, outer := range set.Messages {
		inner := outer.Messages()
		for _, m := range inner {
			off := m.Offset
			if m.Msg.Version >= 1 {
				// v1 wrappers number their inner messages relatively.
				off += outer.Offset - inner[len(inner)-1].Offset
			}
			if off < f.pos[p] {
				continue
			}
			f.apply(Record{Partition: p, Offset: off, Key: m.Msg.Key, Value: m.Msg.Value, Timestamp: m.Msg.Timestamp})
			f.pos[p] = off + 1
		}
		f.pos[p] = max(f.pos[p], outer.Offset+1)
	}
}

// listOffsets asks broker b for the offset at timestamp ts (OffsetOldest,
// OffsetNewest) of the given partitions, which b must lead.
func listOffsets(b *sarama.Broker, v sarama.KafkaVersion, topic string, parts []int32, ts int64) (map[int32]int64, error) {
	req := sarama.NewOffsetRequest(v)
	for _, p := range parts {
		req.AddBlock(topic, p, ts, 1)
	}
	resp, err := b.GetAvailableOffsets(req)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("list offsets on broker %d: %w", b.ID(), err)
	}
	out := make(map[int32]int64, len(parts))
	for _, p := range parts {
		blk := resp.GetBlock(topic, p)
		if blk == nil {
			return nil, fmt.Errorf("list offsets of partition %d: %w", p, sarama.ErrIncompleteResponse)
		}
		if !errors.Is(blk.Err, sarama.ErrNoError) {
			return nil, fmt.Errorf("list offsets of partition %d: %w", p, blk.Err)
		}
		if len(blk.Offsets) == 0 {
			return nil, fmt.Errorf("list offsets of partition %d: %w", p, sarama.ErrIncompleteResponse)
		}
		out[p] = blk.Offsets[0]
	}
	return out, nil
}
