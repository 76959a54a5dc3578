package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// groupBroker is a Conflux broker with group timeouts that suit tests,
// whose data survives restart.
type groupBroker struct {
	t   *testing.T
	cfg broker.Config
	srv *broker.Server
}

// startBroker starts a broker whose empty groups rebalance after
// initialDelay (none if negative).
func startBroker(t *testing.T, initialDelay time.Duration) *groupBroker {
	t.Helper()
	b := &groupBroker{t: t, cfg: broker.Config{
		DataDir:                    t.TempDir(),
		GroupMinSessionTimeout:     100 * time.Millisecond,
		GroupInitialRebalanceDelay: initialDelay,
	}}
	b.srv = brokertest.New(t, b.cfg)
	if err := b.srv.Start(); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	b.cfg.Listen = b.srv.Addr()
	return b
}

func (b *groupBroker) addr() string { return b.cfg.Listen }

// restart stops the broker and starts it again on the same address and data.
func (b *groupBroker) restart() {
	b.t.Helper()
	if err := b.srv.Close(); err != nil {
		b.t.Fatalf("stop broker: %v", err)
	}
	b.srv = brokertest.New(b.t, b.cfg)
	if err := b.srv.Start(); err != nil {
		b.t.Fatalf("restart broker: %v", err)
	}
}

// configStore is the config topic the test workers share: the connectors
// with their task counts, and its end offset.
type configStore struct {
	mu     sync.Mutex
	tasks  map[string]int
	offset int64
}

func (s *configStore) set(tasks map[string]int, offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks, s.offset = maps.Clone(tasks), offset
}

// cluster runs test workers in one group and lets the test wait for the
// state of their work.
type cluster struct {
	t       *testing.T
	broker  *groupBroker
	group   string
	store   *configStore
	changed chan struct{}
	// base is every member's configuration; start fills in the rest.
	base Config

	// owners is who runs each unit: no unit may run on two workers at
	// once, whatever happens to them (the zombie-fencing rule).
	ownersMu sync.Mutex
	owners   map[unit]string
}

// claim records that w starts running u, failing the test if another
// worker still runs it.
func (c *cluster) claim(w string, u unit) {
	c.ownersMu.Lock()
	defer c.ownersMu.Unlock()
	if other, ok := c.owners[u]; ok && other != w {
		c.t.Errorf("%v starts on %s while %s still runs it", u, w, other)
	}
	c.owners[u] = w
}

// release records that w stopped running u.
func (c *cluster) release(w string, u unit) {
	c.ownersMu.Lock()
	defer c.ownersMu.Unlock()
	if c.owners[u] == w {
		delete(c.owners, u)
	}
}

func newCluster(t *testing.T, tasks map[string]int, base Config) *cluster {
	return newClusterOn(t, startBroker(t, -1), tasks, base)
}

func newClusterOn(t *testing.T, b *groupBroker, tasks map[string]int, base Config) *cluster {
	c := &cluster{t: t, broker: b, group: "connect-" + strings.ReplaceAll(t.Name(), "/", "-"),
		store: &configStore{tasks: tasks, offset: 1}, changed: make(chan struct{}, 1), base: base, owners: map[unit]string{}}
	return c
}

func (c *cluster) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds, re-checking whenever a worker's work
// changes.
func (c *cluster) waitFor(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.changed:
		case <-deadline.C:
			c.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// worker is a test Handler: it runs what it is assigned, recording every
// call, and reads the shared config store.
type worker struct {
	name   string
	c      *cluster
	member *Member
	dialer *killSwitch
	cancel context.CancelFunc
	done   chan error

	mu        sync.Mutex
	offset    int64         // how far this worker has read the config store
	blockRead bool          // ReadConfigTo fails
	stopLag   time.Duration // how long Revoked takes, as a task slow to stop
	reads     []int64
	running   workSet
	revokes   []Work
	assigns   []Assignment
	gens      []Generation
}

func (w *worker) ConfigSnapshot() (map[string]int, int64) {
	w.c.store.mu.Lock()
	defer w.c.store.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.c.store.tasks), w.offset
}

func (w *worker) ReadConfigTo(ctx context.Context, offset int64) error {
	w.c.store.mu.Lock()
	defer w.c.store.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.c.notify()
	w.reads = append(w.reads, offset)
	if w.blockRead || w.c.store.offset < offset {
		return fmt.Errorf("%s cannot read the config topic to %d", w.name, offset)
	}
	w.offset = w.c.store.offset
	return nil
}

