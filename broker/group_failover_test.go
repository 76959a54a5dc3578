package broker_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	failoverTopic      = "jobs"
	failoverPartitions = 12
	// failoverMargin is how much longer than the session timeout the
	// survivors may take to own every partition: the killed member expires
	// up to one session timeout after the kill, then one rebalance runs.
	failoverMargin = 2 * time.Second
)

// failoverClient plugs one client library into testFailover.
type failoverClient struct {
	// session is the members' session timeout.
	session time.Duration
	// commitWithin bounds how long after processing a record a member
	// commits it.
	commitWithin time.Duration
	// start starts member name of group, recording every record it
	// processes in ta.
	start func(t *testing.T, addr, group, name string, ta *tally) failoverMember
	// victim picks the member to kill once the group is Stable.
	victim func(names []string) string
	// own, if set, is the clients' own view of who owns what.
	own *ownership
}

// failoverMember is a running group member.
type failoverMember struct {
	// kill makes the member vanish: its connections go, and it can neither
	// send a LeaveGroup nor reconnect.
	kill func()
	// stop closes the member as an application would, committing what it
	// processed and leaving the group, and returns once it is closed.
	stop func()
}

// testFailover runs three members of group over a 12-partition topic and
// kills one of them without a LeaveGroup. Before the kill every record is
// processed and committed, then a few more are processed and the kill
// follows at once, so the victim may die with processed records it has not
// committed. Records are produced right after the kill and again once the
// group has settled. It checks that
//   - within the session timeout and one rebalance, the two survivors own
//     all 12 partitions, each partition once, as the broker and (if the
//     client reports it) as the clients see it;
//   - every record is processed, and the only records processed twice are
//     ones the victim processed at or past the offset committed before the
//     kill;
//   - closed at the end, the survivors commit up to the end of every
//     partition, the victim's included, and leave the group Empty.
func testFailover(t *testing.T, group string, c failoverClient) {
	addr := startGroupBroker(t)
	cl := newKgoClient(t, addr)
	adm := kadm.NewClient(cl)
	createTopic(t, cl, failoverTopic, failoverPartitions, nil)

	ta := newTally()
	var names []string
	members := map[string]failoverMember{}
	for i := range 3 {
		name := fmt.Sprintf("%s-%d", group, i)
		names = append(names, name)
		members[name] = c.start(t, addr, group, name, ta)
	}
	var initial map[string][]int32
	eventually(t, 10*time.Second, "three members with four partitions each", func() bool {
		initial = assignments(t, adm, group)
		return ownsAll(initial, names, failoverPartitions/3)
	})

	first := produceValues(t, addr, failoverTopic, failoverPartitions, 600, "first")
	eventually(t, 10*time.Second, "the first records processed", func() bool { return ta.has(first) })
	waitCommittedToEnd(t, adm, group, c.commitWithin)
	mid := produceValues(t, addr, failoverTopic, failoverPartitions, 120, "mid")
	eventually(t, 10*time.Second, "the mid records processed", func() bool { return ta.has(mid) })
	committed := committedOffsets(t, adm, group)

	victim := c.victim(names)
	if !slices.Contains(names, victim) {
		t.Fatalf("no member to kill: %q", victim)
	}
	survivors := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == victim })
	if c.own != nil {
		c.own.kill(victim)
	}
	killed := time.Now()
	members[victim].kill()
	second := produceValues(t, addr, failoverTopic, failoverPartitions, 600, "second")

	var brokerView, clientView time.Duration
	eventually(t, c.session+failoverMargin+10*time.Second, "the survivors owning all partitions", func() bool {
		if brokerView == 0 && ownsAll(assignments(t, adm, group), survivors, 0) {
			brokerView = time.Since(killed)
		}
		if clientView == 0 && (c.own == nil || ownsAll(c.own.live(), survivors, 0)) {
			clientView = time.Since(killed)
		}
		return brokerView > 0 && clientView > 0
	})
	settle := max(brokerView, clientView)
	views := fmt.Sprintf("broker view %v", brokerView.Round(time.Millisecond))
	if c.own != nil {
		views += fmt.Sprintf(", client view %v", clientView.Round(time.Millisecond))
	}
	t.Logf("killed %s, which owned %v: the survivors owned every partition %v after the kill (%s; session timeout %v)",
		victim, initial[victim], settle.Round(time.Millisecond), views, c.session)
	if settle > c.session+failoverMargin {
		t.Errorf("the survivors took %v to own every partition, want at most the session timeout %v + %v", settle, c.session, failoverMargin)
	}

	eventually(t, 10*time.Second, "the records produced after the kill processed", func() bool { return ta.has(second) })
	third := produceValues(t, addr, failoverTopic, failoverPartitions, 120, "third")
	eventually(t, 10*time.Second, "the records produced after the rebalance processed", func() bool { return ta.has(third) })

	final := assignments(t, adm, group)
	if !ownsAll(final, survivors, 0) {
		t.Errorf("at the end the group assigns %v, want every partition once to %v", final, survivors)
	}
	if c.own != nil {
		if live := c.own.live(); !ownsAll(live, survivors, 0) {
			t.Errorf("at the end the clients own %v, want every partition once among %v", live, survivors)
		}
		for _, p := range c.own.problemsSeen() {
			t.Error(p)
		}
	}
	checkDeliveries(t, ta.all(), victim, initial[victim], committed)

	var stopping sync.WaitGroup
	for _, s := range survivors {
		stopping.Go(members[s].stop)
	}
	stopping.Wait()
	waitCommittedToEnd(t, adm, group, 5*time.Second)
	eventually(t, 5*time.Second, "the group Empty once the survivors left", func() bool {
		described, err := adm.DescribeGroups(testCtx(t), group)
		if err != nil {
			t.Fatalf("DescribeGroups: %v", err)
		}
		return described[group].State == "Empty"
	})
}

