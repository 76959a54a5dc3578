package broker

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
	"conflux/broker/log"
)

// offsetsRetentionCheckInterval is how often committed offsets are checked
// for expiry (offsets.retention.check.interval.ms).
const offsetsRetentionCheckInterval = 10 * time.Minute

// coordinator is the group coordinator: it owns every consumer group's
// state machine (package group), runs their timers on one goroutine and
// persists what they decide in __consumer_offsets. One mutex serialises
// all group events, so that records reach the log in the order the state
// machines decided them; fsyncs happen outside it.
type coordinator struct {
	topics *topicRegistry
	logger *slog.Logger
	cfg    group.Config
	now    func() time.Time

	topicMu sync.Mutex // serialises creating __consumer_offsets

	mu      sync.Mutex
	groups  map[string]*groupEntry
	waiters map[group.Token]*waiter
	lastTok group.Token
	timers  timerHeap
	wake    chan struct{}
}

// groupEntry is one group and where its records go.
type groupEntry struct {
	id string
	g  *group.Group
	// durable is what a reply must wait for: the end of the last record
	// appended for the group.
	durable barrier
	// scheduled is the earliest timer queued for the group (zero: none).
	scheduled time.Time
}

// barrier is a point in a __consumer_offsets partition that must be
// durable before a reply may leave, or the error that kept a record from
// being appended.
type barrier struct {
	log *log.Log
	end int64
	err error
}

// wait blocks until the barrier's records are on stable storage.
func (b barrier) wait() error {
	if b.err != nil || b.log == nil {
		return b.err
	}
	return b.log.SyncTo(b.end)
}

// waiter is a JoinGroup or SyncGroup request parked in a group.
type waiter struct {
	done    chan struct{}      // closed once answered
	deliver func(group.Action) // fills the response; runs under coordinator.mu
	failed  func(code int16)   // sets an error when the answer could not be persisted
	durable barrier            // to wait for before the answer leaves
}

func newCoordinator(topics *topicRegistry, cfg Config) *coordinator {
	gcfg := group.DefaultConfig()
	gcfg.MinSessionTimeout = cfg.GroupMinSessionTimeout
	gcfg.MaxSessionTimeout = cfg.GroupMaxSessionTimeout
	gcfg.InitialRebalanceDelay = max(cfg.GroupInitialRebalanceDelay, 0)
	return &coordinator{
		topics:  topics,
		logger:  cfg.Logger.With("component", "group-coordinator"),
		cfg:     gcfg,
		now:     time.Now,
		groups:  map[string]*groupEntry{},
		waiters: map[group.Token]*waiter{},
		wake:    make(chan struct{}, 1),
	}
}

// entry returns the group with id, creating it if create is set; nil if it
// does not exist. Called with co.mu held.
func (co *coordinator) entry(id string, create bool) *groupEntry {
	e := co.groups[id]
	if e == nil && create {
		e = &groupEntry{id: id, g: group.New(id, co.cfg, co.now())}
		co.groups[id] = e
	}
	return e
}

// apply carries out a group's decisions: its records are appended to the
// group's __consumer_offsets partition as one batch, then replies go to
// the parked requests, each to leave once the group's records are durable;
// finally the group's timer is rescheduled. Called with co.mu held.
func (co *coordinator) apply(e *groupEntry, acts []group.Action) {
	var recs []offsetsRecord
	for _, a := range acts {
		switch a := a.(type) {
		case group.StoreGroup:
			recs = append(recs, groupMetadataRecord(e.id, &a.Metadata))
		case group.DeleteGroup:
			recs = append(recs, groupMetadataRecord(e.id, nil))
		case group.StoreOffsets:
			for _, o := range a.Offsets {
				recs = append(recs, offsetCommitRecord(e.id, o.TopicPartition, &o.Offset))
			}
		case group.DeleteOffsets:
			for _, tp := range a.Partitions {
				recs = append(recs, offsetCommitRecord(e.id, tp, nil))
			}
		}
	}
	if len(recs) > 0 {
		e.durable = co.append(e.id, recs)
	}
	for _, a := range acts {
		var tok group.Token
		switch a := a.(type) {
		case group.JoinReply:
			tok = a.Token
		case group.SyncReply:
			tok = a.Token
		default:
			continue
		}
		w := co.waiters[tok]
		if w == nil {
			continue // the client went away
		}
		delete(co.waiters, tok)
		w.deliver(a)
		w.durable = e.durable
		close(w.done)
	}
	if st := e.g.State(); st == group.Dead || e.g.Unused() {
		if co.groups[e.id] == e {
			delete(co.groups, e.id)
		}
		return
	}
	co.schedule(e)
}

// append writes records to the group's partition of __consumer_offsets,
// creating the topic on first use.
func (co *coordinator) append(id string, recs []offsetsRecord) barrier {
	t, err := co.offsetsTopic()
	if err != nil {
		co.logger.Error("cannot create "+offsetsTopicName, "error", err)
		return barrier{err: err}
	}
	l := t.partitions[offsetsPartition(id, len(t.partitions))]
	res, err := l.Append(encodeOffsetsBatch(recs, co.now()))
	if err != nil {
		co.logger.Error("cannot persist group state", "group", id, "error", err)
		return barrier{err: err}
	}
	return barrier{log: l, end: res.EndOffset}
}

