package cluster

import (
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"conflux/broker"
)

// TestMemberKeptAliveWhileJoining runs on franz-go's kfake, a coordinator
// that, unlike Kafka, drops a member waiting in JoinGroup once its session
// timeout passes without a heartbeat, and never answers that join. Two
// members rejoin while the third is cut off just after: kfake waits for the
// third's session to expire, and the two, waiting the whole time, must
// still be in the next generation rather than hang until their request
// timeout (rebalance timeout + 5 s).
func TestMemberKeptAliveWhileJoining(t *testing.T) {
	t.Parallel()
	kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kf.Close)
	b := &groupBroker{t: t, cfg: broker.Config{Listen: kf.ListenAddrs()[0]}}
	c := newClusterOn(t, b, map[string]int{"a": 2, "b": 2, "c": 2}, Config{Protocol: ProtocolCompatible})
	w1, w2, w3 := c.start("w1", nil), c.start("w2", nil), c.start("w3", nil)
	c.waitFor("three workers to share the work", 15*time.Second, func() bool { return c.covers(w1, w2, w3) && balanced(w1, w2, w3) })
	victim, survivors := w3, []*worker{w1, w2}
	if w3.member.IsLeader() {
		victim, survivors = w1, []*worker{w2, w3}
	}
	for _, w := range survivors {
		w.member.RequestRejoin()
	}
	// Cut the third off as soon as both wait, before its next heartbeat
	// hears of the rebalance and it rejoins too.
	for deadline := time.Now().Add(5 * time.Second); !survivors[0].member.joining.Load() || !survivors[1].member.joining.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the survivors did not rejoin")
		}
		runtime.Gosched()
	}
	victim.dialer.kill()
	start := time.Now()
	c.waitFor("the survivors to share the work", 15*time.Second, func() bool {
		return c.covers(survivors...) && balanced(survivors...)
	})
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the survivors took over after %v; their joins hung", took)
	}
}
