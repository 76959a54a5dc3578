package group

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func offset(topic string, p int32, o int64) OffsetCommit {
	return OffsetCommit{TopicPartition{topic, p}, Offset{Offset: o, LeaderEpoch: -1}}
}

func TestCommitValidation(t *testing.T) {
	tests := []struct {
		name  string
		group func(t *testing.T) (*harness, []string)
		req   func(ids []string, gen int32) CommitRequest
		want  error
	}{
		{"simple commit to an empty group", func(t *testing.T) (*harness, []string) {
			return newHarness(t, testConfig()), nil
		}, func([]string, int32) CommitRequest { return CommitRequest{Generation: -1} }, nil},
		{"simple commit to a group with members", func(t *testing.T) (*harness, []string) { return stableGroup(t, 2) },
			func([]string, int32) CommitRequest { return CommitRequest{Generation: -1} }, ErrUnknownMemberID},
		{"member of the current generation", func(t *testing.T) (*harness, []string) { return stableGroup(t, 2) },
			func(ids []string, gen int32) CommitRequest { return CommitRequest{MemberID: ids[1], Generation: gen} }, nil},
		{"member with an old generation", func(t *testing.T) (*harness, []string) { return stableGroup(t, 2) },
			func(ids []string, gen int32) CommitRequest {
				return CommitRequest{MemberID: ids[1], Generation: gen - 1}
			}, ErrIllegalGeneration},
		{"unknown member", func(t *testing.T) (*harness, []string) { return stableGroup(t, 2) },
			func(_ []string, gen int32) CommitRequest { return CommitRequest{MemberID: "ghost", Generation: gen} }, ErrUnknownMemberID},
		{"member id with generation -1", func(t *testing.T) (*harness, []string) { return stableGroup(t, 2) },
			func(ids []string, _ int32) CommitRequest { return CommitRequest{MemberID: ids[0], Generation: -1} }, ErrIllegalGeneration},
		{"generation without member to an empty group", func(t *testing.T) (*harness, []string) {
			return newHarness(t, testConfig()), nil
		}, func([]string, int32) CommitRequest { return CommitRequest{Generation: 3} }, ErrUnknownMemberID},
		{"during the join phase", func(t *testing.T) (*harness, []string) {
			h, ids := stableGroup(t, 2)
			h.join(consumer(ids[0]))
			return h, ids
		}, func(ids []string, gen int32) CommitRequest { return CommitRequest{MemberID: ids[1], Generation: gen} }, nil},
		{"while completing the rebalance", func(t *testing.T) (*harness, []string) {
			h, ids := stableGroup(t, 2)
			h.join(consumer(ids[0]))
			h.join(consumer(ids[1]))
			return h, ids
		}, func(ids []string, gen int32) CommitRequest { return CommitRequest{MemberID: ids[1], Generation: gen} }, ErrRebalanceInProgress},
		{"dead group", func(t *testing.T) (*harness, []string) {
			h := newHarness(t, testConfig())
			h.g.Delete(h.now)
			return h, nil
		}, func([]string, int32) CommitRequest { return CommitRequest{Generation: -1} }, ErrCoordinatorNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ids := tt.group(t)
			req := tt.req(ids, h.g.Generation())
			req.Offsets = []OffsetCommit{offset("t", 0, 10), offset("t", 1, 20)}
			errs := h.commit(req)
			for i, err := range errs {
				if !isErr(err, tt.want) {
					t.Fatalf("partition %d: error %v, want %v", i, err, tt.want)
				}
			}
			o, ok := h.g.Offset(TopicPartition{"t", 1})
			if tt.want == nil {
				if !ok || o.Offset != 20 || !o.CommitTime.Equal(h.now) {
					t.Fatalf("committed offset %+v %v", o, ok)
				}
				so, ok := h.log[len(h.log)-1].(StoreOffsets)
				if !ok || len(so.Offsets) != 2 || so.Offsets[1].Offset.Offset != 20 {
					t.Fatalf("store action %+v", h.log[len(h.log)-1])
				}
			} else if ok {
				t.Fatalf("rejected commit stored %+v", o)
			}
		})
	}
}