// offsetsTopic returns __consumer_offsets, creating it (compacted, 50
// partitions) if it does not exist yet.
func (co *coordinator) offsetsTopic() (*topic, error) {
	if t := co.topics.get(offsetsTopicName); t != nil {
		return t, nil
	}
	co.topicMu.Lock()
	defer co.topicMu.Unlock()
	if t := co.topics.get(offsetsTopicName); t != nil {
		return t, nil
	}
	t, err := co.topics.create(createSpec{name: offsetsTopicName, partitions: offsetsTopicPartitions, configs: offsetsTopicConfigs()})
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", offsetsTopicName, err)
	}
	return t, nil
}

// register parks w and returns its token. Called with co.mu held.
func (co *coordinator) register(w *waiter) group.Token {
	co.lastTok++
	co.waiters[co.lastTok] = w
	return co.lastTok
}

// await runs a JoinGroup or SyncGroup event on group id and returns the
// response, complete once the group answers the request (at once or after
// a rebalance) and its records are durable. A closing connection (or
// server) releases the wait; the group's answer is then dropped.
func (co *coordinator) await(c *conn, id string, create bool, msg kmsg.Response, w *waiter,
	event func(g *group.Group, now time.Time, tok group.Token) []group.Action, missing func()) response {
	w.done = make(chan struct{})
	co.mu.Lock()
	e := co.entry(id, create)
	if e == nil {
		co.mu.Unlock()
		missing()
		return now(msg)
	}
	tok := co.register(w)
	co.apply(e, event(e.g, co.now(), tok))
	co.mu.Unlock()

	select {
	case <-w.done:
		if w.durable == (barrier{}) {
			return now(msg)
		}
	default:
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		select {
		case <-w.done:
		case <-c.ctx.Done():
			co.mu.Lock()
			delete(co.waiters, tok)
			co.mu.Unlock()
			return
		}
		if err := w.durable.wait(); err != nil {
			c.logger.Error("group state not persisted", "group", id, "error", err)
			w.failed(kerr.CoordinatorNotAvailable.Code)
		}
	})
	return response{msg: msg, ready: ready}
}

// schedule queues the group's next deadline on the timer goroutine. Called
// with co.mu held.
func (co *coordinator) schedule(e *groupEntry) {
	d := e.g.Deadline()
	if d.IsZero() || !e.scheduled.IsZero() && !d.Before(e.scheduled) {
		return
	}
	e.scheduled = d
	heap.Push(&co.timers, timerEntry{at: d, id: e.id})
	if co.timers[0].at.Equal(d) {
		select {
		case co.wake <- struct{}{}:
		default:
		}
	}
}

// run fires group deadlines and the periodic offset expiry until ctx is
// done. It is the coordinator's only goroutine.
func (co *coordinator) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	expiry := time.NewTicker(offsetsRetentionCheckInterval)
	defer expiry.Stop()
	for {
		co.mu.Lock()
		wait := time.Hour
		if len(co.timers) > 0 {
			wait = co.timers[0].at.Sub(co.now())
		}
		co.mu.Unlock()
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return
		case <-co.wake:
		case <-timer.C:
		case <-expiry.C:
			co.expireOffsets()
		}
		co.fire()
	}
}

// fire runs Tick on every group whose deadline has passed.
func (co *coordinator) fire() {
	co.mu.Lock()
	defer co.mu.Unlock()
	now := co.now()
	for len(co.timers) > 0 && !co.timers[0].at.After(now) {
		te := heap.Pop(&co.timers).(timerEntry)
		e := co.groups[te.id]
		if e == nil {
			continue
		}
		if e.scheduled.Equal(te.at) {
			e.scheduled = time.Time{}
		}
		if d := e.g.Deadline(); !d.IsZero() && !d.After(now) {
			co.apply(e, e.g.Tick(now))
		} else {
			co.schedule(e)
		}
	}
}

// expireOffsets applies offsets.retention.minutes to every group.
func (co *coordinator) expireOffsets() {
	co.mu.Lock()
	defer co.mu.Unlock()
	now := co.now()
	for _, e := range co.groups {
		if acts := e.g.ExpireOffsets(now); len(acts) > 0 {
			co.apply(e, acts)
		}
	}
}

// timerEntry is a group deadline queued on the timer goroutine.
type timerEntry struct {
	at time.Time
	id string
}

// timerHeap is a min-heap of deadlines; entries made stale by later events
// are skipped when they fire.
type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// noteClientID records the client id of a request frame whose header
// decoded, without allocating when it did not change.
func (c *conn) noteClientID(frame []byte) {
	n := int(int16(binary.BigEndian.Uint16(frame[8:])))
	if n < 0 || 10+n > len(frame) {
		n = 0
	}
	if id := frame[10 : 10+n]; string(id) != c.clientID {
		c.clientID = string(id)
	}
}

// clientHost is how Kafka shows a member's address: "/" and the IP.
func clientHost(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	return "/" + host
}

// groupErrorCode is the Kafka error code of a group package error.
func groupErrorCode(err error) int16 {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	if err != nil {
		return kerr.UnknownServerError.Code
	}
	return 0
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ptr returns a pointer to a copy of s.
func ptr(s string) *string { return &s }

// cloneBytes copies b, which may alias a connection's read buffer.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
