package cluster

import (
	"cmp"
	"slices"
	"time"
)

// MemberState is one group member as the leader sees it in its JoinGroup
// response: the member id and the decoded worker metadata.
type MemberState struct {
	// ID is the member id the coordinator gave the worker.
	ID string
	// URL is the worker's advertised REST URL.
	URL string
	// ConfigOffset is how far the worker has read the config topic.
	ConfigOffset int64
	// Owned is the work the worker runs now, from its metadata's
	// allocation; empty under the eager protocol, whose workers stop
	// everything before they rejoin.
	Owned Work
}

// ConfigState is the leader's view of the config topic: the work to assign.
type ConfigState struct {
	// Offset is how far the leader has read the config topic.
	Offset int64
	// Tasks maps every connector to assign to its task count; the tasks
	// are numbered 0 to count-1.
	Tasks map[string]int
}

// Round is one rebalance as the group leader sees it: everything the
// Assignor needs to decide, and nothing it would have to fetch.
type Round struct {
	// Version is the layout version of the sub-protocol the coordinator
	// chose; VersionEager selects eager assignment, any later version
	// incremental cooperative assignment.
	Version int16
	// Generation is the generation being assigned.
	Generation int32
	// LastCompletedGeneration is the generation of the leader's last
	// successful SyncGroup (-1 if none). The Assignor trusts what it
	// remembers of the previous round only if it computed that very
	// generation: otherwise another leader, or a failed sync, may have
	// moved work since.
	LastCompletedGeneration int32
	// LeaderID is the leader's member id; it must be one of Members.
	LeaderID string
	// Members are all members of the generation.
	Members []MemberState
	// Config is the leader's config snapshot.
	Config ConfigState
	// Now is the current time, for the scheduled rebalance delay.
	Now time.Time
}

// Assignor decides who runs which connector and task, as Kafka Connect's
// leader does. It does no I/O and reads no clock: each call to Assign takes
// one rebalance and returns every member's assignment. Between calls it
// remembers what it assigned, so that it notices work whose worker has
// disappeared. An Assignor is not safe for concurrent use; the Member keeps
// one and calls it only while it is the leader.
//
// Under the eager protocol every round hands out all work afresh, round
// robin over the members sorted by id: first the connectors by name, then
// the tasks by connector and id.
//
// Under the incremental cooperative protocols:
//   - members keep what they run; work of deleted connectors, removed tasks
//     and work running on two members at once (all but the first member by
//     id) is revoked;
//   - new work, and work nobody runs any more, goes to the least-loaded
//     members, connectors and tasks balanced separately;
//   - when the load is uneven (for instance after a member joined), the
//     excess of overloaded members is revoked in this round; it is assigned
//     in the follow-up rebalance the revoking members start once they have
//     stopped it;
//   - work that disappeared with a member that left is held unassigned for
//     up to the scheduled rebalance delay: every member is told to rejoin
//     when it ends, and it is then spread over the members. If a worker
//     with the departed member's URL joins in the meantime (a restarted
//     worker has a new member id), the work goes straight back to it; a
//     member that rejoins with its old allocation simply keeps it. A delay
//     of 0 reassigns at once. While work is held, no load-balancing
//     revocations happen.
//
// Before anything else the leader's config offset is checked: if any member
// has read the config topic further than the leader, every member gets a
// ConfigMismatch assignment carrying the highest offset.
type Assignor struct {
	maxDelay time.Duration

	// What the previous round (generation prevGen) assigned, including
	// work held for departed members, who ran each unit (by URL), and who
	// the members were.
	prevGen     int32
	prev        workSet
	prevOwner   map[unit]string
	prevMembers []string
	// deadline is when held work is spread over the members; zero when
	// nothing is held.
	deadline time.Time
}

// NewAssignor returns an Assignor that holds a departed member's work for
// up to maxDelay (scheduled.rebalance.max.delay.ms; 0 reassigns at once).
func NewAssignor(maxDelay time.Duration) *Assignor {
	a := &Assignor{maxDelay: max(maxDelay, 0)}
	a.forget()
	return a
}

