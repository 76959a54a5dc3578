package broker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// JoinGroup v0–7. The minimum stays 0: librdkafka 2.0.2 (kcat,
// confluent-kafka) disables its consumer-group support without it. The
// answer usually waits for the rebalance, off the connection's reader.
func init() { register(11, 0, 7, handleJoinGroup) }

func handleJoinGroup(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.JoinGroupRequest)
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.Generation = -1
	resp.MemberID = req.MemberID
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return now(resp)
	}
	jr := group.JoinRequest{
		MemberID:             req.MemberID,
		InstanceID:           deref(req.InstanceID),
		ClientID:             c.clientID,
		ClientHost:           clientHost(c.remote),
		SessionTimeout:       time.Duration(req.SessionTimeoutMillis) * time.Millisecond,
		RebalanceTimeout:     time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond,
		ProtocolType:         req.ProtocolType,
		RequireKnownMemberID: req.Version >= 4,
	}
	if req.Version == 0 {
		jr.RebalanceTimeout = jr.SessionTimeout
	}
	for _, p := range req.Protocols {
		jr.Protocols = append(jr.Protocols, group.Protocol{Name: p.Name, Metadata: cloneBytes(p.Metadata)})
	}
	w := &waiter{
		deliver: func(a group.Action) { fillJoinResponse(resp, a.(group.JoinReply).Response) },
		failed: func(code int16) {
			*resp = *req.ResponseKind().(*kmsg.JoinGroupResponse)
			resp.ErrorCode, resp.Generation, resp.MemberID = code, -1, req.MemberID
		},
	}
	// Only a member without an id may create the group.
	return c.s.groups.await(c, req.Group, req.MemberID == "", resp, w,
		func(g *group.Group, now time.Time, tok group.Token) []group.Action { return g.Join(now, tok, jr) },
		func() { resp.ErrorCode = kerr.UnknownMemberID.Code })
}

// fillJoinResponse copies the group's answer into the wire response.
func fillJoinResponse(resp *kmsg.JoinGroupResponse, r group.JoinResponse) {
	resp.ErrorCode = groupErrorCode(r.Err)
	resp.MemberID = r.MemberID
	resp.Generation = r.Generation
	resp.LeaderID = r.Leader
	if r.Err != nil {
		return
	}
	resp.ProtocolType = ptr(r.ProtocolType)
	resp.Protocol = ptr(r.Protocol)
	resp.Members = make([]kmsg.JoinGroupResponseMember, 0, len(r.Members))
	for _, m := range r.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID = m.MemberID
		if m.InstanceID != "" {
			rm.InstanceID = ptr(m.InstanceID)
		}
		rm.ProtocolMetadata = m.Metadata
		resp.Members = append(resp.Members, rm)
	}
}