// ownsAll reports whether got assigns partitions to exactly members, each
// partition of the topic to one of them, and (if each > 0) each member
// that many partitions.
func ownsAll(got map[string][]int32, members []string, each int) bool {
	if len(got) != len(members) {
		return false
	}
	seen := map[int32]bool{}
	for _, m := range members {
		ps, ok := got[m]
		if !ok || each > 0 && len(ps) != each {
			return false
		}
		for _, p := range ps {
			if seen[p] {
				return false
			}
			seen[p] = true
		}
	}
	return len(seen) == failoverPartitions
}

// committedOffsets returns the group's committed offset per partition of
// the failover topic (0 where none is).
func committedOffsets(t *testing.T, adm *kadm.Client, group string) map[int32]int64 {
	t.Helper()
	offsets, err := adm.FetchOffsets(testCtx(t), group)
	if err != nil || offsets.Error() != nil {
		t.Fatalf("FetchOffsets: %v %v", err, offsets.Error())
	}
	out := map[int32]int64{}
	for p := range int32(failoverPartitions) {
		if o, ok := offsets.Lookup(failoverTopic, p); ok {
			out[p] = o.At
		}
	}
	return out
}

// waitCommittedToEnd waits up to within until the group has committed every
// partition of the failover topic up to its end.
func waitCommittedToEnd(t *testing.T, adm *kadm.Client, group string, within time.Duration) {
	t.Helper()
	ends, err := adm.ListEndOffsets(testCtx(t), failoverTopic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("ListEndOffsets: %v %v", err, ends.Error())
	}
	var behind []string
	deadline := time.Now().Add(within)
	for {
		committed := committedOffsets(t, adm, group)
		behind = behind[:0]
		ends.Each(func(e kadm.ListedOffset) {
			if committed[e.Partition] != e.Offset {
				behind = append(behind, fmt.Sprintf("partition %d at %d of %d", e.Partition, committed[e.Partition], e.Offset))
			}
		})
		if len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group did not commit every partition to its end: %s", strings.Join(behind, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkDeliveries checks what the members processed against the kill:
// the victim processed nothing produced after it, survivors processed the
// records produced since in each of the victim's partitions, and a record
// processed twice must be one the victim processed at or past the offset
// the group had committed for its partition just before the kill.
func checkDeliveries(t *testing.T, all []delivery, victim string, victimPartitions []int32, committed map[int32]int64) {
	t.Helper()
	byValue := map[string][]delivery{}
	takenBy := map[int32][]string{}
	for _, d := range all {
		byValue[d.value] = append(byValue[d.value], d)
		if !strings.HasPrefix(d.value, "second-") && !strings.HasPrefix(d.value, "third-") {
			continue
		}
		if d.member == victim {
			t.Errorf("the killed member processed %s, produced after the kill", d.value)
		} else if slices.Contains(victimPartitions, d.partition) && !slices.Contains(takenBy[d.partition], d.member) {
			takenBy[d.partition] = append(takenBy[d.partition], d.member)
		}
	}
	for _, p := range victimPartitions {
		if len(takenBy[p]) == 0 {
			t.Errorf("no survivor processed the new records of partition %d", p)
		}
	}
	t.Logf("the killed member's partitions went to %v", takenBy)
	redone := 0
	for v, ds := range byValue {
		if len(ds) == 1 {
			continue
		}
		if len(ds) == 2 && slices.ContainsFunc(ds, func(d delivery) bool {
			return d.member == victim && d.offset >= committed[d.partition]
		}) {
			redone++
			continue
		}
		t.Errorf("record %s processed %d times: %+v (committed before the kill: %d)", v, len(ds), ds, committed[ds[0].partition])
	}
	t.Logf("%d deliveries of %d records; %d records the killed member processed but had not committed were processed again",
		len(all), len(byValue), redone)
}

// ownership follows, from the clients' reports of rebalances, which
// partitions each member believes it owns. It notes any failure of a live
// member and, if its reports arrive in the order they happened, any moment
// two live members claim the same partition.
type ownership struct {
	ordered bool

	mu       sync.Mutex
	owned    map[string]map[int32]bool
	dead     map[string]bool
	problems []string
}

// newOwnership returns an empty ownership. ordered says the reports
// arrive in the order the clients made them, as callbacks in this process
// do; lines read from several processes' pipes do not.
func newOwnership(ordered bool) *ownership {
	return &ownership{ordered: ordered, owned: map[string]map[int32]bool{}, dead: map[string]bool{}}
}

// assigned records that member was given partitions.
func (o *ownership) assigned(member string, partitions []int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.owned[member] == nil {
		o.owned[member] = map[int32]bool{}
	}
	for _, p := range partitions {
		for other, set := range o.owned {
			if o.ordered && other != member && set[p] && !o.dead[other] && !o.dead[member] {
				o.problems = append(o.problems, fmt.Sprintf("%s was assigned partition %d while %s owned it", member, p, other))
			}
		}
		o.owned[member][p] = true
	}
}

// revoked records that member gave partitions up.
func (o *ownership) revoked(member string, partitions []int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range partitions {
		delete(o.owned[member], p)
	}
}

// failed records a failure of member, which only matters while it lives.
func (o *ownership) failed(member, what string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.dead[member] {
		o.problems = append(o.problems, member+": "+what)
	}
}

// kill marks member dead: it may go on believing it owns partitions.
func (o *ownership) kill(member string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dead[member] = true
}

// live returns the partitions each live member believes it owns.
func (o *ownership) live() map[string][]int32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string][]int32{}
	for m, set := range o.owned {
		if o.dead[m] {
			continue
		}
		out[m] = []int32{}
		for p := range set {
			out[m] = append(out[m], p)
		}
		slices.Sort(out[m])
	}
	return out
}

