package cluster

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// group simulates a Connect group around one Assignor: each round the
// leader assigns, and every member applies its assignment as Member does
// (stop what is revoked, add what is assigned).
type group struct {
	t       *testing.T
	a       *Assignor
	version int16
	gen     int32
	done    int32 // LastCompletedGeneration
	now     time.Time
	members map[string]*simMember
	away    map[string]*simMember // members suspended by suspend
	config  map[string]int
	offset  int64
}

type simMember struct {
	url    string
	offset int64
	owned  workSet
}

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func newGroup(t *testing.T, version int16, maxDelay time.Duration, config map[string]int, ids ...string) *group {
	g := &group{t: t, a: NewAssignor(maxDelay), version: version, done: -1, now: t0,
		members: map[string]*simMember{}, away: map[string]*simMember{}, config: config}
	for _, id := range ids {
		g.join(id)
	}
	return g
}

// join adds a member whose URL is derived from its id.
func (g *group) join(id string) { g.joinAs(id, "http://"+id) }

func (g *group) joinAs(id, url string) {
	g.members[id] = &simMember{url: url, offset: g.offset, owned: workSet{}}
}

func (g *group) leave(id string) { delete(g.members, id) }

// suspend takes a member out of the group, keeping what it runs, as a
// worker cut off from the coordinator; resume brings it back.
func (g *group) suspend(id string) { g.away[id] = g.members[id]; delete(g.members, id) }
func (g *group) resume(id string)  { g.members[id] = g.away[id]; delete(g.away, id) }

// round runs one rebalance led by the member with the lowest id and applies
// the assignments.
func (g *group) round() map[string]Assignment {
	g.t.Helper()
	g.gen++
	r := Round{Version: g.version, Generation: g.gen, LastCompletedGeneration: g.done,
		Config: ConfigState{Offset: g.offset, Tasks: g.config}, Now: g.now}
	for _, id := range slices.Sorted(maps.Keys(g.members)) {
		m := g.members[id]
		if r.LeaderID == "" {
			r.LeaderID = id
		}
		r.Members = append(r.Members, MemberState{ID: id, URL: m.url, ConfigOffset: m.offset, Owned: m.owned.work()})
	}
	out := g.a.Assign(r)
	if len(out) != len(g.members) {
		g.t.Fatalf("round %d: %d assignments for %d members", g.gen, len(out), len(g.members))
	}
	for id, m := range g.members {
		a, ok := out[id]
		if !ok {
			g.t.Fatalf("round %d: no assignment for %s", g.gen, id)
		}
		if a.Version != g.version || a.LeaderURL != g.members[r.LeaderID].url || a.Leader != r.LeaderID {
			g.t.Fatalf("round %d: header %+v", g.gen, a)
		}
		if a.Error != NoError {
			continue
		}
		if g.version == VersionEager {
			m.owned = setOf(a.Assigned)
			continue
		}
		for u := range setOf(a.Revoked) {
			if !m.owned.has(u) {
				g.t.Fatalf("round %d: %s told to stop %v, which it does not run", g.gen, id, u)
			}
		}
		m.owned.removeAll(setOf(a.Revoked))
		for u := range setOf(a.Assigned) {
			if m.owned.has(u) {
				g.t.Fatalf("round %d: %s given %v, which it runs already", g.gen, id, u)
			}
		}
		m.owned.addAll(setOf(a.Assigned))
	}
	g.done = g.gen
	return out
}

// settle runs rounds until one moves nothing, and returns how many ran.
func (g *group) settle() int {
	g.t.Helper()
	for i := 1; i <= 5; i++ {
		moved := false
		for _, a := range g.round() {
			moved = moved || !a.Assigned.IsEmpty() || !a.Revoked.IsEmpty()
		}
		if !moved {
			return i
		}
	}
	g.t.Fatalf("no stable assignment after 5 rounds: %v", g.owned())
	return 0
}

// owned returns what every member runs.
func (g *group) owned() map[string]Work {
	out := map[string]Work{}
	for id, m := range g.members {
		out[id] = m.owned.work()
	}
	return out
}

// checkExact checks that every configured unit runs on exactly one member.
func (g *group) checkExact() {
	g.t.Helper()
	seen := map[unit]string{}
	for id, m := range g.members {
		for u := range m.owned {
			if other, dup := seen[u]; dup {
				g.t.Fatalf("%v runs on %s and %s", u, other, id)
			}
			seen[u] = id
		}
	}
	want := configuredWork(g.config)
	if len(seen) != len(want) {
		g.t.Fatalf("%d units run, %d configured: %v", len(seen), len(want), g.owned())
	}
	for u := range want {
		if _, ok := seen[u]; !ok {
			g.t.Fatalf("%v runs nowhere: %v", u, g.owned())
		}
	}
}

