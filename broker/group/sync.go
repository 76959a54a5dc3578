package group

import "time"

// Sync handles a SyncGroup request. Followers wait for the leader's
// assignment; the leader's SyncGroup stores the group (a StoreGroup action)
// and answers every waiting member, itself included. The answer to this
// request comes as a SyncReply for tok, now or in a later call's actions.
func (g *Group) Sync(now time.Time, tok Token, req SyncRequest) []Action {
	var acts []Action
	fail := func(err error) {
		acts = append(acts, SyncReply{Token: tok, Response: SyncResponse{Err: err}})
	}
	if g.state == Dead {
		fail(ErrCoordinatorNotAvailable)
		return acts
	}
	if err := g.validateMember(req.MemberID, req.InstanceID); err != nil {
		fail(err)
		return acts
	}
	switch {
	case req.Generation != g.generation:
		fail(ErrIllegalGeneration)
		return acts
	case req.ProtocolType != "" && req.ProtocolType != g.protocolType,
		req.Protocol != "" && req.Protocol != g.protocol:
		fail(ErrInconsistentGroupProtocol)
		return acts
	}
	m := g.byID[req.MemberID]
	switch g.state {
	case PreparingRebalance:
		fail(ErrRebalanceInProgress)
	case CompletingRebalance:
		if m.awaitingSync {
			g.replySync(m, SyncResponse{Err: ErrRebalanceInProgress}, &acts)
		}
		m.awaitingSync, m.syncToken = true, tok
		g.synced(m)
		if m.id == g.leader {
			g.assign(now, req.Assignments, &acts)
		}
	case Stable:
		g.synced(m)
		m.deadline = now.Add(m.sessionTimeout)
		acts = append(acts, SyncReply{Token: tok, Response: SyncResponse{
			ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.assignment,
		}})
	default:
		fail(ErrUnknownMemberID)
	}
	return acts
}

// synced notes that m sent SyncGroup in this generation.
func (g *Group) synced(m *member) {
	delete(g.pendingSync, m.id)
	if len(g.pendingSync) == 0 {
		g.syncDeadline = time.Time{}
	}
}

// assign applies the leader's assignment (members it left out get an empty
// one), persists the group and makes it Stable, answering every member
// waiting in SyncGroup.
func (g *Group) assign(now time.Time, assignments []Assignment, acts *[]Action) {
	byMember := make(map[string][]byte, len(assignments))
	for _, a := range assignments {
		byMember[a.MemberID] = a.Assignment
	}
	for _, m := range g.members {
		m.assignment = byMember[m.id]
		if m.assignment == nil {
			m.assignment = []byte{}
		}
	}
	g.transition(now, Stable)
	*acts = append(*acts, StoreGroup{Metadata: g.metadata()})
	for _, m := range g.members {
		if m.awaitingSync {
			g.replySync(m, SyncResponse{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.assignment}, acts)
			m.deadline = now.Add(m.sessionTimeout)
		}
	}
}
