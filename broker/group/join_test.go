package group

import (
	"bytes"
	"testing"
	"time"
)

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{
		Empty: "Empty", PreparingRebalance: "PreparingRebalance", CompletingRebalance: "CompletingRebalance",
		Stable: "Stable", Dead: "Dead", State(42): "Unknown",
	} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestJoinRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness) // nil: an Empty group
		req   func() JoinRequest
		want  error
	}{
		{"session timeout below minimum", nil, func() JoinRequest {
			r := consumer("")
			r.SessionTimeout = 5999 * time.Millisecond
			return r
		}, ErrInvalidSessionTimeout},
		{"session timeout above maximum", nil, func() JoinRequest {
			r := consumer("")
			r.SessionTimeout = 30*time.Minute + time.Millisecond
			return r
		}, ErrInvalidSessionTimeout},
		{"empty protocol type", nil, func() JoinRequest {
			r := consumer("")
			r.ProtocolType = ""
			return r
		}, ErrInconsistentGroupProtocol},
		{"no protocols", nil, func() JoinRequest {
			r := consumer("")
			r.Protocols = nil
			return r
		}, ErrInconsistentGroupProtocol},
		{"unknown member id", nil, func() JoinRequest { return consumer("ghost") }, ErrUnknownMemberID},
		{"other protocol type", func(h *harness) { h.join(consumer("")) }, func() JoinRequest {
			r := consumer("")
			r.ProtocolType = "connect"
			return r
		}, ErrInconsistentGroupProtocol},
		{"no common protocol", func(h *harness) { h.join(consumer("")) }, func() JoinRequest {
			r := consumer("")
			r.Protocols = []Protocol{{"sticky", nil}}
			return r
		}, ErrInconsistentGroupProtocol},
		{"dead group", func(h *harness) { h.g.Delete(h.now) }, func() JoinRequest { return consumer("") }, ErrCoordinatorNotAvailable},
		{"static instance with unknown member id", func(h *harness) { h.join(static("", "i1")) }, func() JoinRequest {
			return static("other", "i1")
		}, ErrFencedInstanceID},
		{"unknown static instance", func(h *harness) { h.join(consumer("")) }, func() JoinRequest {
			return static("someone", "i9")
		}, ErrUnknownMemberID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			if tt.setup != nil {
				tt.setup(h)
			}
			req := tt.req()
			r := h.joinResp(h.join(req))
			if !isErr(r.Err, tt.want) {
				t.Fatalf("error %v, want %v", r.Err, tt.want)
			}
			if r.Generation != -1 {
				t.Errorf("generation %d on error, want -1", r.Generation)
			}
		})
	}
}

func TestMemberIDRequired(t *testing.T) {
	h := newHarness(t, noDelay())
	req := consumer("")
	req.RequireKnownMemberID = true
	r := h.joinResp(h.join(req))
	if !isErr(r.Err, ErrMemberIDRequired) || r.MemberID != "client-1" {
		t.Fatalf("first join: %v %q, want MEMBER_ID_REQUIRED with id client-1", r.Err, r.MemberID)
	}
	h.state(Empty)
	if h.g.Size() != 0 {
		t.Fatal("pending member counted as a member")
	}
	tok := h.join(consumer(r.MemberID))
	r = h.joinResp(tok)
	if r.Err != nil || r.MemberID != "client-1" || r.Generation != 1 || r.Leader != "client-1" {
		t.Fatalf("second join: %+v", r)
	}
	h.state(CompletingRebalance)
}

func TestPendingMemberDelaysRebalanceUntilExpiry(t *testing.T) {
	h, ids := stableGroup(t, 1)
	gen := h.g.Generation()
	req := consumer("")
	req.RequireKnownMemberID = true
	req.SessionTimeout = 6 * time.Second
	pendingID := h.joinResp(h.join(req)).MemberID
	h.state(Stable) // a pending member alone does not rebalance

	// The leader rejoins: the rebalance waits for the pending member too.
	tok := h.join(consumer(ids[0]))
	h.state(PreparingRebalance)
	h.advance(5 * time.Second)
	h.parked(tok)
	h.advance(time.Second)
	r := h.joinResp(tok)
	if r.Err != nil || r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("join after pending expiry: %+v", r)
	}
	// The expired pending id is unknown now.
	if r := h.joinResp(h.join(consumer(pendingID))); !isErr(r.Err, ErrUnknownMemberID) {
		t.Fatalf("expired pending member rejoined: %v", r.Err)
	}
}