// checkBalanced checks that connector counts and task counts each differ
// by at most one between members.
func (g *group) checkBalanced() {
	g.t.Helper()
	for _, connectors := range []bool{true, false} {
		lo, hi := -1, -1
		for _, m := range g.members {
			n := m.owned.count(connectors)
			if lo < 0 || n < lo {
				lo = n
			}
			hi = max(hi, n)
		}
		if hi-lo > 1 {
			g.t.Fatalf("unbalanced (connectors=%v: %d..%d): %v", connectors, lo, hi, g.owned())
		}
	}
}

func w(connectors []string, tasks ...TaskID) Work { return Work{Connectors: connectors, Tasks: tasks} }
func c(names ...string) []string                  { return names }
func tk(connector string, task int) TaskID        { return TaskID{connector, task} }

func TestAssignEager(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]int
		members []string
		want    map[string]Work
	}{
		{"one member gets everything", map[string]int{"b": 1, "a": 2}, []string{"m1"},
			map[string]Work{"m1": w(c("a", "b"), tk("a", 0), tk("a", 1), tk("b", 0))}},
		{"round robin, connectors then tasks", map[string]int{"a": 2, "b": 1, "c": 0}, []string{"m2", "m1", "m3"},
			map[string]Work{
				"m1": w(c("a"), tk("a", 0)),
				"m2": w(c("b"), tk("a", 1)),
				"m3": w(c("c"), tk("b", 0)),
			}},
		{"more members than work", map[string]int{"a": 0}, []string{"m1", "m2"},
			map[string]Work{"m1": w(c("a")), "m2": {}}},
		{"nothing configured", map[string]int{}, []string{"m1"}, map[string]Work{"m1": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGroup(t, VersionEager, time.Minute, tt.config, tt.members...)
			for range 2 { // eager rounds ignore history
				g.round()
				if got := g.owned(); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func normWorks(m map[string]Work) map[string]Work {
	out := map[string]Work{}
	for id, w := range m {
		out[id] = normalize(w)
	}
	return out
}

// TestAssignIncremental runs scripted rebalances and checks the exact
// increments every member receives.
func TestAssignIncremental(t *testing.T) {
	type step struct {
		do       func(g *group)
		setup    bool            // do not check the increments
		assigned map[string]Work // gains per member; missing = none
		revoked  map[string]Work
		delay    time.Duration
		owned    map[string]Work // if set, everyone's load after the round
	}
	tests := []struct {
		name     string
		maxDelay time.Duration
		config   map[string]int
		members  []string
		steps    []step
	}{{
		name: "first round spreads new work", maxDelay: time.Minute,
		config: map[string]int{"a": 3, "b": 1}, members: []string{"m1", "m2"},
		steps: []step{{
			assigned: map[string]Work{"m1": w(c("a"), tk("a", 0), tk("a", 2)), "m2": w(c("b"), tk("a", 1), tk("b", 0))},
		}, {
			// Nothing changed: nothing moves.
		}},
	}, {
		name: "sticky: new work goes to the least loaded member", maxDelay: time.Minute,
		config: map[string]int{"a": 2}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			do:       func(g *group) { g.config["b"] = 1 },
			assigned: map[string]Work{"m2": w(c("b")), "m1": w(nil, tk("b", 0))},
			owned:    map[string]Work{"m1": w(c("a"), tk("a", 1), tk("b", 0)), "m2": w(c("b"), tk("a", 0))},
		}},
	}, {
		name: "deleted connector and removed tasks are revoked", maxDelay: time.Minute,
		config: map[string]int{"a": 2, "b": 2}, members: []string{"m1", "m2"},
		steps: []step{{
			setup: true,
			owned: map[string]Work{"m1": w(c("a"), tk("a", 0), tk("b", 0)), "m2": w(c("b"), tk("a", 1), tk("b", 1))},
		}, {
			do:      func(g *group) { delete(g.config, "b"); g.config["a"] = 1 },
			revoked: map[string]Work{"m1": w(nil, tk("b", 0)), "m2": w(c("b"), tk("a", 1), tk("b", 1))},
			owned:   map[string]Work{"m1": w(c("a"), tk("a", 0)), "m2": {}},
		}},
	}, {
		name: "work running twice is revoked from all but one", maxDelay: time.Minute,
		config: map[string]int{"a": 1}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			do:      func(g *group) { g.members["m2"].owned.add(unit{"a", connectorTask}) },
			revoked: map[string]Work{"m2": w(c("a"))},
			owned:   map[string]Work{"m1": w(c("a")), "m2": w(nil, tk("a", 0))},
		}},
	}, {
		name: "a joining member gets its share in a follow-up round", maxDelay: time.Minute,
		config: map[string]int{"a": 2, "b": 2, "c": 2}, members: []string{"m1"},
		steps: []step{{setup: true}, {
			do:      func(g *group) { g.join("m2") },
			revoked: map[string]Work{"m1": w(c("c"), tk("b", 1), tk("c", 0), tk("c", 1))},
		}, {
			assigned: map[string]Work{"m2": w(c("c"), tk("b", 1), tk("c", 0), tk("c", 1))},
			owned: map[string]Work{
				"m1": w(c("a", "b"), tk("a", 0), tk("a", 1), tk("b", 0)),
				"m2": w(c("c"), tk("b", 1), tk("c", 0), tk("c", 1)),
			},
		}},
	}, {
		name: "a departed member's work waits for the delay, then spreads", maxDelay: 10 * time.Second,
		config: map[string]int{"a": 1, "b": 1, "c": 1}, members: []string{"m1", "m2", "m3"},
		steps: []step{{
			setup: true,
			owned: map[string]Work{"m1": w(c("a"), tk("a", 0)), "m2": w(c("b"), tk("b", 0)), "m3": w(c("c"), tk("c", 0))},
		}, {
			do:    func(g *group) { g.leave("m3"); g.now = g.now.Add(time.Second) },
			delay: 10 * time.Second,
		}, {
			do:    func(g *group) { g.now = g.now.Add(4 * time.Second) },
			delay: 6 * time.Second,
		}, {
			do:       func(g *group) { g.now = g.now.Add(6 * time.Second) },
			assigned: map[string]Work{"m1": w(c("c")), "m2": w(nil, tk("c", 0))},
		}, {
			// Settled: no delay any more, nothing moves.
		}},
	}, {
		name: "a member back in time with its allocation keeps its work", maxDelay: 10 * time.Second,
		config: map[string]int{"a": 1, "b": 1}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			do:    func(g *group) { g.suspend("m2") },
			delay: 10 * time.Second,
		}, {
			do:    func(g *group) { g.now = g.now.Add(3 * time.Second); g.resume("m2") },
			owned: map[string]Work{"m1": w(c("a"), tk("a", 0)), "m2": w(c("b"), tk("b", 0))},
		}, {
			// Nothing is held any more: no rejoin is scheduled.
		}},
	}, {
		name: "a restarted worker (new id, same URL) gets its work back at once", maxDelay: 10 * time.Second,
		config: map[string]int{"a": 1, "b": 1}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			do:    func(g *group) { g.leave("m2") },
			delay: 10 * time.Second,
		}, {
			do:       func(g *group) { g.now = g.now.Add(2 * time.Second); g.joinAs("m9", "http://m2") },
			assigned: map[string]Work{"m9": w(c("b"), tk("b", 0))},
		}, {}},
	}, {
		name: "delay 0 reassigns a departed member's work at once", maxDelay: 0,
		config: map[string]int{"a": 1, "b": 1}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			do:       func(g *group) { g.leave("m2") },
			assigned: map[string]Work{"m1": w(c("b"), tk("b", 0))},
		}},
	}, {
		name: "work lost without a departure is reassigned at once", maxDelay: time.Minute,
		config: map[string]int{"a": 1}, members: []string{"m1", "m2"},
		steps: []step{{setup: true}, {
			// m1 missed its assignment and runs nothing.
			do:       func(g *group) { g.members["m1"].owned = workSet{} },
			assigned: map[string]Work{"m1": w(c("a"))},
		}},
	}, {
		name: "no load balancing while work is held", maxDelay: 10 * time.Second,
		config: map[string]int{"a": 6}, members: []string{"m1", "m2"},
		steps: []step{{
			setup: true,
			owned: map[string]Work{"m1": w(c("a"), tk("a", 1), tk("a", 3), tk("a", 5)), "m2": w(nil, tk("a", 0), tk("a", 2), tk("a", 4))},
		}, {
			// m1 runs more than 6 tasks over 4 members allow, but
			// nothing is revoked while m2's tasks are held.
			do:    func(g *group) { g.leave("m2"); g.join("m3"); g.join("m4"); g.join("m5") },
			delay: 10 * time.Second,
		}, {
			do:       func(g *group) { g.now = g.now.Add(10 * time.Second) },
			assigned: map[string]Work{"m3": w(nil, tk("a", 0)), "m4": w(nil, tk("a", 2)), "m5": w(nil, tk("a", 4))},
			revoked:  map[string]Work{"m1": w(nil, tk("a", 5))},
		}, {
			assigned: map[string]Work{"m3": w(nil, tk("a", 5))},
		}, {}},
	}, {
		name: "a config mismatch moves nothing and keeps the delay running", maxDelay: 10 * time.Second,
		config: map[string]int{"a": 1, "b": 1}, members: []string{"m1", "m2", "m3"},
		steps: []step{{setup: true}, {
			do:    func(g *group) { g.leave("m3") },
			delay: 10 * time.Second,
		}, {
			do: func(g *group) { g.members["m2"].offset = 5 },
		}, {
			do:    func(g *group) { g.offset = 5; g.now = g.now.Add(time.Second) },
			delay: 9 * time.Second,
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGroup(t, VersionCompatible, tt.maxDelay, tt.config, tt.members...)
			for i, st := range tt.steps {
				if st.do != nil {
					st.do(g)
				}
				for id, a := range g.round() {
					if st.setup {
						continue
					}
					if want := normalize(st.assigned[id]); !reflect.DeepEqual(a.Assigned, want) {
						t.Errorf("step %d: %s assigned %v, want %v", i, id, a.Assigned, want)
					}
					if want := normalize(st.revoked[id]); !reflect.DeepEqual(a.Revoked, want) {
						t.Errorf("step %d: %s revoked %v, want %v", i, id, a.Revoked, want)
					}
					if a.Delay != st.delay {
						t.Errorf("step %d: %s delay %s, want %s", i, id, a.Delay, st.delay)
					}
				}
				if st.owned != nil {
					if got := g.owned(); !reflect.DeepEqual(got, normWorks(st.owned)) {
						t.Errorf("step %d: running %v, want %v", i, got, st.owned)
					}
				}
				if t.Failed() {
					t.FailNow()
				}
			}
		})
	}
}

