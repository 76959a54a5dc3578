package group

import "time"

// Heartbeat handles a Heartbeat request, keeping the member alive for
// another session timeout. During the join phase the member is told to
// rejoin (ErrRebalanceInProgress); while the group waits for the leader's
// assignment a heartbeat succeeds, as in Kafka since 2.x, because clients
// start heartbeating as soon as their JoinGroup is answered.
func (g *Group) Heartbeat(now time.Time, req HeartbeatRequest) error {
	if g.state == Dead {
		return ErrCoordinatorNotAvailable
	}
	if err := g.validateMember(req.MemberID, req.InstanceID); err != nil {
		return err
	}
	if req.Generation != g.generation {
		return ErrIllegalGeneration
	}
	m := g.byID[req.MemberID]
	switch g.state {
	case PreparingRebalance:
		m.deadline = now.Add(m.sessionTimeout)
		return ErrRebalanceInProgress
	case CompletingRebalance, Stable:
		m.deadline = now.Add(m.sessionTimeout)
		return nil
	}
	return ErrUnknownMemberID
}

// Leave handles a LeaveGroup request for one or more members. errs has one
// entry per member; err is the request-level error (nil unless the group is
// Dead). A member may be named by instance id alone, which removes whatever
// member id the instance has.
func (g *Group) Leave(now time.Time, members []LeaveMember) (errs []error, acts []Action, err error) {
	if g.state == Dead {
		return nil, nil, ErrCoordinatorNotAvailable
	}
	errs = make([]error, len(members))
	for i, lm := range members {
		switch {
		case lm.MemberID == "":
			id, ok := g.static[lm.InstanceID]
			if lm.InstanceID == "" || !ok {
				errs[i] = ErrUnknownMemberID
				continue
			}
			g.removeMember(now, g.byID[id], &acts)
		case !g.pending[lm.MemberID].IsZero():
			delete(g.pending, lm.MemberID)
			g.maybeCompleteJoin(now, &acts)
		default:
			if err := g.validateMember(lm.MemberID, lm.InstanceID); err != nil {
				errs[i] = err
				continue
			}
			g.removeMember(now, g.byID[lm.MemberID], &acts)
		}
	}
	return errs, acts, nil
}