func TestCommitMetadataTooLarge(t *testing.T) {
	h := newHarness(t, testConfig())
	big := offset("t", 0, 1)
	big.Metadata = strings.Repeat("x", 4097)
	ok := offset("t", 1, 2)
	ok.Metadata = strings.Repeat("y", 4096)
	errs := h.commit(CommitRequest{Generation: -1, Offsets: []OffsetCommit{big, ok}})
	if !isErr(errs[0], ErrOffsetMetadataTooLarge) || errs[1] != nil {
		t.Fatalf("errors %v", errs)
	}
	if got := h.g.Offsets(); len(got) != 1 || got[0].Partition != 1 {
		t.Fatalf("offsets %+v", got)
	}
}

func TestCommitKeepsMemberAlive(t *testing.T) {
	h, ids := stableGroup(t, 1)
	for range 10 {
		h.advance(9 * time.Second)
		h.commit(CommitRequest{MemberID: ids[0], Generation: h.g.Generation(), Offsets: []OffsetCommit{offset("t", 0, 1)}})
	}
	h.state(Stable)
}

func TestOffsetsSorted(t *testing.T) {
	h := newHarness(t, testConfig())
	h.commit(CommitRequest{Generation: -1, Offsets: []OffsetCommit{offset("b", 1, 1), offset("a", 2, 2), offset("b", 0, 3), offset("a", 10, 4)}})
	var got []string
	for _, o := range h.g.Offsets() {
		got = append(got, o.Topic+string(rune('0'+o.Partition)))
	}
	if strings.Join(got, ",") != "a2,a:,b0,b1" {
		t.Fatalf("order %v", got)
	}
}

