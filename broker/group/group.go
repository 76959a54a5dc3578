package group

import (
	"bytes"
	"slices"
	"time"
)

// State is a group's place in the classic rebalance protocol.
type State int8

// The states of a group. Their String forms are the ones Kafka reports in
// DescribeGroups and ListGroups.
const (
	// Empty: no members (offsets may still be committed with generation -1).
	Empty State = iota
	// PreparingRebalance: waiting for the members to (re)join.
	PreparingRebalance
	// CompletingRebalance: the join phase is over; waiting for the leader's
	// assignment in SyncGroup.
	CompletingRebalance
	// Stable: every member has its assignment for the current generation.
	Stable
	// Dead: the group was deleted; a final state.
	Dead
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

// String returns Kafka's name for the state.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// member is one member of a group.
type member struct {
	id, instanceID, clientID, clientHost string
	rebalanceTimeout, sessionTimeout     time.Duration
	protocolType                         string
	protocols                            []Protocol
	assignment                           []byte

	awaitingJoin bool
	joinToken    Token
	awaitingSync bool
	syncToken    Token

	// isNew is set until the member's first join completes; such a member
	// expires at deadline even while its join is parked.
	isNew bool
	// deadline is when the member expires without a heartbeat.
	deadline time.Time
}

// expires reports whether the member's deadline counts: members parked in a
// JoinGroup or SyncGroup cannot heartbeat, so the rebalance and sync
// timeouts bound them instead (a new member excepted).
func (m *member) expires() bool { return m.isNew || !m.awaitingJoin && !m.awaitingSync }

// metadata returns the member's metadata for protocol.
func (m *member) metadata(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// matches reports whether protocols are exactly the member's current ones.
func (m *member) matches(protocols []Protocol) bool {
	return slices.EqualFunc(m.protocols, protocols, func(a, b Protocol) bool {
		return a.Name == b.Name && bytes.Equal(a.Metadata, b.Metadata)
	})
}

// Group is one consumer group's coordinator state machine. It does no I/O
// and starts no goroutines: every method takes the current time, changes
// the state and returns what the caller must do. A Group is not safe for
// concurrent use; the caller serialises calls (one lock per group or for
// all groups). Byte slices passed in are kept: the caller must not modify
// them afterwards.
type Group struct {
	id        string
	cfg       Config
	state     State
	stateTime time.Time

	protocolType string
	protocol     string
	generation   int32
	leader       string

	members  []*member          // in join order
	byID     map[string]*member //
	static   map[string]string  // group.instance.id → member id
	pending  map[string]time.Time
	awaiting int // members with awaitingJoin set

	// Join phase (PreparingRebalance).
	joinDeadline   time.Time
	initialDelay   bool          // the first rebalance of an Empty group is being delayed
	delayBudget    time.Duration // how much longer the initial delay may be extended
	newMemberAdded bool          // a member joined during the current delay

	// Sync phase: members that have not sent SyncGroup since the join
	// completed, dropped at syncDeadline.
	pendingSync  map[string]bool
	syncDeadline time.Time

	offsets map[TopicPartition]Offset
}

// New returns an Empty group with no history.
func New(id string, cfg Config, now time.Time) *Group {
	return &Group{
		id:        id,
		cfg:       cfg.withDefaults(),
		state:     Empty,
		stateTime: now,
		byID:      map[string]*member{},
		static:    map[string]string{},
		pending:   map[string]time.Time{},
		offsets:   map[TopicPartition]Offset{},
	}
}

// Restore rebuilds a group from its persisted metadata (nil if none was
// stored) and committed offsets. Members are not restored: the group comes
// back Empty at its last generation, and clients rejoin.
func Restore(id string, cfg Config, now time.Time, meta *Metadata, offsets []OffsetCommit) *Group {
	g := New(id, cfg, now)
	if meta != nil {
		g.protocolType = meta.ProtocolType
		g.generation = meta.Generation
		if len(meta.Members) == 0 && !meta.StateTimestamp.IsZero() {
			g.stateTime = meta.StateTimestamp
		}
	}
	for _, o := range offsets {
		g.offsets[o.TopicPartition] = o.Offset
	}
	return g
}

// ID returns the group id.
func (g *Group) ID() string { return g.id }

// State returns the group's state.
func (g *Group) State() State { return g.state }

// ProtocolType returns the group's protocol type ("" if no member ever joined).
func (g *Group) ProtocolType() string { return g.protocolType }

// Generation returns the current generation.
func (g *Group) Generation() int32 { return g.generation }

// Size returns the number of members.
func (g *Group) Size() int { return len(g.members) }

// Unused reports whether the group holds nothing worth keeping — Empty,
// never rebalanced, no offsets, no member expected back — so the caller may
// drop it: a new Group behaves the same.
func (g *Group) Unused() bool {
	return g.state == Empty && g.generation == 0 && g.protocolType == "" && len(g.offsets) == 0 && len(g.pending) == 0
}

// Describe returns the group as DescribeGroups shows it.
func (g *Group) Describe() Description {
	d := Description{State: g.state, ProtocolType: g.protocolType}
	stable := g.state == Stable
	if stable {
		d.Protocol = g.protocol
	}
	for _, m := range g.members {
		md := MemberDescription{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost}
		if stable {
			md.Metadata, md.Assignment = m.metadata(g.protocol), m.assignment
		}
		d.Members = append(d.Members, md)
	}
	return d
}

// Deadline returns when Tick must next be called, or the zero time if no
// timeout is pending.
func (g *Group) Deadline() time.Time {
	var d time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if g.state == PreparingRebalance {
		consider(g.joinDeadline)
	}
	if len(g.pendingSync) > 0 {
		consider(g.syncDeadline)
	}
	for _, t := range g.pending {
		consider(t)
	}
	for _, m := range g.members {
		if m.expires() {
			consider(m.deadline)
		}
	}
	return d
}

// Tick fires every timeout due at now: members without heartbeats and
// pending members are removed, the sync phase drops members that never
// sent SyncGroup, and the join phase ends (or the initial delay extends).
func (g *Group) Tick(now time.Time) []Action {
	var acts []Action
	for id, t := range g.pending {
		if !now.Before(t) {
			delete(g.pending, id)
		}
	}
	for _, m := range slices.Clone(g.members) {
		if g.byID[m.id] == m && m.expires() && !now.Before(m.deadline) {
			g.removeMember(now, m, &acts)
		}
	}
	if len(g.pendingSync) > 0 && !now.Before(g.syncDeadline) &&
		(g.state == CompletingRebalance || g.state == Stable) {
		for _, m := range slices.Clone(g.members) {
			if g.pendingSync[m.id] {
				g.remove(m, &acts)
			}
		}
		g.prepareRebalance(now, &acts)
	}
	if g.state == PreparingRebalance && !now.Before(g.joinDeadline) {
		g.joinDeadlinePassed(now, &acts)
	}
	g.maybeCompleteJoin(now, &acts)
	return acts
}

// transition moves the group to state s.
func (g *Group) transition(now time.Time, s State) {
	g.state = s
	g.stateTime = now
}

// rebalanceTimeout is the longest rebalance timeout of any member.
func (g *Group) rebalanceTimeout() time.Duration {
	var t time.Duration
	for _, m := range g.members {
		t = max(t, m.rebalanceTimeout)
	}
	return t
}

// validateMember checks that memberID is a member and, for a static member,
// that instanceID still maps to it.
func (g *Group) validateMember(memberID, instanceID string) error {
	if instanceID != "" {
		current, ok := g.static[instanceID]
		switch {
		case !ok:
			return ErrUnknownMemberID
		case current != memberID:
			return ErrFencedInstanceID
		}
	}
	if _, ok := g.byID[memberID]; !ok {
		return ErrUnknownMemberID
	}
	return nil
}

// add makes m a member.
func (g *Group) add(m *member) {
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	if g.leader == "" {
		g.leader = m.id
	}
	g.members = append(g.members, m)
	g.byID[m.id] = m
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	if m.awaitingJoin {
		g.awaiting++
	}
	delete(g.pending, m.id)
}

// remove drops m from the group, answering any request it has parked with
// ErrUnknownMemberID, and elects another leader if m led.
func (g *Group) remove(m *member, acts *[]Action) {
	if m.awaitingJoin {
		g.replyJoin(m, JoinResponse{Err: ErrUnknownMemberID, Generation: -1}, acts)
	}
	if m.awaitingSync {
		g.replySync(m, SyncResponse{Err: ErrUnknownMemberID}, acts)
	}
	g.members = slices.DeleteFunc(g.members, func(x *member) bool { return x == m })
	delete(g.byID, m.id)
	if m.instanceID != "" && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
	delete(g.pendingSync, m.id)
	if g.leader == m.id {
		g.leader = ""
		if len(g.members) > 0 {
			g.leader = g.members[0].id
		}
	}
}

// removeMember removes m and moves the group on: a rebalance from Stable or
// CompletingRebalance, a possible end of the join phase otherwise.
func (g *Group) removeMember(now time.Time, m *member, acts *[]Action) {
	g.remove(m, acts)
	switch g.state {
	case Stable, CompletingRebalance:
		g.prepareRebalance(now, acts)
	case PreparingRebalance:
		g.maybeCompleteJoin(now, acts)
	}
}

// replyJoin answers m's parked JoinGroup.
func (g *Group) replyJoin(m *member, resp JoinResponse, acts *[]Action) {
	if !m.awaitingJoin {
		return
	}
	m.awaitingJoin = false
	g.awaiting--
	*acts = append(*acts, JoinReply{Token: m.joinToken, Response: resp})
}

// replySync answers m's parked SyncGroup.
func (g *Group) replySync(m *member, resp SyncResponse, acts *[]Action) {
	if !m.awaitingSync {
		return
	}
	m.awaitingSync = false
	*acts = append(*acts, SyncReply{Token: m.syncToken, Response: resp})
}

// metadata returns the group's persistent state.
func (g *Group) metadata() Metadata {
	md := Metadata{
		ProtocolType:   g.protocolType,
		Generation:     g.generation,
		Protocol:       g.protocol,
		Leader:         g.leader,
		StateTimestamp: g.stateTime,
	}
	for _, m := range g.members {
		md.Members = append(md.Members, MemberMetadata{
			MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost,
			RebalanceTimeout: m.rebalanceTimeout, SessionTimeout: m.sessionTimeout,
			Subscription: m.metadata(g.protocol), Assignment: m.assignment,
		})
	}
	return md
}