// TestAssignConfigMismatch checks the leader's config offset check.
func TestAssignConfigMismatch(t *testing.T) {
	g := newGroup(t, VersionSessioned, time.Minute, map[string]int{"a": 1}, "m1", "m2")
	g.offset = 3
	g.members["m1"].offset = 3
	g.members["m2"].offset = 7
	for id, a := range g.round() {
		want := Assignment{Version: VersionSessioned, Error: ConfigMismatch, Leader: "m1", LeaderURL: "http://m1", ConfigOffset: 7}
		if !reflect.DeepEqual(a, want) {
			t.Errorf("%s: %+v, want %+v", id, a, want)
		}
	}
	g.offset = 7
	for _, a := range g.round() {
		if a.Error != NoError || a.ConfigOffset != 7 {
			t.Errorf("after catching up: %+v", a)
		}
	}
	g.checkExact()
}

// TestAssignForgetsStaleState checks that the Assignor ignores what it
// remembers when it did not compute the last completed generation: work
// nobody runs is then new work, not work to hold for a departed member.
func TestAssignForgetsStaleState(t *testing.T) {
	g := newGroup(t, VersionCompatible, time.Minute, map[string]int{"a": 1, "b": 1}, "m1", "m2")
	g.round()
	g.leave("m2")
	g.done = 42 // another leader assigned generation 42
	for id, a := range g.round() {
		if a.Delay != 0 || a.Assigned.Len() != 2 {
			t.Fatalf("%s: %+v, want b and b-0 at once", id, a)
		}
	}
	g.checkExact()
}