func TestDelete(t *testing.T) {
	h, ids := stableGroup(t, 1)
	h.commit(CommitRequest{MemberID: ids[0], Generation: h.g.Generation(), Offsets: []OffsetCommit{offset("t", 0, 5), offset("u", 0, 6)}})
	if _, err := h.g.Delete(h.now); !isErr(err, ErrNonEmptyGroup) {
		t.Fatalf("delete with members: %v", err)
	}
	h.leave(LeaveMember{MemberID: ids[0]})
	acts, err := h.g.Delete(h.now)
	if err != nil {
		t.Fatal(err)
	}
	h.state(Dead)
	if len(acts) != 2 {
		t.Fatalf("actions %+v", acts)
	}
	if del := acts[0].(DeleteOffsets); len(del.Partitions) != 2 {
		t.Fatalf("deleted %+v", del)
	}
	if _, ok := acts[1].(DeleteGroup); !ok {
		t.Fatalf("last action %T", acts[1])
	}
	if len(h.g.Offsets()) != 0 {
		t.Fatal("offsets survive deletion")
	}
	if _, err := h.g.Delete(h.now); !isErr(err, ErrGroupIDNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func consumerMeta(topics ...string) []byte {
	md := kmsg.ConsumerMemberMetadata{Version: 0, Topics: topics}
	return md.AppendTo(nil)
}

func TestDeleteOffsets(t *testing.T) {
	tps := []TopicPartition{{"sub", 0}, {"other", 0}, {"never", 0}}
	commitAll := func(h *harness, id string) {
		h.commit(CommitRequest{MemberID: id, Generation: h.g.Generation(), Offsets: []OffsetCommit{offset("sub", 0, 1), offset("other", 0, 2)}})
	}
	t.Run("empty group", func(t *testing.T) {
		h := newHarness(t, testConfig())
		commitAll(h, "")
		h.g.offsets = map[TopicPartition]Offset{{"sub", 0}: {}, {"other", 0}: {}}
		errs, acts, err := h.g.DeleteOffsets(h.now, tps)
		if err != nil || errs[0] != nil || errs[1] != nil || errs[2] != nil {
			t.Fatalf("%v %v", errs, err)
		}
		if len(acts) != 1 || len(acts[0].(DeleteOffsets).Partitions) != 2 {
			t.Fatalf("actions %+v", acts)
		}
	})
	t.Run("consumer group with members", func(t *testing.T) {
		h := newHarness(t, noDelay())
		req := consumer("")
		req.Protocols = []Protocol{{"range", consumerMeta("sub")}}
		id := h.joinResp(h.join(req)).MemberID
		h.sync(SyncRequest{MemberID: id, Generation: 1})
		commitAll(h, id)
		errs, acts, err := h.g.DeleteOffsets(h.now, tps)
		if err != nil || !isErr(errs[0], ErrGroupSubscribedToTopic) || errs[1] != nil || errs[2] != nil {
			t.Fatalf("%v %v", errs, err)
		}
		if len(acts) != 1 || acts[0].(DeleteOffsets).Partitions[0].Topic != "other" {
			t.Fatalf("actions %+v", acts)
		}
		if _, ok := h.g.Offset(TopicPartition{"sub", 0}); !ok {
			t.Fatal("subscribed offset deleted")
		}
	})
	t.Run("other group with members", func(t *testing.T) {
		h := newHarness(t, noDelay())
		req := consumer("")
		req.ProtocolType = "connect"
		h.join(req)
		if _, _, err := h.g.DeleteOffsets(h.now, tps); !isErr(err, ErrNonEmptyGroup) {
			t.Fatal(err)
		}
	})
	t.Run("dead group", func(t *testing.T) {
		h := newHarness(t, testConfig())
		h.g.Delete(h.now)
		if _, _, err := h.g.DeleteOffsets(h.now, tps); !isErr(err, ErrGroupIDNotFound) {
			t.Fatal(err)
		}
	})
}

func TestRestore(t *testing.T) {
	meta := &Metadata{
		ProtocolType: "consumer", Generation: 7, Protocol: "range", Leader: "m1",
		StateTimestamp: t0.Add(-time.Hour),
		Members:        []MemberMetadata{{MemberID: "m1", SessionTimeout: 10 * time.Second}},
	}
	g := Restore("g", noDelay(), t0, meta, []OffsetCommit{offset("t", 0, 42)})
	h := &harness{t: t, g: g, now: t0, joins: map[Token]JoinResponse{}, syncs: map[Token]SyncResponse{}}
	h.state(Empty)
	if g.Generation() != 7 || g.ProtocolType() != "consumer" || g.Size() != 0 {
		t.Fatalf("restored %+v", g.Describe())
	}
	if o, ok := g.Offset(TopicPartition{"t", 0}); !ok || o.Offset != 42 {
		t.Fatalf("offset %+v", o)
	}
	// The old member must rejoin from scratch; the generation goes on.
	if err := h.heartbeat("m1", 7); !isErr(err, ErrUnknownMemberID) {
		t.Fatal(err)
	}
	if r := h.joinResp(h.join(consumer(""))); r.Err != nil || r.Generation != 8 {
		t.Fatalf("%+v", r)
	}
	// A group restored from offsets alone starts at generation 0.
	if g := Restore("g", noDelay(), t0, nil, nil); g.Generation() != 0 || g.State() != Empty {
		t.Fatal("bad restore without metadata")
	}
}

func TestExpireOffsets(t *testing.T) {
	cfg := noDelay()
	cfg.OffsetRetention = time.Hour
	t.Run("simple consumer", func(t *testing.T) {
		h := newHarness(t, cfg)
		h.commit(CommitRequest{Generation: -1, Offsets: []OffsetCommit{offset("t", 0, 1)}})
		h.now = h.now.Add(30 * time.Minute)
		h.commit(CommitRequest{Generation: -1, Offsets: []OffsetCommit{offset("t", 1, 1)}})
		h.now = h.now.Add(30 * time.Minute)
		acts := h.g.ExpireOffsets(h.now)
		if len(acts) != 1 || len(acts[0].(DeleteOffsets).Partitions) != 1 {
			t.Fatalf("%+v", acts)
		}
		h.now = h.now.Add(30 * time.Minute)
		acts = h.g.ExpireOffsets(h.now)
		if len(acts) != 2 {
			t.Fatalf("%+v", acts)
		}
		if _, ok := acts[1].(DeleteGroup); !ok {
			t.Fatalf("%+v", acts)
		}
		h.state(Dead)
	})
	t.Run("empty consumer group", func(t *testing.T) {
		h, ids := stableGroupCfg(t, cfg, 1)
		h.commit(CommitRequest{MemberID: ids[0], Generation: h.g.Generation(), Offsets: []OffsetCommit{offset("t", 0, 1)}})
		h.now = h.now.Add(2 * time.Hour)
		h.heartbeat(ids[0], h.g.Generation())
		if acts := h.g.ExpireOffsets(h.now); len(acts) != 0 {
			t.Fatalf("offsets of a stable group's subscribed topic expired: %+v", acts)
		}
		h.leave(LeaveMember{MemberID: ids[0]})
		h.now = h.now.Add(59 * time.Minute)
		if acts := h.g.ExpireOffsets(h.now); len(acts) != 0 {
			t.Fatalf("expired too early: %+v", acts)
		}
		h.now = h.now.Add(time.Minute)
		if acts := h.g.ExpireOffsets(h.now); len(acts) != 2 {
			t.Fatalf("%+v", acts)
		}
	})
	t.Run("stable group keeps subscribed topics", func(t *testing.T) {
		h := newHarness(t, cfg)
		req := consumer("")
		req.Protocols = []Protocol{{"range", consumerMeta("sub")}}
		id := h.joinResp(h.join(req)).MemberID
		h.sync(SyncRequest{MemberID: id, Generation: 1})
		h.commit(CommitRequest{MemberID: id, Generation: 1, Offsets: []OffsetCommit{offset("sub", 0, 1), offset("gone", 0, 1)}})
		h.now = h.now.Add(time.Hour)
		h.heartbeat(id, 1)
		acts := h.g.ExpireOffsets(h.now)
		if len(acts) != 1 || acts[0].(DeleteOffsets).Partitions[0].Topic != "gone" {
			t.Fatalf("%+v", acts)
		}
	})
	t.Run("explicit expiry", func(t *testing.T) {
		g := Restore("g", cfg, t0, nil, []OffsetCommit{{TopicPartition{"t", 0}, Offset{Offset: 1, CommitTime: t0, ExpireTime: t0.Add(time.Minute)}}})
		if acts := g.ExpireOffsets(t0.Add(time.Minute)); len(acts) != 2 {
			t.Fatalf("%+v", acts)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		c := cfg
		c.OffsetRetention = 0
		g := Restore("g", c, t0, nil, []OffsetCommit{offset("t", 0, 1)})
		if acts := g.ExpireOffsets(t0.Add(1000 * time.Hour)); acts != nil {
			t.Fatalf("%+v", acts)
		}
	})
}

func TestDefaultMemberID(t *testing.T) {
	a, b := randomMemberID("client"), randomMemberID("client")
	if a == b || !strings.HasPrefix(a, "client-") || len(a) != len("client-")+36 {
		t.Fatalf("member ids %q %q", a, b)
	}
}

func TestUnused(t *testing.T) {
	h := newHarness(t, noDelay())
	if !h.g.Unused() {
		t.Fatal("new group is not unused")
	}
	r := consumer("")
	r.SessionTimeout = time.Second
	h.join(r) // rejected: the group stays unused
	if !h.g.Unused() {
		t.Fatal("a rejected join made the group used")
	}
	r = consumer("")
	r.RequireKnownMemberID = true
	h.join(r)
	if h.g.Unused() {
		t.Fatal("a group expecting a member is unused")
	}
	g := New("g", noDelay(), t0)
	g.CommitOffsets(t0, CommitRequest{Generation: -1, Offsets: []OffsetCommit{offset("t", 0, 1)}})
	if g.Unused() {
		t.Fatal("a group with offsets is unused")
	}
}
