package group

import (
	"testing"
	"time"
)

func TestHeartbeat(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness, ids []string)
		req   func(ids []string, gen int32) HeartbeatRequest
		want  error
	}{
		{"stable", nil, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen}
		}, nil},
		{"unknown member", nil, func(_ []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: "ghost", Generation: gen}
		}, ErrUnknownMemberID},
		{"old generation", nil, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen - 1}
		}, ErrIllegalGeneration},
		{"preparing rebalance", func(h *harness, ids []string) { h.join(consumer(ids[0])) }, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen}
		}, ErrRebalanceInProgress},
		{"completing rebalance", func(h *harness, ids []string) {
			h.join(consumer(ids[0]))
			h.join(consumer(ids[1]))
		}, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen + 1}
		}, nil},
		{"empty", func(h *harness, ids []string) {
			h.leave(LeaveMember{MemberID: ids[0]}, LeaveMember{MemberID: ids[1]})
		}, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen + 1}
		}, ErrUnknownMemberID},
		{"dead", func(h *harness, ids []string) {
			h.leave(LeaveMember{MemberID: ids[0]}, LeaveMember{MemberID: ids[1]})
			h.g.Delete(h.now)
		}, func(ids []string, gen int32) HeartbeatRequest {
			return HeartbeatRequest{MemberID: ids[1], Generation: gen + 1}
		}, ErrCoordinatorNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ids := stableGroup(t, 2)
			gen := h.g.Generation()
			if tt.setup != nil {
				tt.setup(h, ids)
			}
			if err := h.g.Heartbeat(h.now, tt.req(ids, gen)); !isErr(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHeartbeatKeepsMemberAlive(t *testing.T) {
	h, ids := stableGroup(t, 1)
	for range 100 {
		h.advance(9 * time.Second)
		if err := h.heartbeat(ids[0], h.g.Generation()); err != nil {
			t.Fatal(err)
		}
	}
	h.state(Stable)
	h.advance(10 * time.Second)
	h.state(Empty) // expired; the rebalance found nobody
}

func TestLeave(t *testing.T) {
	h, ids := stableGroup(t, 3)
	gen := h.g.Generation()
	errs := h.leave(LeaveMember{MemberID: ids[2]}, LeaveMember{MemberID: "ghost"})
	if errs[0] != nil || !isErr(errs[1], ErrUnknownMemberID) {
		t.Fatalf("leave errors %v", errs)
	}
	h.state(PreparingRebalance)
	a, b := h.join(consumer(ids[0])), h.join(consumer(ids[1]))
	if r := h.joinResp(a); r.Err != nil || len(r.Members) != 2 || r.Generation != gen+1 {
		t.Fatalf("rejoin: %+v", r)
	}
	_ = b
	// The leader leaves while completing: the follower's sync is sent back.
	f := h.sync(SyncRequest{MemberID: ids[1], Generation: gen + 1})
	h.leave(LeaveMember{MemberID: ids[0]})
	if r := h.syncResp(f); !isErr(r.Err, ErrRebalanceInProgress) {
		t.Fatalf("follower sync: %+v", r)
	}
	r := h.joinResp(h.join(consumer(ids[1])))
	if r.Leader != ids[1] || len(r.Members) != 1 {
		t.Fatalf("new leader: %+v", r)
	}
	// The last member leaves a Stable group: it is Empty at once, and stored.
	h.sync(SyncRequest{MemberID: ids[1], Generation: r.Generation})
	h.state(Stable)
	mark := len(h.log)
	h.leave(LeaveMember{MemberID: ids[1]})
	h.state(Empty)
	if len(h.log) != mark+1 {
		t.Fatalf("actions after the last leave: %v", h.log[mark:])
	}
	if md := h.log[mark].(StoreGroup).Metadata; md.Generation != r.Generation+1 || len(md.Members) != 0 || md.Protocol != "" {
		t.Fatalf("stored %+v", md)
	}
}

func TestLeaveParkedJoin(t *testing.T) {
	h, ids := stableGroup(t, 2)
	a := h.join(consumer(ids[0]))
	h.leave(LeaveMember{MemberID: ids[0]})
	if r := h.joinResp(a); !isErr(r.Err, ErrUnknownMemberID) {
		t.Fatalf("%+v", r)
	}
	// Member 1 is the only one left: its rejoin completes the rebalance.
	if r := h.joinResp(h.join(consumer(ids[1]))); r.Err != nil || r.Leader != ids[1] {
		t.Fatalf("%+v", r)
	}
}

func TestLeavePendingMember(t *testing.T) {
	h, ids := stableGroup(t, 1)
	req := consumer("")
	req.RequireKnownMemberID = true
	pending := h.joinResp(h.join(req)).MemberID
	lead := h.join(consumer(ids[0]))
	h.parked(lead)
	if errs := h.leave(LeaveMember{MemberID: pending}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if r := h.joinResp(lead); r.Err != nil || len(r.Members) != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestLeaveDeadGroup(t *testing.T) {
	h := newHarness(t, testConfig())
	h.g.Delete(h.now)
	if _, _, err := h.g.Leave(h.now, []LeaveMember{{MemberID: "x"}}); !isErr(err, ErrCoordinatorNotAvailable) {
		t.Fatal(err)
	}
}

// staticGroup forms a Stable group of static members i0..i(n-1).
func staticGroup(t *testing.T, n int) (*harness, []string) {
	t.Helper()
	h := newHarness(t, testConfig())
	var toks []Token
	for i := range n {
		toks = append(toks, h.join(static("", string(rune('a'+i)))))
	}
	h.advance(6 * time.Second)
	var ids []string
	var assign []Assignment
	for i, tok := range toks {
		r := h.joinResp(tok)
		ids = append(ids, r.MemberID)
		assign = append(assign, Assignment{r.MemberID, []byte{byte('A' + i)}})
	}
	for _, id := range ids[1:] {
		h.sync(SyncRequest{MemberID: id, InstanceID: h.g.byID[id].instanceID, Generation: 1})
	}
	h.sync(SyncRequest{MemberID: ids[0], InstanceID: "a", Generation: 1, Assignments: assign})
	h.state(Stable)
	return h, ids
}

func TestStaticMemberRejoinWithoutRebalance(t *testing.T) {
	h, ids := staticGroup(t, 3)
	mark := len(h.log)
	r := h.joinResp(h.join(static("", "b")))
	h.state(Stable)
	if r.Err != nil || r.MemberID == ids[1] || r.Generation != 1 || r.Leader != ids[0] || len(r.Members) != 0 {
		t.Fatalf("rejoin: %+v", r)
	}
	if _, ok := h.log[mark].(StoreGroup); !ok {
		t.Fatalf("first action %T, want StoreGroup before the reply", h.log[mark])
	}
	// The new id syncs and gets the instance's assignment.
	s := h.syncResp(h.sync(SyncRequest{MemberID: r.MemberID, InstanceID: "b", Generation: 1}))
	if s.Err != nil || string(s.Assignment) != "B" {
		t.Fatalf("sync: %+v", s)
	}
	// The old member id is fenced everywhere.
	if err := h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: ids[1], InstanceID: "b", Generation: 1}); !isErr(err, ErrFencedInstanceID) {
		t.Fatalf("heartbeat of the old id: %v", err)
	}
	if errs := h.commit(CommitRequest{MemberID: ids[1], InstanceID: "b", Generation: 1, Offsets: []OffsetCommit{{TopicPartition{"t", 0}, Offset{Offset: 1}}}}); !isErr(errs[0], ErrFencedInstanceID) {
		t.Fatalf("commit of the old id: %v", errs[0])
	}
	if r := h.joinResp(h.join(static(ids[1], "b"))); !isErr(r.Err, ErrFencedInstanceID) {
		t.Fatalf("join of the old id: %v", r.Err)
	}
	if r := h.syncResp(h.sync(SyncRequest{MemberID: ids[1], InstanceID: "b", Generation: 1})); !isErr(r.Err, ErrFencedInstanceID) {
		t.Fatalf("sync of the old id: %v", r.Err)
	}
	if errs := h.leave(LeaveMember{MemberID: ids[1], InstanceID: "b"}); !isErr(errs[0], ErrFencedInstanceID) {
		t.Fatalf("leave of the old id: %v", errs[0])
	}
	h.state(Stable)
}

func TestStaticLeaderRejoinKeepsOldLeaderID(t *testing.T) {
	h, ids := staticGroup(t, 2)
	r := h.joinResp(h.join(static("", "a")))
	h.state(Stable)
	if r.Err != nil || r.Leader != ids[0] || r.MemberID == ids[0] {
		t.Fatalf("%+v", r)
	}
	// The group's leader is now the new id.
	if h.g.leader != r.MemberID {
		t.Fatalf("leader %s, want %s", h.g.leader, r.MemberID)
	}
}

func TestStaticMemberRejoinWithChangedProtocols(t *testing.T) {
	h, _ := staticGroup(t, 2)
	req := static("", "b")
	req.Protocols = []Protocol{{"range", []byte("other topics")}}
	h.parked(h.join(req))
	h.state(PreparingRebalance)
}

func TestStaticMemberRejoinWhileCompleting(t *testing.T) {
	h, ids := staticGroup(t, 2)
	a := h.join(static(ids[0], "a"))
	h.join(static(ids[1], "b"))
	gen := h.joinResp(a).Generation
	f := h.sync(SyncRequest{MemberID: ids[1], InstanceID: "b", Generation: gen})
	h.parked(f)
	tok := h.join(static("", "b"))
	if r := h.syncResp(f); !isErr(r.Err, ErrFencedInstanceID) {
		t.Fatalf("old sync: %+v", r)
	}
	h.state(PreparingRebalance)
	h.parked(tok)
	h.join(static(ids[0], "a"))
	if r := h.joinResp(tok); r.Err != nil || r.Generation != gen+1 {
		t.Fatalf("%+v", r)
	}
}

func TestStaticMemberParkedJoinIsFenced(t *testing.T) {
	h, ids := staticGroup(t, 3)
	h.join(static(ids[0], "a"))
	old := h.join(static(ids[1], "b"))
	h.state(PreparingRebalance)
	h.parked(old)
	fresh := h.join(static("", "b"))
	if r := h.joinResp(old); !isErr(r.Err, ErrFencedInstanceID) {
		t.Fatalf("old join: %+v", r)
	}
	h.parked(fresh)
	h.join(static(ids[2], "c"))
	if r := h.joinResp(fresh); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestStaticMembersSurviveRebalanceTimeout(t *testing.T) {
	h, ids := staticGroup(t, 2)
	gen := h.g.Generation()
	a := h.join(static(ids[0], "a"))
	// Instance b heartbeats but does not rejoin within the rebalance
	// timeout; as a static member it stays in the group.
	for range 6 {
		h.advance(5 * time.Second)
		h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: ids[1], InstanceID: "b", Generation: gen})
	}
	r := h.joinResp(a)
	if r.Err != nil || len(r.Members) != 2 || r.Generation != gen+1 {
		t.Fatalf("%+v", r)
	}
	// It never syncs: its session timeout removes it.
	h.advance(5 * time.Second)
	h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: ids[0], InstanceID: "a", Generation: gen + 1})
	h.advance(5 * time.Second)
	if h.g.byID[ids[1]] != nil {
		t.Fatal("silent static member not expired")
	}
	h.state(PreparingRebalance)
}