// TestAssignConverges drives random joins, departures and config changes
// and checks that every time the group settles within three rounds, with
// every unit running exactly once and the load balanced.
func TestAssignConverges(t *testing.T) {
	for seed := range uint64(50) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			g := newGroup(t, VersionCompatible, 0, map[string]int{}, "m0")
			next := 1
			for range 20 {
				switch rng.IntN(4) {
				case 0:
					g.join(fmt.Sprintf("m%d", next))
					next++
				case 1:
					if len(g.members) > 1 {
						ids := slices.Sorted(maps.Keys(g.members))
						g.leave(ids[rng.IntN(len(ids))])
					}
				case 2:
					g.config[fmt.Sprintf("c%d", rng.IntN(8))] = rng.IntN(6)
				case 3:
					for name := range g.config {
						delete(g.config, name)
						break
					}
				}
				if n := g.settle(); n > 3 {
					t.Fatalf("settled after %d rounds", n)
				}
				g.checkExact()
				g.checkBalanced()
			}
		})
	}
}

// TestAssignEagerToIncremental checks that a group switching protocols
// (the last eager-only worker left) continues from what members run.
func TestAssignEagerToIncremental(t *testing.T) {
	g := newGroup(t, VersionEager, time.Minute, map[string]int{"a": 2, "b": 2}, "m1", "m2")
	g.round()
	before := g.owned()
	g.version = VersionCompatible
	for id, a := range g.round() {
		if !a.Assigned.IsEmpty() || !a.Revoked.IsEmpty() {
			t.Fatalf("%s: %+v; running work should stay", id, a)
		}
	}
	if !reflect.DeepEqual(g.owned(), before) {
		t.Fatalf("running %v, want %v", g.owned(), before)
	}
}
