package broker

import (
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/log"
)

func init() { register(1, 4, 12, handleFetch) }

// fetchBuffers recycles the buffers fetched batches are read into.
var fetchBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledFetchBuffer keeps one huge fetch from pinning its buffer forever.
const maxPooledFetchBuffer = 8 << 20

// fetch is one Fetch request being served, possibly over several reads while
// it long-polls for min_bytes.
type fetch struct {
	s    *Server
	req  *kmsg.FetchRequest
	resp *kmsg.FetchResponse
	logs [][]*log.Log // per request topic and partition; nil if unknown
	buf  *[]byte
}

func handleFetch(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if req.SessionID != 0 {
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return now(resp)
	}
	f := &fetch{s: c.s, req: req, resp: resp, buf: fetchBuffers.Get().(*[]byte)}
	f.resolve()
	release := func() {
		if cap(*f.buf) <= maxPooledFetchBuffer {
			*f.buf = (*f.buf)[:0]
			fetchBuffers.Put(f.buf)
		}
	}
	waits := f.waitChannels()
	bytes, failed := f.read()
	if failed || int32(bytes) >= req.MinBytes || req.MaxWaitMillis <= 0 || len(waits) == 0 {
		return response{msg: resp, release: release}
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		f.longPoll(c, waits)
	})
	return response{msg: resp, ready: ready, release: release}
}

// resolve finds each requested partition's log and prepares the response
// skeleton in request order.
func (f *fetch) resolve() {
	f.resp.Topics = make([]kmsg.FetchResponseTopic, len(f.req.Topics))
	f.logs = make([][]*log.Log, len(f.req.Topics))
	for i, rt := range f.req.Topics {
		st := &f.resp.Topics[i]
		*st = kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		st.TopicID = rt.TopicID
		st.Partitions = make([]kmsg.FetchResponseTopicPartition, len(rt.Partitions))
		f.logs[i] = make([]*log.Log, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			f.logs[i][j] = f.s.topics.partition(rt.Topic, rp.Partition)
		}
	}
}

// waitChannels returns, for every known partition, a channel closed when it
// next grows. Taken before reading, so an append racing the read still wakes
// the long-poll.
func (f *fetch) waitChannels() []reflect.SelectCase {
	var cases []reflect.SelectCase
	for _, logs := range f.logs {
		for _, l := range logs {
			if l != nil {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(l.Wait())})
			}
		}
	}
	return cases
}

// read fills the response from the logs. It returns the record bytes read and
// whether any partition reported an error (which answers the fetch at once).
func (f *fetch) read() (total int, failed bool) {
	buf := (*f.buf)[:0]
	budget := int(f.req.MaxBytes)
	if f.req.Version < 3 || budget <= 0 {
		budget = 1<<31 - 1
	}
	type span struct{ i, j, start, end int }
	var spans []span
	for i, rt := range f.req.Topics {
		for j, rp := range rt.Partitions {
			sp := &f.resp.Topics[i].Partitions[j]
			*sp = kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
			sp.RecordBatches = []byte{} // a null record set (size -1) breaks librdkafka
			l := f.logs[i][j]
			if l == nil {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				failed = true
				continue
			}
			end := l.EndOffset()
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = end, end, l.StartOffset()
			limit := min(int(rp.PartitionMaxBytes), budget)
			if limit <= 0 && total > 0 {
				continue
			}
			start := len(buf)
			next, err := l.Read(rp.FetchOffset, max(limit, 1), buf)
			if err != nil {
				sp.ErrorCode = logErrorCode(err)
				if !errors.Is(err, log.ErrOffsetOutOfRange) {
					f.s.logger.Error("fetch read failed", "topic", rt.Topic, "partition", rp.Partition, "error", err)
				}
				failed = true
				continue
			}
			n := len(next) - start
			if n > limit && total > 0 {
				// Only the first partition with data may exceed the limits (KIP-74).
				buf = next[:start]
				continue
			}
			buf = next
			if n > 0 {
				spans = append(spans, span{i, j, start, len(buf)})
				total += n
				budget -= n
			}
		}
	}
	for _, s := range spans {
		f.resp.Topics[s.i].Partitions[s.j].RecordBatches = buf[s.start:s.end:s.end]
	}
	*f.buf = buf
	return total, failed
}

// longPoll waits until min_bytes are available, max_wait passes, or the
// connection closes, rereading whenever a partition grows.
func (f *fetch) longPoll(c *conn, waits []reflect.SelectCase) {
	timer := time.NewTimer(time.Duration(f.req.MaxWaitMillis) * time.Millisecond)
	defer timer.Stop()
	cases := append(waits,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.ctx.Done())},
	)
	for {
		chosen, _, _ := reflect.Select(cases)
		if chosen >= len(waits) {
			if chosen == len(waits) {
				f.read()
			}
			return
		}
		cases = append(f.waitChannels(), cases[len(waits):]...)
		waits = cases[:len(waits)]
		bytes, failed := f.read()
		if failed || int32(bytes) >= f.req.MinBytes {
			return
		}
	}
}
