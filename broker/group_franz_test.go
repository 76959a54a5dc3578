package broker_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/internal/brokertest"
)

// TestGroupFranzBalancers runs three franz-go consumers in one group over a
// 12-partition topic, with an eager and with the cooperative-sticky
// balancer: members join one after another, every record is processed, the
// partitions end up spread 4/4/4, the committed offsets read back through
// OffsetFetch, and when two members leave the third takes everything.
func TestGroupFranzBalancers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		balancer kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := startGroupBroker(t)
			const topic, group, partitions = "orders", "workers", 12
			cl := newKgoClient(t, addr)
			adm := kadm.NewClient(cl)
			createTopic(t, cl, topic, partitions, nil)
			first := produceValues(t, addr, topic, partitions, 600, "first")

			ta := newTally()
			var members []*franzMember
			for i := range 3 {
				name := fmt.Sprintf("m%d", i)
				members = append(members, startFranzMember(t, addr, group, topic, name, ta, kgo.Balancers(tt.balancer)))
				eventually(t, 10*time.Second, name+" consuming", func() bool { return ta.count(name) > 0 || ta.has(first) })
			}
			eventually(t, 20*time.Second, "every record processed", func() bool { return ta.has(first) })

			var got map[string][]int32
			eventually(t, 20*time.Second, "a Stable group with 4 partitions per member", func() bool {
				got = assignments(t, adm, group)
				if len(got) != 3 {
					return false
				}
				var all []int32
				for _, ps := range got {
					if len(ps) != 4 {
						return false
					}
					all = append(all, ps...)
				}
				slices.Sort(all)
				return slices.Equal(all, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
			})

			// Every member commits; the group's offsets are at the end.
			for _, m := range members {
				if err := m.cl.CommitUncommittedOffsets(testCtx(t)); err != nil {
					t.Fatalf("%s: commit: %v", m.name, err)
				}
			}
			eventually(t, 10*time.Second, "committed offsets at 50 per partition", func() bool {
				offsets, err := adm.FetchOffsets(testCtx(t), group)
				if err != nil || offsets.Error() != nil {
					t.Fatalf("FetchOffsets: %v %v", err, offsets.Error())
				}
				for p := range int32(partitions) {
					o, ok := offsets.Lookup(topic, p)
					if !ok || o.At != 50 {
						return false
					}
				}
				return true
			})

			// Two members leave; the last one takes all partitions and gets
			// the new records.
			members[0].close()
			members[1].close()
			eventually(t, 20*time.Second, "m2 owning all partitions", func() bool {
				got = assignments(t, adm, group)
				return len(got) == 1 && len(got["m2"]) == partitions
			})
			more := produceValues(t, addr, topic, partitions, 120, "more")
			eventually(t, 20*time.Second, "m2 processing the new records", func() bool { return ta.has(more) })
		})
	}
}

