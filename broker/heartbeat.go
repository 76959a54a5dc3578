package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// Heartbeat v0–4.
func init() { register(12, 0, 4, handleHeartbeat) }

func handleHeartbeat(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return now(resp)
	}
	co := c.s.groups
	co.mu.Lock()
	defer co.mu.Unlock()
	e := co.entry(req.Group, false)
	if e == nil {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		return now(resp)
	}
	err := e.g.Heartbeat(co.now(), group.HeartbeatRequest{MemberID: req.MemberID, InstanceID: deref(req.InstanceID), Generation: req.Generation})
	resp.ErrorCode = groupErrorCode(err)
	co.schedule(e)
	return now(resp)
}