// problemsSeen returns what went wrong so far.
func (o *ownership) problemsSeen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.problems)
}

// leaderSpy is a balancer that notes which member ran it last: the leader
// of the latest generation.
type leaderSpy struct {
	kgo.GroupBalancer
	member string
	leader *atomic.Value
}

func (s leaderSpy) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	s.leader.Store(s.member)
	return s.GroupBalancer.MemberBalancer(members)
}

// franzFailover is a franz-go group member with balancer, reaching the
// broker through a killSwitch. It commits every 100 ms and when partitions
// are revoked, and reports its partitions to an ownership. It kills the
// group leader if killLeader is set, else a follower.
func franzFailover(balancer kgo.GroupBalancer, killLeader bool) failoverClient {
	own := newOwnership(true)
	leader := new(atomic.Value)
	c := failoverClient{session: 1500 * time.Millisecond, commitWithin: 5 * time.Second, own: own}
	c.start = func(t *testing.T, addr, group, name string, ta *tally) failoverMember {
		ks := &killSwitch{}
		var log lockedBuffer
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s log:\n%s", name, log.String())
			}
		})
		m := startFranzMember(t, addr, group, failoverTopic, name, ta,
			kgo.WithLogger(kgo.BasicLogger(&log, kgo.LogLevelInfo, func() string { return time.Now().Format("15:04:05.000 ") })),
			kgo.Dialer(ks.DialContext),
			kgo.SessionTimeout(c.session),
			kgo.Balancers(leaderSpy{balancer, name, leader}),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
				own.assigned(name, assigned[failoverTopic])
			}),
			// Replacing the default revoke callback replaces its commit.
			kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
				if err := cl.CommitUncommittedOffsets(ctx); err != nil {
					own.failed(name, fmt.Sprintf("commit before giving up %v: %v", revoked[failoverTopic], err))
				}
				own.revoked(name, revoked[failoverTopic])
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
				own.failed(name, fmt.Sprintf("lost partitions %v", lost[failoverTopic]))
				own.revoked(name, lost[failoverTopic])
			}),
		)
		return failoverMember{kill: ks.kill, stop: m.close}
	}
	c.victim = func(names []string) string {
		l, _ := leader.Load().(string)
		if killLeader {
			return l
		}
		for _, n := range slices.Backward(names) {
			if n != l {
				return n
			}
		}
		return ""
	}
	return c
}