// TestGroupOffsetsSurviveRestart commits offsets in a group, restarts the
// broker on the same data directory, and checks that the offsets read back
// and a consumer of the group resumes where the group stopped.
func TestGroupOffsetsSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := groupTestConfig()
	cfg.DataDir = t.TempDir()
	srv := brokertest.New(t, cfg)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	const topic, group = "events", "resumer"
	cl := newKgoClient(t, srv.Addr())
	adm := kadm.NewClient(cl)
	createTopic(t, cl, topic, 3, nil)
	first := produceValues(t, srv.Addr(), topic, 3, 90, "before")

	ta := newTally()
	m := startFranzMember(t, srv.Addr(), group, topic, "c1", ta)
	eventually(t, 20*time.Second, "every record processed", func() bool { return ta.has(first) })
	if err := m.cl.CommitUncommittedOffsets(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	m.close()
	// A simple commit (generation -1) for another group, with metadata.
	var simple kadm.Offsets
	simple.Add(kadm.Offset{Topic: topic, Partition: 1, At: 7, LeaderEpoch: -1, Metadata: "manual"})
	if resp, err := adm.CommitOffsets(testCtx(t), "simple", simple); err != nil || resp.Error() != nil {
		t.Fatalf("simple commit: %v %v", err, resp.Error())
	}
	before, err := adm.FetchOffsets(testCtx(t), group)
	if err != nil || before.Error() != nil {
		t.Fatal(err, before.Error())
	}
	adm.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	srv = brokertest.New(t, cfg)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	adm = kadm.NewClient(newKgoClient(t, srv.Addr()))
	after, err := adm.FetchOffsets(testCtx(t), group)
	if err != nil || after.Error() != nil {
		t.Fatal(err, after.Error())
	}
	for p := range int32(3) {
		b, _ := before.Lookup(topic, p)
		a, ok := after.Lookup(topic, p)
		if !ok || a.At != 30 || a.At != b.At {
			t.Fatalf("partition %d: offset %d after the restart, %d before, want 30", p, a.At, b.At)
		}
	}
	so, err := adm.FetchOffsets(testCtx(t), "simple")
	if o, ok := so.Lookup(topic, 1); err != nil || !ok || o.At != 7 || o.Metadata != "manual" {
		t.Fatalf("simple group after restart: %+v %v", o, err)
	}
	described, err := adm.DescribeGroups(testCtx(t), group)
	if err != nil || described[group].State != "Empty" || described[group].ProtocolType != "consumer" {
		t.Fatalf("group after restart: %+v %v", described[group], err)
	}

	// A consumer of the group sees only what was produced since.
	later := produceValues(t, srv.Addr(), topic, 3, 30, "after")
	ta2 := newTally()
	startFranzMember(t, srv.Addr(), group, topic, "c2", ta2)
	eventually(t, 20*time.Second, "new records processed", func() bool { return ta2.has(later) })
	for _, v := range first {
		if ta2.has([]string{v}) {
			t.Fatalf("record %s consumed again after the restart", v)
		}
	}
}

// TestGroupAdmin lists, describes and deletes groups and offsets through
// kadm.
func TestGroupAdmin(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	cl := newKgoClient(t, addr)
	adm := kadm.NewClient(cl)
	createTopic(t, cl, "a", 2, nil)
	createTopic(t, cl, "b", 1, nil)
	values := produceValues(t, addr, "a", 2, 10, "x")

	ta := newTally()
	m := startFranzMember(t, addr, "live", "a", "live-1", ta)
	eventually(t, 20*time.Second, "records consumed", func() bool { return ta.has(values) })
	if err := m.cl.CommitUncommittedOffsets(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: "a", Partition: 0, At: 3, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: "b", Partition: 0, At: 4, LeaderEpoch: -1})
	if resp, err := adm.CommitOffsets(testCtx(t), "idle", offs); err != nil || resp.Error() != nil {
		t.Fatalf("commit: %v %v", err, resp.Error())
	}

	listed, err := adm.ListGroups(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed["live"].State != "Stable" || listed["live"].ProtocolType != "consumer" ||
		listed["idle"].State != "Empty" || listed["idle"].ProtocolType != "" {
		t.Fatalf("listed %+v", listed)
	}
	if stable, err := adm.ListGroups(testCtx(t), "stable"); err != nil || len(stable) != 1 || stable["live"].Group != "live" {
		t.Fatalf("listed Stable groups %+v %v", stable, err)
	}

	described, err := adm.DescribeGroups(testCtx(t), "live", "idle", "nobody")
	if err != nil {
		t.Fatal(err)
	}
	live := described["live"]
	if live.State != "Stable" || live.Protocol != "cooperative-sticky" || len(live.Members) != 1 ||
		live.Members[0].ClientID != "live-1" || live.Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("live %+v", live)
	}
	if a, ok := live.Members[0].Assigned.AsConsumer(); !ok || len(a.Topics) != 1 || len(a.Topics[0].Partitions) != 2 {
		t.Fatalf("live assignment %+v", live.Members[0].Assigned)
	}
	if described["idle"].State != "Empty" || described["nobody"].State != "Dead" || described["nobody"].Err != nil {
		t.Fatalf("idle %+v nobody %+v", described["idle"], described["nobody"])
	}

	// OffsetDelete: the live group keeps its subscribed topic's offsets.
	del, err := adm.DeleteOffsets(testCtx(t), "live", kadm.TopicsSet{"a": {0: {}}})
	if perr, ok := del.Lookup("a", 0); err != nil || !ok || !errors.Is(perr, kerr.GroupSubscribedToTopic) {
		t.Fatalf("delete offsets of a subscribed topic: %v %v", err, perr)
	}
	del, err = adm.DeleteOffsets(testCtx(t), "idle", kadm.TopicsSet{"b": {0: {}}})
	if err != nil || del.Error() != nil {
		t.Fatalf("delete offsets: %v %v", err, del.Error())
	}
	left, _ := adm.FetchOffsets(testCtx(t), "idle")
	if _, ok := left.Lookup("b", 0); ok {
		t.Fatal("deleted offset still committed")
	}
	if o, ok := left.Lookup("a", 0); !ok || o.At != 3 {
		t.Fatalf("remaining offset %+v", o)
	}

	// DeleteGroups: refused while members are there.
	resp, err := adm.DeleteGroups(testCtx(t), "live", "idle", "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if resp["live"].Err == nil || resp["idle"].Err != nil || resp["nobody"].Err == nil {
		t.Fatalf("delete groups %+v", resp)
	}
	m.close()
	eventually(t, 10*time.Second, "live group empty", func() bool {
		d, _ := adm.DescribeGroups(testCtx(t), "live")
		return d["live"].State == "Empty"
	})
	if resp, err := adm.DeleteGroups(testCtx(t), "live"); err != nil || resp["live"].Err != nil {
		t.Fatalf("delete live: %v %+v", err, resp)
	}
	listed, _ = adm.ListGroups(testCtx(t))
	if len(listed) != 0 {
		t.Fatalf("groups left: %+v", listed)
	}
	gone, _ := adm.FetchOffsets(testCtx(t), "live")
	if len(gone) != 0 {
		t.Fatalf("offsets of a deleted group: %+v", gone)
	}

}

