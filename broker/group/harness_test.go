package group

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// t0 is the fake clock's start.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// testConfig is DefaultConfig with deterministic member ids.
func testConfig() Config {
	cfg := DefaultConfig()
	n := 0
	cfg.NewMemberID = func(prefix string) string {
		n++
		return fmt.Sprintf("%s-%d", prefix, n)
	}
	return cfg
}

// harness drives one Group with a fake clock, records what it decides and
// checks the group's invariants after every step.
type harness struct {
	t       *testing.T
	g       *Group
	now     time.Time
	nextTok Token
	// joins and syncs hold every reply, by token; a token answered twice
	// fails the test.
	joins map[Token]JoinResponse
	syncs map[Token]SyncResponse
	// log is every action in order.
	log []Action
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return &harness{
		t:     t,
		g:     New("g", cfg, t0),
		now:   t0,
		joins: map[Token]JoinResponse{},
		syncs: map[Token]SyncResponse{},
	}
}

// record files the actions of one call.
func (h *harness) record(acts []Action) {
	h.t.Helper()
	for _, a := range acts {
		switch a := a.(type) {
		case JoinReply:
			if _, dup := h.joins[a.Token]; dup {
				h.t.Fatalf("join %d answered twice", a.Token)
			}
			h.joins[a.Token] = a.Response
		case SyncReply:
			if _, dup := h.syncs[a.Token]; dup {
				h.t.Fatalf("sync %d answered twice", a.Token)
			}
			h.syncs[a.Token] = a.Response
		}
	}
	h.log = append(h.log, acts...)
	h.check()
}

// check verifies the group's internal invariants.
func (h *harness) check() {
	h.t.Helper()
	g := h.g
	awaiting := 0
	for _, m := range g.members {
		if g.byID[m.id] != m {
			h.t.Fatalf("member %s not indexed", m.id)
		}
		if m.awaitingJoin {
			awaiting++
		}
		if m.instanceID != "" && g.static[m.instanceID] != m.id {
			h.t.Fatalf("instance %s maps to %q, not %s", m.instanceID, g.static[m.instanceID], m.id)
		}
		if m.awaitingJoin && g.state != PreparingRebalance {
			h.t.Fatalf("member %s awaits join in %v", m.id, g.state)
		}
		if m.awaitingSync && g.state != CompletingRebalance {
			h.t.Fatalf("member %s awaits sync in %v", m.id, g.state)
		}
	}
	if len(g.byID) != len(g.members) {
		h.t.Fatalf("%d members indexed, %d listed", len(g.byID), len(g.members))
	}
	if awaiting != g.awaiting {
		h.t.Fatalf("awaiting count %d, members awaiting %d", g.awaiting, awaiting)
	}
	for inst, id := range g.static {
		if m := g.byID[id]; m == nil || m.instanceID != inst {
			h.t.Fatalf("static %s → %s is not a member", inst, id)
		}
	}
	if len(g.members) > 0 && g.byID[g.leader] == nil {
		h.t.Fatalf("leader %q is not a member", g.leader)
	}
	if len(g.members) == 0 && (g.state == Stable || g.state == CompletingRebalance) {
		h.t.Fatalf("%v without members", g.state)
	}
	if (g.state == Empty || g.state == Dead) && len(g.members) > 0 {
		h.t.Fatalf("%v with %d members", g.state, len(g.members))
	}
	if d := g.Deadline(); !d.IsZero() && d.Before(h.now) {
		h.t.Fatalf("deadline %v already passed at %v", d.Sub(t0), h.now.Sub(t0))
	}
}

// advance moves the clock, ticking at every deadline on the way.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	end := h.now.Add(d)
	for range 10000 {
		next := h.g.Deadline()
		if next.IsZero() || next.After(end) {
			h.now = end
			return
		}
		h.now = next
		h.record(h.g.Tick(h.now))
	}
	h.t.Fatal("deadlines do not advance")
}

func (h *harness) token() Token {
	h.nextTok++
	return h.nextTok
}

// join sends a JoinGroup and returns its token.
func (h *harness) join(req JoinRequest) Token {
	h.t.Helper()
	tok := h.token()
	h.record(h.g.Join(h.now, tok, req))
	return tok
}

// joinResp returns the answer to a join, failing if there is none yet.
func (h *harness) joinResp(tok Token) JoinResponse {
	h.t.Helper()
	r, ok := h.joins[tok]
	if !ok {
		h.t.Fatalf("join %d not answered (group %v)", tok, h.g.State())
	}
	return r
}