func (w *worker) Revoked(ctx context.Context, wk Work) {
	w.mu.Lock()
	if w.stopLag > 0 {
		w.mu.Unlock()
		// A task slow to stop: the time it takes is what the tests are
		// about (longer than the session), not something to await. The
		// work is still claimed meanwhile.
		time.Sleep(w.stopLag)
		w.mu.Lock()
	}
	for u := range setOf(wk) {
		if !w.running.has(u) {
			w.c.t.Errorf("%s told to stop %v, which it does not run", w.name, u)
		}
	}
	for u := range setOf(wk) {
		w.c.release(w.name, u)
	}
	w.running.removeAll(setOf(wk))
	w.revokes = append(w.revokes, wk)
	w.mu.Unlock()
	w.c.notify()
}

func (w *worker) Assigned(ctx context.Context, a Assignment, gen Generation) {
	w.mu.Lock()
	now := setOf(a.Assigned)
	for u := range w.running {
		if !now.has(u) {
			w.c.t.Errorf("%s: assignment %v of generation %d drops %v without revoking it", w.name, a.Assigned, gen.ID, u)
		}
	}
	if a.ConfigOffset > w.offset {
		w.c.t.Errorf("%s: assignment at config offset %d, read only to %d", w.name, a.ConfigOffset, w.offset)
	}
	for u := range now {
		if !w.running.has(u) {
			w.c.claim(w.name, u)
		}
	}
	w.running = now
	w.assigns = append(w.assigns, a)
	w.gens = append(w.gens, gen)
	w.mu.Unlock()
	w.c.notify()
}

func (w *worker) work() workSet {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running.clone()
}

func (w *worker) lastGen() Generation {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.gens) == 0 {
		return Generation{ID: -1}
	}
	return w.gens[len(w.gens)-1]
}

// start runs a member for a new worker that has read the whole config
// store; edit may change its configuration.
func (c *cluster) start(name string, edit func(*Config)) *worker {
	c.t.Helper()
	w := &worker{name: name, c: c, dialer: &killSwitch{}, done: make(chan error, 1), running: workSet{}}
	_, w.offset = w.storeState()
	cfg := c.base
	cfg.Brokers = []string{c.broker.addr()}
	cfg.GroupID = c.group
	cfg.URL = "http://" + name + ":8083"
	cfg.ClientID = name
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = 100 * time.Millisecond
	}
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = time.Second
	}
	cfg.RebalanceTimeout = 3 * time.Second
	cfg.RetryBackoff, cfg.RetryBackoffMax = 20*time.Millisecond, 200*time.Millisecond
	sc := sarama.NewConfig()
	sc.Version = sarama.V2_8_0_0
	sc.Net.DialTimeout = time.Second
	sc.Net.Proxy.Enable = true
	sc.Net.Proxy.Dialer = w.dialer
	cfg.Sarama = sc
	cfg.Logger = slog.New(slog.NewTextHandler(testLog{c.t, name}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if edit != nil {
		edit(&cfg)
	}
	m, err := NewMember(cfg, w)
	if err != nil {
		c.t.Fatalf("NewMember: %v", err)
	}
	w.member = m
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { w.done <- m.Run(ctx) }()
	c.t.Cleanup(func() { w.stop() })
	return w
}

func (w *worker) storeState() (map[string]int, int64) {
	w.c.store.mu.Lock()
	defer w.c.store.mu.Unlock()
	return maps.Clone(w.c.store.tasks), w.c.store.offset
}

// stop ends the member as a worker shutting down would, and waits for it.
func (w *worker) stop() {
	w.c.t.Helper()
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.cancel = nil
	select {
	case err := <-w.done:
		if !errors.Is(err, context.Canceled) {
			w.c.t.Errorf("%s: Run returned %v, want context.Canceled", w.name, err)
		}
	case <-time.After(10 * time.Second):
		w.c.t.Errorf("%s: Run did not return after cancellation", w.name)
	}
}

// testLog writes a member's logs to the test log.
type testLog struct {
	t    *testing.T
	name string
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(l.name + ": " + strings.TrimSpace(string(p)))
	return len(p), nil
}

// killSwitch is a dialer whose connections can all be cut at once, so that
// a member vanishes without leaving its group, or frozen, as if the
// process were paused.
type killSwitch struct {
	mu     sync.Mutex
	conns  []net.Conn
	killed bool
	thawed chan struct{} // closed unless frozen
}

// freeze holds every read and write on the connections until thaw.
func (k *killSwitch) freeze() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.thawed = make(chan struct{})
}