func TestPendingMemberJoinCompletesRebalance(t *testing.T) {
	h, ids := stableGroup(t, 1)
	req := consumer("")
	req.RequireKnownMemberID = true
	pendingID := h.joinResp(h.join(req)).MemberID
	leaderTok := h.join(consumer(ids[0]))
	h.parked(leaderTok)
	newTok := h.join(consumer(pendingID))
	lr, nr := h.joinResp(leaderTok), h.joinResp(newTok)
	if lr.Err != nil || nr.Err != nil || len(lr.Members) != 2 || len(nr.Members) != 0 || nr.Leader != ids[0] {
		t.Fatalf("leader %+v, new member %+v", lr, nr)
	}
}

func TestInitialRebalanceDelay(t *testing.T) {
	cfg := testConfig() // 3 s delay
	h := newHarness(t, cfg)
	req := consumer("")
	req.RebalanceTimeout = 10 * time.Second
	a := h.join(req)
	h.state(PreparingRebalance)
	h.advance(2 * time.Second)
	b := h.join(req) // extends the delay: one more 3 s period after the first
	h.advance(time.Second)
	h.parked(a)
	h.parked(b)
	h.advance(2999 * time.Millisecond) // t = 5.999 s
	h.parked(a)
	h.advance(time.Millisecond) // t = 6 s: nobody joined in the second period
	ra, rb := h.joinResp(a), h.joinResp(b)
	if ra.Err != nil || rb.Err != nil || ra.Generation != 1 || len(ra.Members) != 2 {
		t.Fatalf("joins: %+v %+v", ra, rb)
	}
}

func TestInitialRebalanceDelayBoundedByRebalanceTimeout(t *testing.T) {
	h := newHarness(t, testConfig())
	req := consumer("")
	req.RebalanceTimeout = 7 * time.Second
	first := h.join(req)
	// A member joins in every period; the waiting stops after 7 s.
	for range 5 {
		h.advance(2 * time.Second)
		if _, done := h.joins[first]; done {
			break
		}
		h.join(req)
	}
	r := h.joinResp(first)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if el := h.now.Sub(t0); el > 8*time.Second {
		t.Fatalf("initial delay lasted %v, beyond the 7 s rebalance timeout", el)
	}
}

func TestInitialDelayWaitsEvenIfEveryoneJoined(t *testing.T) {
	h := newHarness(t, testConfig())
	a := h.join(consumer(""))
	h.advance(2 * time.Second)
	h.parked(a)
	h.advance(time.Second)
	if r := h.joinResp(a); r.Err != nil || r.Generation != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestJoinLeaderGetsMembers(t *testing.T) {
	h, ids := stableGroup(t, 3)
	d := h.g.Describe()
	if len(d.Members) != 3 || d.Protocol != "range" || d.ProtocolType != "consumer" {
		t.Fatalf("describe: %+v", d)
	}
	// Another rebalance: the leader's join lists every member with its
	// metadata; followers get none.
	gen := h.g.Generation()
	var toks []Token
	for _, id := range ids {
		toks = append(toks, h.join(consumer(id)))
	}
	for i, tok := range toks {
		r := h.joinResp(tok)
		if r.Generation != gen+1 || r.Leader != ids[0] || r.Protocol != "range" || r.ProtocolType != "consumer" {
			t.Fatalf("member %d: %+v", i, r)
		}
		if i == 0 {
			if len(r.Members) != 3 {
				t.Fatalf("leader got %d members", len(r.Members))
			}
			for j, m := range r.Members {
				if m.MemberID != ids[j] || !bytes.Equal(m.Metadata, []byte("r")) {
					t.Fatalf("member list entry %d: %+v", j, m)
				}
			}
		} else if len(r.Members) != 0 {
			t.Fatalf("follower %d got the member list", i)
		}
	}
}

func TestProtocolSelection(t *testing.T) {
	tests := []struct {
		name    string
		members [][]string
		want    string
	}{
		{"first preference of all", [][]string{{"a", "b"}, {"a", "b"}}, "a"},
		{"majority wins", [][]string{{"a", "b"}, {"b", "a"}, {"b", "a"}}, "b"},
		{"only common protocol", [][]string{{"a", "b"}, {"c", "b"}}, "b"},
		{"tie goes to the first member's preference", [][]string{{"b", "a"}, {"a", "b"}}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			var toks []Token
			for _, names := range tt.members {
				req := consumer("")
				req.Protocols = nil
				for _, n := range names {
					req.Protocols = append(req.Protocols, Protocol{Name: n, Metadata: []byte(n)})
				}
				toks = append(toks, h.join(req))
			}
			h.advance(6 * time.Second) // the initial delay, extended once
			for _, tok := range toks {
				r := h.joinResp(tok)
				if r.Err != nil || r.Protocol != tt.want {
					t.Fatalf("protocol %q (err %v), want %q", r.Protocol, r.Err, tt.want)
				}
			}
			lr := h.joinResp(toks[0])
			for _, m := range lr.Members {
				if string(m.Metadata) != tt.want {
					t.Fatalf("leader sees metadata %q for the %q protocol", m.Metadata, tt.want)
				}
			}
		})
	}
}