// TestGroupFranzStaticMembership restarts a static member (same
// group.instance.id): it takes its partitions back without a rebalance, so
// the generation does not change, and its old member id is fenced.
func TestGroupFranzStaticMembership(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	const topic, group = "static", "static-group"
	cl := newKgoClient(t, addr)
	adm := kadm.NewClient(cl)
	createTopic(t, cl, topic, 4, nil)
	first := produceValues(t, addr, topic, 4, 40, "first")
	ta := newTally()
	// A session long enough that the restart never looks like a failure.
	static := func(name string) kgo.Opt { return kgo.InstanceID(name) }
	long := kgo.SessionTimeout(10 * time.Second)
	m0 := startFranzMember(t, addr, group, topic, "s0", ta, static("s0"), long)
	m1 := startFranzMember(t, addr, group, topic, "s1", ta, static("s1"), long)
	eventually(t, 20*time.Second, "every record processed", func() bool { return ta.has(first) })
	eventually(t, 20*time.Second, "two members with two partitions each", func() bool {
		got := assignments(t, adm, group)
		return len(got) == 2 && len(got["s0"]) == 2 && len(got["s1"]) == 2
	})
	oldID, gen := m1.cl.GroupMetadata()
	before := assignments(t, adm, group)

	m1.close() // a static member does not leave on close
	d, _ := adm.DescribeGroups(testCtx(t), group)
	if len(d[group].Members) != 2 {
		t.Fatalf("static member left the group on close: %+v", d[group])
	}
	m1 = startFranzMember(t, addr, group, topic, "s1", ta, static("s1"), long)
	more := produceValues(t, addr, topic, 4, 40, "more")
	eventually(t, 20*time.Second, "new records processed", func() bool { return ta.has(more) })
	newID, newGen := m1.cl.GroupMetadata()
	_, gen0 := m0.cl.GroupMetadata()
	if newID == oldID || newGen != gen || gen0 != gen {
		t.Fatalf("after the restart: member %s generation %d (member 0 at %d), before %s generation %d", newID, newGen, gen0, oldID, gen)
	}
	if after := assignments(t, adm, group); !slices.Equal(after["s1"], before["s1"]) {
		t.Fatalf("assignment changed: %v, before %v", after, before)
	}
	// The old member id is fenced.
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation, hb.InstanceID = group, oldID, gen, kmsg.StringPtr("s1")
	resp, err := hb.RequestWith(testCtx(t), cl)
	if err != nil || !errors.Is(kerr.ErrorForCode(resp.ErrorCode), kerr.FencedInstanceID) {
		t.Fatalf("heartbeat with the old member id: %v %v", err, resp)
	}
}