// thaw lets held reads and writes go on.
func (k *killSwitch) thaw() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.thawed != nil {
		close(k.thawed)
		k.thawed = nil
	}
}

// gate waits while the switch is frozen.
func (k *killSwitch) gate() {
	k.mu.Lock()
	ch := k.thawed
	k.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// gatedConn is a connection of a killSwitch.
type gatedConn struct {
	net.Conn
	k *killSwitch
}

func (c gatedConn) Read(p []byte) (int, error) {
	c.k.gate()
	return c.Conn.Read(p)
}

func (c gatedConn) Write(p []byte) (int, error) {
	c.k.gate()
	return c.Conn.Write(p)
}

func (k *killSwitch) Dial(network, address string) (net.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.killed {
		return nil, fmt.Errorf("dial %s: killed", address)
	}
	c, err := net.DialTimeout(network, address, time.Second)
	if err != nil {
		return nil, err
	}
	k.conns = append(k.conns, c)
	return gatedConn{Conn: c, k: k}, nil
}

// kill closes every connection and refuses new ones.
func (k *killSwitch) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.killed = true
	for _, c := range k.conns {
		c.Close()
	}
}

// covers reports whether ws together run every configured unit exactly
// once.
func (c *cluster) covers(ws ...*worker) bool {
	want := configuredWork(c.store.snapshot())
	seen := workSet{}
	for _, w := range ws {
		for u := range w.work() {
			if seen.has(u) || !want.has(u) {
				return false
			}
			seen.add(u)
		}
	}
	return len(seen) == len(want)
}

func (s *configStore) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.tasks)
}

// balanced reports whether connector counts and task counts each differ by
// at most one between ws.
func balanced(ws ...*worker) bool {
	for _, connectors := range []bool{true, false} {
		lo, hi := -1, -1
		for _, w := range ws {
			n := w.work().count(connectors)
			if lo < 0 || n < lo {
				lo = n
			}
			hi = max(hi, n)
		}
		if hi-lo > 1 {
			return false
		}
	}
	return true
}

func TestMemberAlone(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{ProtocolEager, ProtocolCompatible, ProtocolSessioned} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, map[string]int{"a": 2, "b": 1}, Config{Protocol: proto})
			w := c.start("w1", nil)
			c.waitFor("w1 to run everything", 10*time.Second, func() bool { return c.covers(w) })
			gen := w.lastGen()
			want := map[string]string{ProtocolEager: "default", ProtocolCompatible: "compatible", ProtocolSessioned: "sessioned"}[proto]
			if gen.Protocol != want || gen.LeaderID != gen.MemberID || gen.ID < 1 {
				t.Errorf("generation %+v, want protocol %s led by the member", gen, want)
			}
			if !slices.Equal(gen.MemberURLs, []string{"http://w1:8083"}) {
				t.Errorf("the leader's generation lists members %v, want itself", gen.MemberURLs)
			}
			if !w.member.IsLeader() || w.member.LeaderURL() != "http://w1:8083" || !reflect.DeepEqual(w.member.Generation(), gen) {
				t.Errorf("IsLeader %v, LeaderURL %q, Generation %+v", w.member.IsLeader(), w.member.LeaderURL(), w.member.Generation())
			}
			w.stop()
			if got := w.work(); len(got) != 0 {
				t.Errorf("still running %v after Run returned", got.work())
			}
			if w.member.Generation().ID != -1 || w.member.IsLeader() {
				t.Errorf("after Run: generation %+v", w.member.Generation())
			}
		})
	}
}

func TestMemberThreeShare(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{ProtocolEager, ProtocolSessioned} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, map[string]int{"a": 3, "b": 2, "c": 1}, Config{Protocol: proto})
			ws := []*worker{c.start("w1", nil), c.start("w2", nil), c.start("w3", nil)}
			c.waitFor("three workers to share the work evenly", 15*time.Second, func() bool {
				return c.covers(ws...) && balanced(ws...)
			})
			leaders := map[string]bool{}
			for _, w := range ws {
				leaders[w.member.LeaderURL()] = true
			}
			if len(leaders) != 1 {
				t.Errorf("workers disagree on the leader: %v", leaders)
			}
		})
	}
}