func TestRebalanceTimeoutDropsStragglers(t *testing.T) {
	h, ids := stableGroup(t, 3)
	gen := h.g.Generation()
	// Member 2 heartbeats through the rebalance but never rejoins.
	a := h.join(consumer(ids[0]))
	b := h.join(consumer(ids[1]))
	for range 5 {
		h.advance(5 * time.Second)
		if err := h.heartbeat(ids[2], gen); !isErr(err, ErrRebalanceInProgress) {
			t.Fatalf("heartbeat during rebalance: %v", err)
		}
	}
	h.parked(a)
	h.advance(5 * time.Second) // 30 s rebalance timeout
	ra, rb := h.joinResp(a), h.joinResp(b)
	if ra.Err != nil || rb.Err != nil || len(ra.Members) != 2 || ra.Generation != gen+1 {
		t.Fatalf("joins: %+v %+v", ra, rb)
	}
	if err := h.heartbeat(ids[2], gen); !isErr(err, ErrUnknownMemberID) {
		t.Fatalf("straggler heartbeat: %v", err)
	}
}

func TestSessionTimeoutRemovesMember(t *testing.T) {
	h, ids := stableGroup(t, 3)
	gen := h.g.Generation()
	// Members 0 and 1 heartbeat every 3 s; member 2 is silent.
	for range 3 {
		h.advance(3 * time.Second)
		for _, id := range ids[:2] {
			if err := h.heartbeat(id, gen); err != nil {
				t.Fatalf("heartbeat at %v: %v", h.now.Sub(t0), err)
			}
		}
	}
	h.state(Stable)
	h.advance(3 * time.Second) // 12 s > 10 s session timeout
	h.state(PreparingRebalance)
	if h.g.Size() != 2 {
		t.Fatalf("%d members after the expiry", h.g.Size())
	}
	var toks []Token
	for _, id := range ids[:2] {
		if err := h.heartbeat(id, gen); !isErr(err, ErrRebalanceInProgress) {
			t.Fatalf("heartbeat: %v", err)
		}
		toks = append(toks, h.join(consumer(id)))
	}
	if r := h.joinResp(toks[0]); r.Err != nil || len(r.Members) != 2 {
		t.Fatalf("rejoin: %+v", r)
	}
}

func TestSessionTimeoutOfLeaderElectsAnother(t *testing.T) {
	h, ids := stableGroup(t, 2)
	gen := h.g.Generation()
	for range 4 {
		h.advance(3 * time.Second)
		h.heartbeat(ids[1], gen)
	}
	h.state(PreparingRebalance)
	r := h.joinResp(h.join(consumer(ids[1])))
	if r.Leader != ids[1] || len(r.Members) != 1 {
		t.Fatalf("after leader expiry: %+v", r)
	}
}

func TestParkedMembersDoNotExpire(t *testing.T) {
	h, ids := stableGroup(t, 2)
	// Member 0 rejoins and waits 25 s for member 1, which only rejoins late;
	// its 10 s session timeout does not apply while it waits.
	a := h.join(consumer(ids[0]))
	for range 5 {
		h.advance(5 * time.Second)
		h.heartbeat(ids[1], h.g.Generation())
	}
	b := h.join(consumer(ids[1]))
	if ra, rb := h.joinResp(a), h.joinResp(b); ra.Err != nil || rb.Err != nil || len(ra.Members) != 2 {
		t.Fatalf("%+v %+v", ra, rb)
	}
}

func TestNewMemberJoinTimeout(t *testing.T) {
	cfg := noDelay()
	cfg.NewMemberJoinTimeout = 20 * time.Second
	h, ids := stableGroupCfg(t, cfg, 1)
	req := consumer("")
	req.RebalanceTimeout = time.Minute
	newcomer := h.join(req)
	h.state(PreparingRebalance)
	// The leader never rejoins but keeps heartbeating; after 20 s the
	// newcomer's join expires.
	for range 4 {
		h.advance(5 * time.Second)
		h.heartbeat(ids[0], h.g.Generation())
	}
	r := h.joinResp(newcomer)
	if !isErr(r.Err, ErrUnknownMemberID) {
		t.Fatalf("newcomer: %+v", r)
	}
}

