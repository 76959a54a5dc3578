package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/internal/brokertest"
)

// BenchmarkOffsetCommit measures offset commits per second on one
// connection, each commit one partition acknowledged after fsync, with one
// request at a time and with many pipelined (which share fsyncs).
func BenchmarkOffsetCommit(b *testing.B) {
	for _, inFlight := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			addr := brokertest.StartWith(b, groupTestConfig())
			createTopic(b, newKgoClient(b, addr), "t", 1, nil)
			c := dialKafka(b, addr)
			req := kmsg.NewPtrOffsetCommitRequest()
			req.SetVersion(8)
			req.Group, req.Generation = "bench", -1
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = "t"
			rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{kmsg.NewOffsetCommitRequestTopicPartition()}
			req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
			// The first commit creates __consumer_offsets; keep it untimed.
			c.send(req)
			if _, err := c.recv(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			sent, done := 0, 0
			for done < b.N {
				for sent < b.N && sent-done < inFlight {
					req.Topics[0].Partitions[0].Offset = int64(sent)
					c.send(req)
					sent++
				}
				resp, err := c.recv()
				if err != nil {
					b.Fatal(err)
				}
				if code := resp.(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode; code != 0 {
					b.Fatal(kerr.ErrorForCode(code))
				}
				done++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

// BenchmarkGroupSettle measures how long a Stable 3-member franz-go group
// (heartbeats every 250 ms, 1 s session timeout) takes to be Stable again
// with the two other members owning all 12 partitions, after one member
// leaves cleanly or dies (its connections cut, no LeaveGroup).
func BenchmarkGroupSettle(b *testing.B) {
	for _, how := range []string{"leave", "die"} {
		b.Run(how, func(b *testing.B) {
			addr := brokertest.StartWith(b, groupTestConfig())
			const topic, partitions = "settle", 12
			cl := newKgoClient(b, addr)
			adm := kadm.NewClient(cl)
			createTopic(b, cl, topic, partitions, nil)
			var total time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				group := fmt.Sprintf("settle-%d", i)
				ta := newTally()
				ks := &killSwitch{}
				var members []*franzMember
				for j := range 3 {
					opts := []kgo.Opt{kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(250 * time.Millisecond)}
					if j == 2 {
						opts = append(opts, kgo.Dialer(ks.DialContext), kgo.RetryTimeout(time.Second))
					}
					members = append(members, startFranzMember(b, addr, group, topic, fmt.Sprintf("m%d", j), ta, opts...))
				}
				settled := func(n int) func() bool {
					return func() bool {
						got := assignments(b, adm, group)
						total := 0
						for _, ps := range got {
							total += len(ps)
						}
						return len(got) == n && total == partitions
					}
				}
				eventually(b, 30*time.Second, "three members", settled(3))
				b.StartTimer()
				start := time.Now()
				if how == "leave" {
					members[2].close()
				} else {
					ks.kill()
				}
				eventually(b, 30*time.Second, "two members", settled(2))
				total += time.Since(start)
				b.StopTimer()
				for _, m := range members {
					m.close()
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/settle")
		})
	}
}