// TestGroupFranzFailover runs TestGroupSaramaFailover's scenario with
// franz-go members, eager and cooperative, killing the group leader or a
// follower.
func TestGroupFranzFailover(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		balancer kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		for _, killLeader := range []bool{false, true} {
			role := "follower"
			if killLeader {
				role = "leader"
			}
			t.Run(tt.name+"/"+role, func(t *testing.T) {
				t.Parallel()
				testFailover(t, "franz", franzFailover(tt.balancer, killLeader))
			})
		}
	}
}

// kcatFailover is a kcat -G (librdkafka) group member with the given
// partition.assignment.strategy, run as a process: killed with SIGKILL,
// stopped with SIGINT. It prints every record unbuffered, so a record is
// seen as soon as kcat processed it, and its reports of rebalances on
// stderr give the client view of who owns what. The last member started is
// the one killed.
//
// kcat hands -X auto.commit.interval.ms to the legacy topic-level property
// of that name, so librdkafka auto-commits every 5 s, its default.
func kcatFailover(kcat, strategy string) failoverClient {
	own := newOwnership(false)
	c := failoverClient{session: 2 * time.Second, commitWithin: 10 * time.Second, own: own}
	c.start = func(t *testing.T, addr, group, name string, ta *tally) failoverMember {
		cmd := exec.Command(kcat, "-b", addr, "-G", group, "-u", "-f", "%p %o %s\n",
			"-X", "client.id="+name,
			"-X", "partition.assignment.strategy="+strategy,
			"-X", "session.timeout.ms="+strconv.Itoa(int(c.session.Milliseconds())),
			"-X", "heartbeat.interval.ms=100",
			"-X", "auto.offset.reset=earliest",
			"-X", "fetch.wait.max.ms=100",
			failoverTopic)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start kcat: %v", err)
		}
		var read sync.WaitGroup
		read.Go(func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var p int32
				var o int64
				var v string
				if _, err := fmt.Sscanf(sc.Text(), "%d %d %s", &p, &o, &v); err != nil {
					t.Errorf("%s printed %q: %v", name, sc.Text(), err)
					continue
				}
				ta.addAt(name, p, o, v)
			}
		})
		var log lockedBuffer
		read.Go(func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if !strings.Contains(sc.Text(), "rebalanced") {
					continue
				}
				m := kcatRebalance.FindStringSubmatch(sc.Text())
				if m == nil {
					own.failed(name, "rebalance report not understood: "+sc.Text())
					continue
				}
				var ps []int32
				for _, pm := range kcatPartition.FindAllStringSubmatch(m[2], -1) {
					p, _ := strconv.Atoi(pm[1])
					ps = append(ps, int32(p))
				}
				if strings.HasPrefix(m[1], "assign") {
					own.assigned(name, ps)
				} else {
					own.revoked(name, ps)
				}
			}
		})
		exited := make(chan struct{})
		go func() {
			read.Wait() // Wait closes the pipes: read them to the end first
			cmd.Wait()
			close(exited)
		}()
		kill := func() {
			cmd.Process.Kill()
			<-exited
		}
		stop := func() {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Errorf("%s still running 10 s after SIGINT", name)
				kill()
			}
		}
		t.Cleanup(func() {
			kill()
			if t.Failed() {
				t.Logf("%s stderr:\n%s", name, log.String())
			}
		})
		return failoverMember{kill: kill, stop: stop}
	}
	c.victim = func(names []string) string { return names[len(names)-1] }
	return c
}

// kcatRebalance matches kcat's reports of rebalances on stderr, eager
// ("% Group g rebalanced (memberid m): assigned: jobs [0], jobs [1]", or
// revoked) and cooperative ("% Group g rebalanced: incremental assignment
// of 2 partition(s) (memberid m, COOPERATIVE rebalance protocol): jobs [0],
// jobs [1]", or revoke).
var (
	kcatRebalance = regexp.MustCompile(`rebalanced.*?(assign\w*|unassign\w*|revoke\w*)[^:]*: (.*)$`)
	kcatPartition = regexp.MustCompile(`\[(\d+)\]`)
)

// lockedBuffer collects a client's log or a process's output for a test to
// read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestGroupKcatFailover runs TestGroupSaramaFailover's scenario with three
// kcat -G processes (librdkafka's balanced consumer), eager and
// cooperative; one of them is killed with SIGKILL.
func TestGroupKcatFailover(t *testing.T) {
	t.Parallel()
	kcat := kcatPath(t)
	for _, strategy := range []string{"range", "cooperative-sticky"} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			testFailover(t, "kcat", kcatFailover(kcat, strategy))
		})
	}
}