// TestMemberLeaves checks that a member leaving cleanly hands its work over
// well before its session would have expired.
func TestMemberLeaves(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 2, "b": 2, "c": 2}, Config{Protocol: ProtocolSessioned, SessionTimeout: 20 * time.Second})
	w1, w2, w3 := c.start("w1", nil), c.start("w2", nil), c.start("w3", nil)
	c.waitFor("three workers to share the work", 15*time.Second, func() bool { return c.covers(w1, w2, w3) && balanced(w1, w2, w3) })
	w3.stop()
	c.waitFor("two workers to take over", 5*time.Second, func() bool { return c.covers(w1, w2) && balanced(w1, w2) })
}

// TestMemberKilled cuts a member off without a LeaveGroup. It stops its own
// work once it has not reached the coordinator for a session timeout; the
// coordinator expires it, and the leader holds its work for the scheduled
// delay before it spreads it.
func TestMemberKilled(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	c := newCluster(t, map[string]int{"a": 2, "b": 2, "c": 2}, Config{Protocol: ProtocolCompatible, ScheduledRebalanceMaxDelay: delay})
	w1, w2, w3 := c.start("w1", nil), c.start("w2", nil), c.start("w3", nil)
	c.waitFor("three workers to share the work", 15*time.Second, func() bool { return c.covers(w1, w2, w3) && balanced(w1, w2, w3) })
	victim := w3
	for _, w := range []*worker{w1, w2} {
		if w.member.IsLeader() {
			continue
		}
		victim = w // keep the leader, so that its delay bookkeeping is exercised
	}
	survivors := []*worker{}
	for _, w := range []*worker{w1, w2, w3} {
		if w != victim {
			survivors = append(survivors, w)
		}
	}
	lost := victim.work()
	killed := time.Now()
	victim.dialer.kill()

	c.waitFor("the cut-off worker to stop its work", 10*time.Second, func() bool { return len(victim.work()) == 0 })
	victim.mu.Lock()
	last := victim.revokes[len(victim.revokes)-1]
	victim.mu.Unlock()
	if !setEqual(setOf(last), lost) {
		t.Errorf("cut-off worker stopped %v, want everything it ran: %v", last, lost.work())
	}
	c.waitFor("the survivors to take over", 15*time.Second, func() bool {
		return c.covers(survivors...) && balanced(survivors...)
	})
	if took := time.Since(killed); took < delay {
		t.Errorf("work moved %s after the kill, before the scheduled delay of %s", took, delay)
	}
	delayed := false
	for _, w := range survivors {
		w.mu.Lock()
		for _, a := range w.assigns {
			delayed = delayed || a.Delay > 0
		}
		w.mu.Unlock()
	}
	if !delayed {
		t.Error("no survivor was told to wait for the scheduled rebalance")
	}
}

// TestMemberPaused freezes a member's connections past its session
// timeout, as a paused process would see them: the others take its work
// over, and once it resumes and learns the coordinator dropped it, it stops
// everything it ran before it rejoins, rather than claim it back.
func TestMemberPaused(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 2, "b": 2, "c": 2}, Config{Protocol: ProtocolCompatible})
	w1, w2, w3 := c.start("w1", nil), c.start("w2", nil), c.start("w3", nil)
	c.waitFor("three workers to share the work", 15*time.Second, func() bool { return c.covers(w1, w2, w3) && balanced(w1, w2, w3) })
	victim, survivors := w1, []*worker{w2, w3}
	if w1.member.IsLeader() {
		victim, survivors = w3, []*worker{w1, w2} // the leader's pause would also move the leadership
	}
	held := victim.work()
	victim.mu.Lock()
	revokesBefore := len(victim.revokes)
	victim.mu.Unlock()
	if !victim.member.InContact() {
		t.Error("a member of a stable group reports itself out of contact")
	}
	victim.dialer.freeze()
	c.waitFor("the others to take the paused worker's work over", 15*time.Second, func() bool {
		seen := workSet{}
		for _, w := range survivors {
			seen.addAll(w.work())
		}
		for u := range held {
			if !seen.has(u) {
				return false
			}
		}
		return true
	})
	if victim.member.InContact() {
		t.Error("the paused member still reports itself in contact after the others took its work")
	}
	victim.dialer.thaw()
	c.waitFor("the three to share the work again", 15*time.Second, func() bool { return c.covers(w1, w2, w3) && balanced(w1, w2, w3) })
	if !victim.member.InContact() {
		t.Error("the resumed member reports itself out of contact")
	}
	victim.mu.Lock()
	defer victim.mu.Unlock()
	if len(victim.revokes) == revokesBefore || !setEqual(setOf(victim.revokes[revokesBefore]), held) {
		t.Errorf("the paused worker's first revocation after it resumed: %v; want everything it held, %v", victim.revokes[revokesBefore:], held.work())
	}
}

