package group

import (
	"slices"
	"time"
)

// Join handles a JoinGroup request. The answer comes as a JoinReply for tok,
// in the returned actions or — when the request must wait for the
// rebalance — in those of a later call.
func (g *Group) Join(now time.Time, tok Token, req JoinRequest) []Action {
	var acts []Action
	fail := func(memberID string, err error) {
		acts = append(acts, JoinReply{Token: tok, Response: JoinResponse{Err: err, MemberID: memberID, Generation: -1}})
	}
	switch {
	case req.SessionTimeout < g.cfg.MinSessionTimeout || req.SessionTimeout > g.cfg.MaxSessionTimeout:
		fail(req.MemberID, ErrInvalidSessionTimeout)
	case !g.acceptJoiningMember(req.MemberID):
		if m := g.byID[req.MemberID]; m != nil {
			g.remove(m, &acts)
		}
		fail("", ErrGroupMaxSizeReached)
	case g.state == Dead:
		fail(req.MemberID, ErrCoordinatorNotAvailable)
	case !g.supportsProtocols(req.ProtocolType, req.Protocols):
		fail(req.MemberID, ErrInconsistentGroupProtocol)
	case req.MemberID == "":
		g.joinNewMember(now, tok, req, &acts, fail)
	default:
		g.joinKnownMember(now, tok, req, &acts, fail)
	}
	g.maybeCompleteJoin(now, &acts)
	return acts
}

// acceptJoiningMember applies Config.MaxSize. During a rebalance the members
// already rejoined count, so the last to rejoin of an oversized group are
// the ones turned away.
func (g *Group) acceptJoiningMember(memberID string) bool {
	if g.cfg.MaxSize <= 0 {
		return true
	}
	m := g.byID[memberID]
	switch g.state {
	case PreparingRebalance:
		return m != nil && m.awaitingJoin || g.awaiting < g.cfg.MaxSize
	case CompletingRebalance, Stable:
		return m != nil || len(g.members) < g.cfg.MaxSize
	}
	return true
}

// supportsProtocols reports whether a member with this protocol type and
// protocols may join: an Empty group takes any non-empty offer; otherwise
// the type must match and one protocol must be supported by every member.
func (g *Group) supportsProtocols(protocolType string, protocols []Protocol) bool {
	if g.state == Empty && len(g.members) == 0 {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportedByAll(p.Name) {
			return true
		}
	}
	return false
}

// supportedByAll reports whether every member offers protocol name.
func (g *Group) supportedByAll(name string) bool {
	for _, m := range g.members {
		if !slices.ContainsFunc(m.protocols, func(p Protocol) bool { return p.Name == name }) {
			return false
		}
	}
	return true
}