func TestStableJoins(t *testing.T) {
	t.Run("follower unchanged gets current generation", func(t *testing.T) {
		h, ids := stableGroup(t, 2)
		gen := h.g.Generation()
		r := h.joinResp(h.join(consumer(ids[1])))
		if r.Err != nil || r.Generation != gen || r.Leader != ids[0] || len(r.Members) != 0 {
			t.Fatalf("%+v", r)
		}
		h.state(Stable)
		if s := h.syncResp(h.sync(SyncRequest{MemberID: ids[1], Generation: gen})); s.Err != nil || string(s.Assignment) != "a1" {
			t.Fatalf("sync: %+v", s)
		}
	})
	t.Run("leader rejoin rebalances", func(t *testing.T) {
		h, ids := stableGroup(t, 2)
		tok := h.join(consumer(ids[0]))
		h.parked(tok)
		h.state(PreparingRebalance)
	})
	t.Run("changed metadata rebalances", func(t *testing.T) {
		h, ids := stableGroup(t, 2)
		req := consumer(ids[1])
		req.Protocols = []Protocol{{"range", []byte("new")}}
		h.parked(h.join(req))
		h.state(PreparingRebalance)
	})
}

func TestCompletingRebalanceJoins(t *testing.T) {
	h := newHarness(t, noDelay())
	a := h.joinResp(h.join(consumer("")))
	h.state(CompletingRebalance)
	// A lost answer: the same join gets the same generation again.
	r := h.joinResp(h.join(consumer(a.MemberID)))
	if r.Err != nil || r.Generation != a.Generation || len(r.Members) != 1 {
		t.Fatalf("%+v", r)
	}
	h.state(CompletingRebalance)
	// A follower's parked sync is sent back when a changed join rebalances.
	b := h.join(consumer(""))
	h.state(PreparingRebalance)
	aTok := h.join(consumer(a.MemberID))
	gen := h.joinResp(aTok).Generation
	bID := h.joinResp(b).MemberID
	follower := h.sync(SyncRequest{MemberID: bID, Generation: gen})
	h.parked(follower)
	req := consumer(a.MemberID)
	req.Protocols = []Protocol{{"range", []byte("changed")}}
	h.join(req)
	if s := h.syncResp(follower); !isErr(s.Err, ErrRebalanceInProgress) {
		t.Fatalf("follower sync: %+v", s)
	}
	h.state(PreparingRebalance)
}

func TestDuplicateParkedJoinIsAnswered(t *testing.T) {
	h, ids := stableGroup(t, 2)
	first := h.join(consumer(ids[0]))
	second := h.join(consumer(ids[0]))
	if r := h.joinResp(first); !isErr(r.Err, ErrRebalanceInProgress) {
		t.Fatalf("superseded join: %+v", r)
	}
	h.parked(second)
	h.join(consumer(ids[1]))
	if r := h.joinResp(second); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestMaxSize(t *testing.T) {
	cfg := noDelay()
	cfg.MaxSize = 2
	h, ids := stableGroupCfg(t, cfg, 2)
	if r := h.joinResp(h.join(consumer(""))); !isErr(r.Err, ErrGroupMaxSizeReached) {
		t.Fatalf("third member of a Stable group: %+v", r)
	}
	h.state(Stable)
	// During a rebalance the members that rejoined count: a newcomer may
	// take the place of a member that has not rejoined yet, which is then
	// turned away.
	lead := h.join(consumer(ids[0]))
	third := h.join(consumer(""))
	h.parked(third)
	if r := h.joinResp(h.join(consumer(ids[1]))); !isErr(r.Err, ErrGroupMaxSizeReached) {
		t.Fatalf("last member to rejoin: %+v", r)
	}
	if r := h.joinResp(lead); r.Err != nil || len(r.Members) != 2 {
		t.Fatalf("leader: %+v", r)
	}
	if r := h.joinResp(third); r.Err != nil {
		t.Fatalf("newcomer: %+v", r)
	}
	if h.g.Size() != 2 {
		t.Fatalf("%d members", h.g.Size())
	}
}

func TestGroupEmptiesWhenAllLeaveDuringRebalance(t *testing.T) {
	h := newHarness(t, testConfig())
	a := h.join(consumer(""))
	b := h.join(consumer(""))
	h.state(PreparingRebalance)
	gen := h.g.Generation()
	for _, m := range h.g.Describe().Members {
		h.leave(LeaveMember{MemberID: m.MemberID})
	}
	for _, tok := range []Token{a, b} {
		if r := h.joinResp(tok); !isErr(r.Err, ErrUnknownMemberID) {
			t.Fatalf("parked join of a member that left: %+v", r)
		}
	}
	h.advance(6 * time.Second)
	h.state(Empty)
	if h.g.Generation() != gen+1 {
		t.Fatalf("generation %d, want %d", h.g.Generation(), gen+1)
	}
	if _, ok := h.log[len(h.log)-1].(StoreGroup); !ok {
		t.Fatalf("last action %T, want StoreGroup", h.log[len(h.log)-1])
	}
}