// forget drops what the Assignor remembers of earlier rounds.
func (a *Assignor) forget() {
	a.prevGen = -1
	a.prev = workSet{}
	a.prevOwner = map[unit]string{}
	a.prevMembers = nil
	a.deadline = time.Time{}
}

// Assign computes every member's assignment for round r, keyed by member
// id. Assignments carry r.Version; under the incremental protocols they hold
// each member's gains and revocations, not its whole load.
func (a *Assignor) Assign(r Round) map[string]Assignment {
	members := slices.Clone(r.Members)
	slices.SortFunc(members, func(x, y MemberState) int { return cmp.Compare(x.ID, y.ID) })
	base := Assignment{Version: r.Version, Leader: r.LeaderID, ConfigOffset: r.Config.Offset}
	maxOffset := r.Config.Offset
	for _, m := range members {
		if m.ID == r.LeaderID {
			base.LeaderURL = m.URL
		}
		maxOffset = max(maxOffset, m.ConfigOffset)
	}
	if a.prevGen < 0 || a.prevGen != r.LastCompletedGeneration {
		a.forget()
	}
	out := make(map[string]Assignment, len(members))
	if maxOffset > r.Config.Offset {
		// Nothing moves in this round, so what the Assignor remembers
		// stays true for the next one.
		base.Error, base.ConfigOffset = ConfigMismatch, maxOffset
		for _, m := range members {
			out[m.ID] = base
		}
		if len(a.prevMembers) > 0 {
			a.prevGen = r.Generation
		}
		return out
	}
	if len(members) == 0 {
		return out
	}
	configured := configuredWork(r.Config.Tasks)
	if r.Version == VersionEager {
		a.forget()
		for id, w := range roundRobin(members, configured) {
			asg := base
			asg.Assigned = w.work()
			out[id] = asg
		}
		return out
	}
	return a.incremental(r, members, configured, base)
}

// configuredWork returns every connector instance and task of tasks.
func configuredWork(tasks map[string]int) workSet {
	s := workSet{}
	for name, n := range tasks {
		s.add(unit{name, connectorTask})
		for i := range max(n, 0) {
			s.add(unit{name, i})
		}
	}
	return s
}

// roundRobin deals the connectors, then the tasks, to members in turn.
func roundRobin(members []MemberState, configured workSet) map[string]workSet {
	out := make(map[string]workSet, len(members))
	for _, m := range members {
		out[m.ID] = workSet{}
	}
	units := configured.sorted()
	i := 0
	for _, connectors := range []bool{true, false} {
		for _, u := range units {
			if (u.task == connectorTask) == connectors {
				out[members[i%len(members)].ID].add(u)
				i++
			}
		}
	}
	return out
}