// selectProtocol picks the protocol for the next generation: among those
// every member supports, each member votes for the first in its preference
// order, and the most votes win (ties: the earliest in the preference of the
// longest-standing member).
func (g *Group) selectProtocol() string {
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			if g.supportedByAll(p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best, bestVotes := "", 0
	for _, p := range g.members[0].protocols {
		if v := votes[p.Name]; v > bestVotes {
			best, bestVotes = p.Name, v
		}
	}
	return best
}

// joinNewMember handles a JoinGroup without a member id.
func (g *Group) joinNewMember(now time.Time, tok Token, req JoinRequest, acts *[]Action, fail func(string, error)) {
	prefix := req.ClientID
	if req.InstanceID != "" {
		prefix = req.InstanceID
	}
	id := g.cfg.NewMemberID(prefix)
	for g.byID[id] != nil || !g.pending[id].IsZero() {
		id = g.cfg.NewMemberID(prefix)
	}
	switch {
	case req.InstanceID != "":
		if old, ok := g.static[req.InstanceID]; ok {
			g.replaceStaticMember(now, tok, old, id, req, acts)
			return
		}
		g.addMember(now, tok, id, req, acts)
	case req.RequireKnownMemberID:
		// The member must come back with this id; until then it counts as
		// pending, so a rebalance waits for it (for a session timeout).
		g.pending[id] = now.Add(req.SessionTimeout)
		fail(id, ErrMemberIDRequired)
	default:
		g.addMember(now, tok, id, req, acts)
	}
}

// joinKnownMember handles a JoinGroup from a member that has an id.
func (g *Group) joinKnownMember(now time.Time, tok Token, req JoinRequest, acts *[]Action, fail func(string, error)) {
	if _, ok := g.pending[req.MemberID]; ok {
		if req.InstanceID != "" {
			// Pending ids are handed to dynamic members only.
			fail(req.MemberID, ErrUnknownMemberID)
			return
		}
		g.addMember(now, tok, req.MemberID, req, acts)
		return
	}
	if err := g.validateMember(req.MemberID, req.InstanceID); err != nil {
		fail(req.MemberID, err)
		return
	}
	m := g.byID[req.MemberID]
	switch g.state {
	case PreparingRebalance:
		g.updateMember(m, tok, req, acts)
	case CompletingRebalance:
		if m.matches(req.Protocols) {
			// A retry of a join whose answer was lost: answer it again.
			*acts = append(*acts, JoinReply{Token: tok, Response: g.joinResponse(m, m.id == g.leader)})
			return
		}
		g.updateMember(m, tok, req, acts)
		g.prepareRebalance(now, acts)
	case Stable:
		if m.id != g.leader && m.matches(req.Protocols) {
			// A follower without changes gets the current generation and
			// goes on to SyncGroup; a leader's join always rebalances, so
			// it can react to changes the metadata does not show.
			*acts = append(*acts, JoinReply{Token: tok, Response: g.joinResponse(m, false)})
			return
		}
		g.updateMember(m, tok, req, acts)
		g.prepareRebalance(now, acts)
	default:
		fail(req.MemberID, ErrUnknownMemberID)
	}
}

// joinResponse is the successful JoinGroup answer for m in the current
// generation; the leader also gets every member's metadata.
func (g *Group) joinResponse(m *member, withMembers bool) JoinResponse {
	resp := JoinResponse{
		MemberID:     m.id,
		Generation:   g.generation,
		ProtocolType: g.protocolType,
		Protocol:     g.protocol,
		Leader:       g.leader,
	}
	if withMembers {
		resp.Members = make([]JoinMember, 0, len(g.members))
		for _, o := range g.members {
			resp.Members = append(resp.Members, JoinMember{MemberID: o.id, InstanceID: o.instanceID, Metadata: o.metadata(g.protocol)})
		}
	}
	return resp
}

// addMember adds a new member whose JoinGroup waits for the rebalance it
// starts (or joins).
func (g *Group) addMember(now time.Time, tok Token, id string, req JoinRequest, acts *[]Action) {
	m := &member{
		id:               id,
		instanceID:       req.InstanceID,
		clientID:         req.ClientID,
		clientHost:       req.ClientHost,
		rebalanceTimeout: req.RebalanceTimeout,
		sessionTimeout:   req.SessionTimeout,
		protocolType:     req.ProtocolType,
		protocols:        req.Protocols,
		awaitingJoin:     true,
		joinToken:        tok,
		isNew:            true,
		// A new member cannot heartbeat before its join is answered; it
		// expires if the rebalance keeps it waiting this long.
		deadline: now.Add(g.cfg.NewMemberJoinTimeout),
	}
	if g.state == PreparingRebalance {
		g.newMemberAdded = true
	}
	g.add(m)
	if g.state != PreparingRebalance {
		g.prepareRebalance(now, acts)
	}
}

// updateMember records a known member's new join: its protocols, timeouts
// and the request to answer when the rebalance completes. A join it had
// parked before is answered with ErrRebalanceInProgress, so that no request
// is left without an answer.
func (g *Group) updateMember(m *member, tok Token, req JoinRequest, acts *[]Action) {
	m.protocols = req.Protocols
	m.rebalanceTimeout = req.RebalanceTimeout
	m.sessionTimeout = req.SessionTimeout
	if m.awaitingJoin {
		g.replyJoin(m, JoinResponse{Err: ErrRebalanceInProgress, MemberID: m.id, Generation: -1}, acts)
	}
	m.awaitingJoin = true
	m.joinToken = tok
	g.awaiting++
}

// replaceStaticMember handles a static member that joins without a member
// id while its instance id is known: the instance gets the new member id,
// and requests parked under the old one are fenced. A Stable group whose
// rejoining instance offers exactly the protocols it had keeps its
// generation and assignment (no rebalance); otherwise the group rebalances.
func (g *Group) replaceStaticMember(now time.Time, tok Token, oldID, newID string, req JoinRequest, acts *[]Action) {
	m := g.byID[oldID]
	oldLeader := g.leader
	if m.awaitingJoin {
		g.replyJoin(m, JoinResponse{Err: ErrFencedInstanceID, MemberID: oldID, Generation: -1}, acts)
	}
	if m.awaitingSync {
		g.replySync(m, SyncResponse{Err: ErrFencedInstanceID}, acts)
	}
	delete(g.byID, oldID)
	m.id = newID
	g.byID[newID] = m
	g.static[req.InstanceID] = newID
	if g.leader == oldID {
		g.leader = newID
	}
	if g.pendingSync[oldID] {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = true
	}
	m.deadline = now.Add(req.SessionTimeout)
	unchanged := m.matches(req.Protocols)
	m.clientID, m.clientHost = req.ClientID, req.ClientHost

	switch g.state {
	case Stable:
		if unchanged {
			m.rebalanceTimeout, m.sessionTimeout = req.RebalanceTimeout, req.SessionTimeout
			// Persist the new member id before answering. The answer names
			// the old leader id, so that a rejoining leader does not run
			// an assignment that a Stable group would ignore.
			*acts = append(*acts, StoreGroup{Metadata: g.metadata()})
			resp := g.joinResponse(m, false)
			resp.Leader = oldLeader
			*acts = append(*acts, JoinReply{Token: tok, Response: resp})
			return
		}
		g.updateMember(m, tok, req, acts)
		g.prepareRebalance(now, acts)
	case CompletingRebalance:
		// The leader may already be assigning to the old member id.
		g.updateMember(m, tok, req, acts)
		g.prepareRebalance(now, acts)
	default:
		g.updateMember(m, tok, req, acts)
	}
}

// prepareRebalance starts a join phase: members in SyncGroup are told to
// rejoin, and the phase lasts until every member has rejoined or the
// rebalance timeout passes — after an initial delay if the group was Empty.
func (g *Group) prepareRebalance(now time.Time, acts *[]Action) {
	if g.state == CompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			if m.awaitingSync {
				g.replySync(m, SyncResponse{Err: ErrRebalanceInProgress}, acts)
				m.deadline = now.Add(m.sessionTimeout)
			}
		}
	}
	g.pendingSync, g.syncDeadline = nil, time.Time{}
	timeout := g.rebalanceTimeout()
	g.initialDelay = g.state == Empty && g.cfg.InitialRebalanceDelay > 0
	if g.initialDelay {
		g.newMemberAdded = false
		g.delayBudget = max(timeout-g.cfg.InitialRebalanceDelay, 0)
		g.joinDeadline = now.Add(g.cfg.InitialRebalanceDelay)
	} else {
		g.joinDeadline = now.Add(timeout)
	}
	g.transition(now, PreparingRebalance)
	g.maybeCompleteJoin(now, acts)
}