func TestLeaveByInstanceID(t *testing.T) {
	h, ids := staticGroup(t, 3)
	errs := h.leave(
		LeaveMember{InstanceID: "a"},
		LeaveMember{InstanceID: "c"},
		LeaveMember{InstanceID: "zzz"},
		LeaveMember{},
	)
	if errs[0] != nil || errs[1] != nil || !isErr(errs[2], ErrUnknownMemberID) || !isErr(errs[3], ErrUnknownMemberID) {
		t.Fatalf("errors %v", errs)
	}
	if h.g.Size() != 1 || h.g.byID[ids[1]] == nil {
		t.Fatalf("members left: %d", h.g.Size())
	}
	h.state(PreparingRebalance)
}

func TestStaticLeaderNotRejoiningLosesLeadership(t *testing.T) {
	h, ids := staticGroup(t, 2)
	gen := h.g.Generation()
	req := static(ids[1], "b")
	req.Protocols = []Protocol{{"range", []byte("changed")}}
	b := h.join(req) // a follower's changed subscription rebalances
	// Instance a, the leader, keeps heartbeating but does not rejoin.
	for range 6 {
		h.advance(5 * time.Second)
		h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: ids[0], InstanceID: "a", Generation: gen})
	}
	r := h.joinResp(b)
	if r.Err != nil || r.Leader != ids[1] || len(r.Members) != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestRebalanceWithNobodyRejoining(t *testing.T) {
	h, _ := staticGroup(t, 2)
	for _, m := range h.g.members {
		m.rebalanceTimeout = 4 * time.Second
	}
	// A newcomer starts a rebalance and leaves again before it completes;
	// the static members never rejoin. The join phase is extended until
	// their session timeouts remove them.
	req := consumer("")
	req.RebalanceTimeout = 4 * time.Second
	tok := h.join(req)
	h.leave(LeaveMember{MemberID: h.g.members[2].id})
	if r := h.joinResp(tok); !isErr(r.Err, ErrUnknownMemberID) {
		t.Fatalf("%+v", r)
	}
	h.state(PreparingRebalance)
	gen := h.g.Generation()
	h.advance(9 * time.Second)
	h.state(PreparingRebalance)
	if h.g.Generation() != gen || h.g.Size() != 2 {
		t.Fatalf("join phase ended without members rejoining")
	}
	h.advance(time.Second) // their session timeouts remove them
	h.state(Empty)
	if h.g.Generation() != gen+1 {
		t.Fatalf("generation %d", h.g.Generation())
	}
}
