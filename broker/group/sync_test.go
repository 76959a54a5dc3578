package group

import (
	"testing"
	"time"
)

func TestSyncFollowersWaitForLeader(t *testing.T) {
	h := newHarness(t, testConfig())
	toks := []Token{h.join(consumer("")), h.join(consumer("")), h.join(consumer(""))}
	h.advance(6 * time.Second)
	var ids []string
	for _, tok := range toks {
		ids = append(ids, h.joinResp(tok).MemberID)
	}
	leader := h.joinResp(toks[0]).Leader
	if leader != ids[0] {
		t.Fatalf("leader %s, want the first member %s", leader, ids[0])
	}
	f1 := h.sync(SyncRequest{MemberID: ids[1], Generation: 1})
	f2 := h.sync(SyncRequest{MemberID: ids[2], Generation: 1})
	h.parked(f1)
	h.parked(f2)
	h.state(CompletingRebalance)
	// Followers may heartbeat while they wait.
	if err := h.heartbeat(ids[1], 1); err != nil {
		t.Fatalf("heartbeat while completing: %v", err)
	}
	mark := len(h.log)
	// The leader leaves member 2 out of its assignment: it gets an empty one.
	l := h.sync(SyncRequest{MemberID: ids[0], Generation: 1, ProtocolType: "consumer", Protocol: "range",
		Assignments: []Assignment{{ids[0], []byte("A")}, {ids[1], []byte("B")}}})
	h.state(Stable)
	acts := h.log[mark:]
	if _, ok := acts[0].(StoreGroup); !ok {
		t.Fatalf("first action %T, want StoreGroup before the replies", acts[0])
	}
	md := acts[0].(StoreGroup).Metadata
	if md.Generation != 1 || md.Leader != ids[0] || md.Protocol != "range" || md.ProtocolType != "consumer" || len(md.Members) != 3 {
		t.Fatalf("stored metadata %+v", md)
	}
	if string(md.Members[1].Assignment) != "B" || string(md.Members[0].Subscription) != "r" {
		t.Fatalf("stored member %+v", md.Members[1])
	}
	for tok, want := range map[Token]string{l: "A", f1: "B", f2: ""} {
		r := h.syncResp(tok)
		if r.Err != nil || string(r.Assignment) != want || r.Protocol != "range" || r.ProtocolType != "consumer" {
			t.Fatalf("sync %d: %+v, want assignment %q", tok, r, want)
		}
	}
	d := h.g.Describe()
	if d.State != Stable || string(d.Members[0].Assignment) != "A" || string(d.Members[0].Metadata) != "r" {
		t.Fatalf("describe: %+v", d)
	}
}

func TestSyncErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness, ids []string)
		req   func(ids []string, gen int32) SyncRequest
		want  error
	}{
		{"unknown member", nil, func(_ []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: "ghost", Generation: gen}
		}, ErrUnknownMemberID},
		{"old generation", nil, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen - 1}
		}, ErrIllegalGeneration},
		{"other protocol type", nil, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen, ProtocolType: "connect"}
		}, ErrInconsistentGroupProtocol},
		{"other protocol", nil, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen, Protocol: "roundrobin"}
		}, ErrInconsistentGroupProtocol},
		{"during join phase", func(h *harness, ids []string) { h.join(consumer(ids[0])) }, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen}
		}, ErrRebalanceInProgress},
		{"fenced static member", nil, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], InstanceID: "nobody", Generation: gen}
		}, ErrUnknownMemberID},
		{"dead group", func(h *harness, ids []string) {
			h.leave(LeaveMember{MemberID: ids[0]}, LeaveMember{MemberID: ids[1]})
			h.g.Delete(h.now)
		}, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen}
		}, ErrCoordinatorNotAvailable},
		{"empty group", func(h *harness, ids []string) {
			h.leave(LeaveMember{MemberID: ids[0]}, LeaveMember{MemberID: ids[1]})
		}, func(ids []string, gen int32) SyncRequest {
			return SyncRequest{MemberID: ids[1], Generation: gen + 1}
		}, ErrUnknownMemberID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ids := stableGroup(t, 2)
			gen := h.g.Generation()
			if tt.setup != nil {
				tt.setup(h, ids)
			}
			r := h.syncResp(h.sync(tt.req(ids, gen)))
			if !isErr(r.Err, tt.want) {
				t.Fatalf("error %v, want %v", r.Err, tt.want)
			}
		})
	}
}

func TestSyncTimeoutDropsSilentMembers(t *testing.T) {
	h, ids := stableGroup(t, 3)
	var toks []Token
	for _, id := range ids {
		toks = append(toks, h.join(consumer(id)))
	}
	gen := h.joinResp(toks[0]).Generation
	// Member 2 heartbeats but never syncs; the others sync, the leader last.
	f := h.sync(SyncRequest{MemberID: ids[1], Generation: gen})
	for range 5 {
		h.advance(5 * time.Second)
		for _, id := range ids {
			h.heartbeat(id, gen)
		}
	}
	h.sync(SyncRequest{MemberID: ids[0], Generation: gen, Assignments: []Assignment{{ids[0], []byte("x")}}})
	h.state(Stable)
	if r := h.syncResp(f); r.Err != nil {
		t.Fatal(r.Err)
	}
	h.advance(5 * time.Second) // 30 s since the join completed
	h.state(PreparingRebalance)
	if h.g.Size() != 2 {
		t.Fatalf("%d members after the sync timeout", h.g.Size())
	}
	if err := h.heartbeat(ids[2], gen); !isErr(err, ErrUnknownMemberID) {
		t.Fatalf("silent member: %v", err)
	}
}

func TestSyncTimeoutWithoutLeader(t *testing.T) {
	h, ids := stableGroup(t, 2)
	a, b := h.join(consumer(ids[0])), h.join(consumer(ids[1]))
	gen := h.joinResp(a).Generation
	_ = b
	f := h.sync(SyncRequest{MemberID: ids[1], Generation: gen})
	h.advance(10 * time.Second)
	// The leader never synced nor heartbeated: it is dropped, the follower
	// must rejoin.
	if r := h.syncResp(f); !isErr(r.Err, ErrRebalanceInProgress) {
		t.Fatalf("waiting follower: %+v", r)
	}
	r := h.joinResp(h.join(consumer(ids[1])))
	if r.Err != nil || r.Leader != ids[1] || len(r.Members) != 1 {
		t.Fatalf("rejoin: %+v", r)
	}
}

func TestLateSyncInStableGetsAssignment(t *testing.T) {
	h, ids := stableGroup(t, 2)
	gen := h.g.Generation()
	r := h.syncResp(h.sync(SyncRequest{MemberID: ids[1], Generation: gen}))
	if r.Err != nil || string(r.Assignment) != "a1" {
		t.Fatalf("%+v", r)
	}
}

func TestRepeatedSyncIsAnswered(t *testing.T) {
	h, ids := stableGroup(t, 2)
	a := h.join(consumer(ids[0]))
	h.join(consumer(ids[1]))
	gen := h.joinResp(a).Generation
	first := h.sync(SyncRequest{MemberID: ids[1], Generation: gen})
	second := h.sync(SyncRequest{MemberID: ids[1], Generation: gen})
	if r := h.syncResp(first); !isErr(r.Err, ErrRebalanceInProgress) {
		t.Fatalf("superseded sync: %+v", r)
	}
	h.sync(SyncRequest{MemberID: ids[0], Generation: gen})
	if r := h.syncResp(second); r.Err != nil {
		t.Fatal(r.Err)
	}
}