// joinDeadlinePassed ends the join phase, or extends the initial delay if
// members kept joining during it.
func (g *Group) joinDeadlinePassed(now time.Time, acts *[]Action) {
	if g.initialDelay && g.newMemberAdded && g.delayBudget > 0 {
		g.newMemberAdded = false
		d := min(g.cfg.InitialRebalanceDelay, g.delayBudget)
		g.delayBudget -= d
		g.joinDeadline = now.Add(d)
		return
	}
	g.initialDelay = false
	g.completeJoin(now, acts)
}

// maybeCompleteJoin ends the join phase early once every member has
// rejoined and no pending member is still expected.
func (g *Group) maybeCompleteJoin(now time.Time, acts *[]Action) {
	if g.state == PreparingRebalance && !g.initialDelay && g.awaiting == len(g.members) && len(g.pending) == 0 {
		g.completeJoin(now, acts)
	}
}

// completeJoin ends the join phase: dynamic members that did not rejoin are
// dropped, and the next generation starts — Empty, or CompletingRebalance
// with every joined member answered (the leader with the member list).
func (g *Group) completeJoin(now time.Time, acts *[]Action) {
	for _, m := range slices.Clone(g.members) {
		if !m.awaitingJoin && m.instanceID == "" {
			g.remove(m, acts)
		}
	}
	if len(g.members) > 0 && !g.electJoinedLeader() {
		// Only static members remain and none rejoined: wait another
		// rebalance timeout; their session timeouts will remove them.
		g.joinDeadline = now.Add(g.rebalanceTimeout())
		return
	}
	g.generation++
	if len(g.members) == 0 {
		g.protocol = ""
		g.transition(now, Empty)
		*acts = append(*acts, StoreGroup{Metadata: g.metadata()})
		return
	}
	g.protocol = g.selectProtocol()
	g.transition(now, CompletingRebalance)
	g.pendingSync = map[string]bool{}
	for _, m := range g.members {
		g.replyJoin(m, g.joinResponse(m, m.id == g.leader), acts)
		m.deadline = now.Add(m.sessionTimeout)
		m.isNew = false
		g.pendingSync[m.id] = true
	}
	g.syncDeadline = now.Add(g.rebalanceTimeout())
}

// electJoinedLeader keeps the leader if it rejoined, else makes the first
// rejoined member leader; false if no member rejoined.
func (g *Group) electJoinedLeader() bool {
	if m := g.byID[g.leader]; m != nil && m.awaitingJoin {
		return true
	}
	for _, m := range g.members {
		if m.awaitingJoin {
			g.leader = m.id
			return true
		}
	}
	return false
}