// parked fails if the join or sync with tok was answered.
func (h *harness) parked(tok Token) {
	h.t.Helper()
	if r, ok := h.joins[tok]; ok {
		h.t.Fatalf("join %d answered: %+v", tok, r)
	}
	if r, ok := h.syncs[tok]; ok {
		h.t.Fatalf("sync %d answered: %+v", tok, r)
	}
}

func (h *harness) sync(req SyncRequest) Token {
	h.t.Helper()
	tok := h.token()
	h.record(h.g.Sync(h.now, tok, req))
	return tok
}

func (h *harness) syncResp(tok Token) SyncResponse {
	h.t.Helper()
	r, ok := h.syncs[tok]
	if !ok {
		h.t.Fatalf("sync %d not answered (group %v)", tok, h.g.State())
	}
	return r
}

func (h *harness) heartbeat(id string, gen int32) error {
	h.t.Helper()
	err := h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: id, Generation: gen})
	h.check()
	return err
}

func (h *harness) leave(members ...LeaveMember) []error {
	h.t.Helper()
	errs, acts, err := h.g.Leave(h.now, members)
	if err != nil {
		h.t.Fatalf("leave: %v", err)
	}
	h.record(acts)
	return errs
}

func (h *harness) commit(req CommitRequest) []error {
	h.t.Helper()
	errs, acts := h.g.CommitOffsets(h.now, req)
	h.record(acts)
	return errs
}

// state fails unless the group is in s.
func (h *harness) state(s State) {
	h.t.Helper()
	if got := h.g.State(); got != s {
		h.t.Fatalf("state %v, want %v", got, s)
	}
}

// consumer is a JoinGroup of a dynamic consumer with range and roundrobin,
// 10 s session and 30 s rebalance timeouts.
func consumer(memberID string) JoinRequest {
	return JoinRequest{
		MemberID:         memberID,
		ClientID:         "client",
		ClientHost:       "/127.0.0.1",
		SessionTimeout:   10 * time.Second,
		RebalanceTimeout: 30 * time.Second,
		ProtocolType:     "consumer",
		Protocols:        []Protocol{{"range", []byte("r")}, {"roundrobin", []byte("rr")}},
	}
}

// static is consumer with a group.instance.id.
func static(memberID, instance string) JoinRequest {
	r := consumer(memberID)
	r.InstanceID = instance
	return r
}

// noDelay is testConfig without the initial rebalance delay.
func noDelay() Config {
	cfg := testConfig()
	cfg.InitialRebalanceDelay = 0
	return cfg
}

// stableGroup forms a Stable group of n dynamic consumers (no initial
// delay) and returns their member ids, leader first.
func stableGroup(t *testing.T, n int) (*harness, []string) {
	t.Helper()
	return stableGroupCfg(t, noDelay(), n)
}

// stableGroupCfg is stableGroup with a config.
func stableGroupCfg(t *testing.T, cfg Config, n int) (*harness, []string) {
	t.Helper()
	h := newHarness(t, cfg)
	first := h.join(consumer(""))
	leader := h.joinResp(first).MemberID
	h.sync(SyncRequest{MemberID: leader, Generation: 1, Assignments: []Assignment{{leader, []byte("a0")}}})
	ids := []string{leader}
	toks := []Token{}
	for i := 1; i < n; i++ {
		toks = append(toks, h.join(consumer("")))
	}
	// The new members started a rebalance; the old ones rejoin.
	var all []Token
	for _, id := range ids {
		all = append(all, h.join(consumer(id)))
	}
	all = append(all, toks...)
	ids = ids[:0]
	for _, tok := range all {
		r := h.joinResp(tok)
		if r.Err != nil {
			t.Fatalf("join: %v", r.Err)
		}
		ids = append(ids, r.MemberID)
	}
	gen := h.g.Generation()
	var assign []Assignment
	for i, id := range ids {
		assign = append(assign, Assignment{id, []byte(fmt.Sprint("a", i))})
	}
	var syncs []Token
	for _, id := range ids[1:] {
		syncs = append(syncs, h.sync(SyncRequest{MemberID: id, Generation: gen}))
	}
	syncs = append(syncs, h.sync(SyncRequest{MemberID: ids[0], Generation: gen, Assignments: assign}))
	for _, tok := range syncs {
		if r := h.syncResp(tok); r.Err != nil {
			t.Fatalf("sync: %v", r.Err)
		}
	}
	h.state(Stable)
	return h, ids
}

// isErr reports whether err is want (both may be nil).
func isErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}
