package broker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// SyncGroup v0–5. A follower's answer waits for the leader's assignment,
// off the connection's reader.
func init() { register(14, 0, 5, handleSyncGroup) }

func handleSyncGroup(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.SyncGroupRequest)
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return now(resp)
	}
	sr := group.SyncRequest{
		MemberID:     req.MemberID,
		InstanceID:   deref(req.InstanceID),
		Generation:   req.Generation,
		ProtocolType: deref(req.ProtocolType),
		Protocol:     deref(req.Protocol),
	}
	for _, a := range req.GroupAssignment {
		sr.Assignments = append(sr.Assignments, group.Assignment{MemberID: a.MemberID, Assignment: cloneBytes(a.MemberAssignment)})
	}
	w := &waiter{
		deliver: func(a group.Action) {
			r := a.(group.SyncReply).Response
			resp.ErrorCode = groupErrorCode(r.Err)
			if r.Err == nil {
				resp.ProtocolType, resp.Protocol = ptr(r.ProtocolType), ptr(r.Protocol)
				resp.MemberAssignment = r.Assignment
			}
		},
		failed: func(code int16) {
			*resp = *req.ResponseKind().(*kmsg.SyncGroupResponse)
			resp.ErrorCode = code
		},
	}
	return c.s.groups.await(c, req.Group, false, resp, w,
		func(g *group.Group, now time.Time, tok group.Token) []group.Action { return g.Sync(now, tok, sr) },
		func() { resp.ErrorCode = kerr.UnknownMemberID.Code })
}