func setEqual(a, b workSet) bool {
	if len(a) != len(b) {
		return false
	}
	for u := range a {
		if !b.has(u) {
			return false
		}
	}
	return true
}

// TestMemberConfigMismatch makes the leader fall behind the config topic:
// every member gets CONFIG_MISMATCH, nobody starts work, and once the
// leader can read the topic the work is assigned at the newer offset.
func TestMemberConfigMismatch(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 1}, Config{Protocol: ProtocolSessioned})
	leader := c.start("w1", nil)
	c.waitFor("the leader to run everything", 10*time.Second, func() bool { return c.covers(leader) })

	// The config topic moves on; the leader cannot read it, a new worker
	// has read it all.
	leader.mu.Lock()
	leader.blockRead = true
	leader.mu.Unlock()
	c.store.set(map[string]int{"a": 1, "b": 3}, 5)
	follower := c.start("w2", nil)

	c.waitFor("the leader to try to catch up", 10*time.Second, func() bool {
		leader.mu.Lock()
		defer leader.mu.Unlock()
		return len(leader.reads) >= 2
	})
	follower.mu.Lock()
	if len(follower.assigns) > 0 {
		t.Errorf("follower acted on %+v while the leader was behind", follower.assigns)
	}
	follower.mu.Unlock()

	leader.mu.Lock()
	leader.blockRead = false
	leader.mu.Unlock()
	c.waitFor("the work at offset 5 to be shared", 15*time.Second, func() bool {
		return c.covers(leader, follower) && balanced(leader, follower)
	})
	for _, w := range []*worker{leader, follower} {
		w.mu.Lock()
		if a := w.assigns[len(w.assigns)-1]; a.ConfigOffset != 5 {
			t.Errorf("%s: assignment at config offset %d, want 5", w.name, a.ConfigOffset)
		}
		w.mu.Unlock()
	}
}

// TestMemberBrokerRestart restarts the broker under a settled group: the
// members rejoin and keep exactly the work they ran.
//
// The broker restores a group without its members, so every worker rejoins
// an empty group; like Kafka's group.initial.rebalance.delay.ms, the
// broker's initial rebalance delay gathers them into one generation. (A
// worker rejoining alone would lead a round in which the others' work
// looks new to it, as in Kafka Connect, and take it on until they return.)
func TestMemberBrokerRestart(t *testing.T) {
	t.Parallel()
	c := newClusterOn(t, startBroker(t, 500*time.Millisecond), map[string]int{"a": 2, "b": 2}, Config{Protocol: ProtocolSessioned,
		SessionTimeout: 3 * time.Second, ScheduledRebalanceMaxDelay: 10 * time.Second})
	ws := []*worker{c.start("w1", nil), c.start("w2", nil)}
	c.waitFor("two workers to share the work", 15*time.Second, func() bool { return c.covers(ws...) && balanced(ws...) })
	before := map[*worker]workSet{}
	gens := map[*worker]int32{}
	revokes := map[*worker]int{}
	for _, w := range ws {
		before[w] = w.work()
		gens[w] = w.lastGen().ID
		w.mu.Lock()
		revokes[w] = len(w.revokes)
		w.mu.Unlock()
	}

	c.broker.restart()

	c.waitFor("every worker to rejoin", 15*time.Second, func() bool {
		for _, w := range ws {
			if w.lastGen().ID <= gens[w] {
				return false
			}
		}
		return true
	})
	for _, w := range ws {
		if got := w.work(); !setEqual(got, before[w]) {
			t.Errorf("%s runs %v after the restart, ran %v", w.name, got.work(), before[w].work())
		}
		w.mu.Lock()
		if len(w.revokes) != revokes[w] {
			t.Errorf("%s stopped work across the restart: %v", w.name, w.revokes[revokes[w]:])
		}
		w.mu.Unlock()
		w.stop() // while the restarted broker is up to take the LeaveGroup
	}
}

// TestMemberRequestRejoin adds a connector and has the leader rejoin, as
// the worker does when it sees the config topic change.
func TestMemberRequestRejoin(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 1}, Config{Protocol: ProtocolCompatible})
	w1, w2 := c.start("w1", nil), c.start("w2", nil)
	c.waitFor("two workers to share the work", 15*time.Second, func() bool { return c.covers(w1, w2) })
	c.store.set(map[string]int{"a": 1, "b": 2}, 2)
	for _, w := range []*worker{w1, w2} {
		if err := w.ReadConfigTo(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		if w.member.IsLeader() {
			w.member.RequestRejoin()
		}
	}
	c.waitFor("the new connector to run", 10*time.Second, func() bool { return c.covers(w1, w2) && balanced(w1, w2) })
}