func (a *Assignor) incremental(r Round, members []MemberState, configured workSet, base Assignment) map[string]Assignment {
	// What each member may keep, and what it must stop at once.
	owned := make(map[string]workSet, len(members))
	revoked := make(map[string]workSet, len(members))
	holder := map[unit]string{}
	for _, m := range members {
		own, rev := workSet{}, workSet{}
		for _, u := range setOf(m.Owned).sorted() {
			if _, dup := holder[u]; dup || !configured.has(u) {
				rev.add(u)
				continue
			}
			holder[u] = m.ID
			own.add(u)
		}
		owned[m.ID], revoked[m.ID] = own, rev
	}

	// Work assigned last round that nobody runs now was lost with a member;
	// work never assigned is new.
	lost, created := workSet{}, workSet{}
	for u := range configured {
		if _, running := holder[u]; running {
			continue
		}
		if a.prev.has(u) {
			lost.add(u)
		} else {
			created.add(u)
		}
	}

	next := make(map[string]workSet, len(members))
	byURL := map[string]string{}
	present := map[string]bool{}
	for _, m := range members {
		next[m.ID] = owned[m.ID].clone()
		present[m.ID] = true
		if _, ok := byURL[m.URL]; !ok && m.URL != "" {
			byURL[m.URL] = m.ID
		}
	}
	// A worker that restarted joins with a new member id and nothing, but
	// with its URL: give it its work back rather than wait.
	for u := range lost {
		if id, ok := byURL[a.prevOwner[u]]; ok && a.prevOwner[u] != "" {
			next[id].add(u)
			delete(lost, u)
		}
	}
	departed := false
	for _, id := range a.prevMembers {
		if !present[id] {
			departed = true
		}
	}

	var delay time.Duration
	switch {
	case len(lost) == 0:
		a.deadline = time.Time{}
	case a.maxDelay == 0, a.deadline.IsZero() && !departed:
		// Delays are off, or no member left and the work was lost because
		// a member missed an assignment: hand it out now.
		created.addAll(lost)
		lost = workSet{}
		a.deadline = time.Time{}
	case a.deadline.IsZero():
		a.deadline = r.Now.Add(a.maxDelay)
		delay = a.maxDelay
	case r.Now.Before(a.deadline):
		delay = a.deadline.Sub(r.Now)
	default:
		created.addAll(lost)
		lost = workSet{}
		a.deadline = time.Time{}
	}

	if delay == 0 {
		revokeExcess(members, next, revoked, configured)
	}
	spread(members, next, created)

	out := make(map[string]Assignment, len(members))
	prevOwner := make(map[unit]string, len(configured))
	a.prev = workSet{}
	for _, m := range members {
		asg := base
		gained := next[m.ID].clone()
		gained.removeAll(owned[m.ID])
		asg.Assigned = gained.work()
		asg.Revoked = revoked[m.ID].work()
		asg.Delay = delay
		out[m.ID] = asg
		for u := range next[m.ID] {
			a.prev.add(u)
			prevOwner[u] = m.URL
		}
	}
	for u := range lost {
		a.prev.add(u)
		if url, ok := a.prevOwner[u]; ok {
			prevOwner[u] = url
		}
	}
	a.prevOwner = prevOwner
	a.prevMembers = a.prevMembers[:0]
	for _, m := range members {
		a.prevMembers = append(a.prevMembers, m.ID)
	}
	a.prevGen = r.Generation
	return out
}

// revokeExcess moves, from next to revoked, what members run beyond their
// fair share, connectors and tasks counted separately. With total units of
// a kind over n members, rem = total mod n members may run one more than
// total/n; those are the most loaded ones, so that as little as possible
// moves.
func revokeExcess(members []MemberState, next, revoked map[string]workSet, configured workSet) {
	n := len(members)
	for _, connectors := range []bool{true, false} {
		total := configured.count(connectors)
		order := slices.Clone(members)
		slices.SortStableFunc(order, func(x, y MemberState) int {
			return cmp.Compare(next[y.ID].count(connectors), next[x.ID].count(connectors))
		})
		for i, m := range order {
			limit := total / n
			if i < total%n {
				limit++
			}
			var mine []unit
			for _, u := range next[m.ID].sorted() {
				if (u.task == connectorTask) == connectors {
					mine = append(mine, u)
				}
			}
			for _, u := range mine[min(limit, len(mine)):] {
				delete(next[m.ID], u)
				revoked[m.ID].add(u)
			}
		}
	}
}

// spread gives each unit of work to the member running the fewest units of
// its kind, first the connectors, then the tasks, each in order; ties go to
// the member with the least work in all, then to the lowest member id.
func spread(members []MemberState, next map[string]workSet, work workSet) {
	conns := make(map[string]int, len(members))
	tasks := make(map[string]int, len(members))
	for _, m := range members {
		conns[m.ID] = next[m.ID].connectors()
		tasks[m.ID] = next[m.ID].tasks()
	}
	units := work.sorted()
	slices.SortStableFunc(units, func(x, y unit) int {
		return cmp.Compare(min(x.task, 0), min(y.task, 0)) // connectors first
	})
	for _, u := range units {
		kind := tasks
		if u.task == connectorTask {
			kind = conns
		}
		best := members[0].ID
		for _, m := range members[1:] {
			id := m.ID
			if c := cmp.Compare(kind[id], kind[best]); c < 0 || c == 0 && conns[id]+tasks[id] < conns[best]+tasks[best] {
				best = id
			}
		}
		next[best].add(u)
		kind[best]++
	}
}
