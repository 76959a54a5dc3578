package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// LeaveGroup v0–4; from v3 one request removes several members, static
// ones possibly by instance id alone.
func init() { register(13, 0, 4, handleLeaveGroup) }

func handleLeaveGroup(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return now(resp)
	}
	members := []group.LeaveMember{{MemberID: req.MemberID}}
	if req.Version >= 3 {
		members = members[:0]
		for _, m := range req.Members {
			members = append(members, group.LeaveMember{MemberID: m.MemberID, InstanceID: deref(m.InstanceID)})
		}
	}
	co := c.s.groups
	co.mu.Lock()
	var errs []error
	var err error
	if e := co.entry(req.Group, false); e == nil {
		errs = make([]error, len(members))
		for i := range errs {
			errs[i] = group.ErrUnknownMemberID
		}
	} else {
		var acts []group.Action
		errs, acts, err = e.g.Leave(co.now(), members)
		co.apply(e, acts)
	}
	co.mu.Unlock()

	if err != nil {
		resp.ErrorCode = groupErrorCode(err)
		return now(resp)
	}
	if req.Version < 3 {
		resp.ErrorCode = groupErrorCode(errs[0])
		return now(resp)
	}
	for i, m := range req.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = m.MemberID, m.InstanceID
		rm.ErrorCode = groupErrorCode(errs[i])
		resp.Members = append(resp.Members, rm)
	}
	return now(resp)
}