// TestMemberMixedProtocols runs an eager-only worker with a sessioned one:
// the coordinator picks the one sub-protocol both offer, "default".
func TestMemberMixedProtocols(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 2, "b": 1}, Config{})
	w1 := c.start("w1", func(cfg *Config) { cfg.Protocol = ProtocolEager })
	w2 := c.start("w2", func(cfg *Config) { cfg.Protocol = ProtocolSessioned })
	c.waitFor("both to share the work", 15*time.Second, func() bool {
		return c.covers(w1, w2) && balanced(w1, w2) && w1.lastGen().ID == w2.lastGen().ID
	})
	for _, w := range []*worker{w1, w2} {
		if p := w.lastGen().Protocol; p != "default" {
			t.Errorf("%s: protocol %q, want default", w.name, p)
		}
	}
}

// TestMemberEagerFallbackWaitsForStoppingWork has an eager worker join two
// sessioned ones, one of them slow to stop its tasks: the leader hands out
// nothing in the first eager generation, so no unit starts on one worker
// while the slow one still runs it (the cluster's claim check), and the
// next generation shares everything.
func TestMemberEagerFallbackWaitsForStoppingWork(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 3, "b": 3}, Config{})
	w1 := c.start("w1", nil)
	c.waitFor("w1 to run everything", 15*time.Second, func() bool { return c.covers(w1) })
	w2 := c.start("w2", nil)
	c.waitFor("w1 and w2 to share the work", 15*time.Second, func() bool {
		return c.covers(w1, w2) && balanced(w1, w2) && w1.lastGen().ID == w2.lastGen().ID
	})
	w2.mu.Lock()
	w2.stopLag = time.Second
	w2.mu.Unlock()
	w3 := c.start("w3", func(cfg *Config) { cfg.Protocol = ProtocolEager })
	c.waitFor("all three to share the work under the eager protocol", 30*time.Second, func() bool {
		g := w3.lastGen()
		return c.covers(w1, w2, w3) && balanced(w1, w2, w3) && g.Protocol == "default" &&
			w1.lastGen().ID == g.ID && w2.lastGen().ID == g.ID
	})
}

// TestMemberStopsSlowlyInItsSession stops a worker whose tasks take twice
// the session timeout to stop: it keeps heartbeating meanwhile, so the
// other worker takes its work only once it has left (the cluster's claim
// check), never while it still runs it.
func TestMemberStopsSlowlyInItsSession(t *testing.T) {
	t.Parallel()
	c := newCluster(t, map[string]int{"a": 2, "b": 2}, Config{})
	w1 := c.start("w1", nil)
	w2 := c.start("w2", nil)
	c.waitFor("both to share the work", 15*time.Second, func() bool {
		return c.covers(w1, w2) && balanced(w1, w2) && w1.lastGen().ID == w2.lastGen().ID
	})
	w2.mu.Lock()
	w2.stopLag = 2 * time.Second // the session timeout is one
	w2.mu.Unlock()
	w2.stop()
	c.waitFor("w1 to run everything", 15*time.Second, func() bool { return c.covers(w1) })
}

func TestNewMemberValidates(t *testing.T) {
	ok := Config{Brokers: []string{"127.0.0.1:9092"}, GroupID: "g", URL: "http://w:8083"}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }},
		{"no group", func(c *Config) { c.GroupID = "" }},
		{"no URL", func(c *Config) { c.URL = "" }},
		{"unknown protocol", func(c *Config) { c.Protocol = "cooperative" }},
		{"heartbeat not below session", func(c *Config) { c.SessionTimeout, c.HeartbeatInterval = time.Second, time.Second }},
		{"negative delay", func(c *Config) { c.ScheduledRebalanceMaxDelay = -time.Second }},
		{"old Kafka", func(c *Config) { c.Sarama = sarama.NewConfig(); c.Sarama.Version = sarama.V0_10_0_0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := NewMember(cfg, &worker{}); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := NewMember(ok, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil handler: err = %v, want ErrInvalidConfig", err)
	}
	m, err := NewMember(ok, &worker{})
	if err != nil {
		t.Fatal(err)
	}
	if m.cfg.Protocol != ProtocolSessioned || m.cfg.SessionTimeout != DefaultSessionTimeout {
		t.Errorf("defaults not applied: %+v", m.cfg)
	}
}
