package broker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
)

// DescribeGroups v0–5. An unknown group is described as Dead, without error
// (GROUP_ID_NOT_FOUND only came with v6).
func init() { register(15, 0, 5, handleDescribeGroups) }

func handleDescribeGroups(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	co := c.s.groups
	co.mu.Lock()
	defer co.mu.Unlock()
	for _, id := range req.Groups {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		rg.AuthorizedOperations = authorizedOperationsOmitted
		e := co.entry(id, false)
		if e == nil {
			rg.State = group.Dead.String()
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		d := e.g.Describe()
		rg.State, rg.ProtocolType, rg.Protocol = d.State.String(), d.ProtocolType, d.Protocol
		for _, m := range d.Members {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.ClientID, rm.ClientHost = m.MemberID, m.ClientID, m.ClientHost
			if m.InstanceID != "" {
				rm.InstanceID = ptr(m.InstanceID)
			}
			rm.ProtocolMetadata, rm.MemberAssignment = m.Metadata, m.Assignment
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return now(resp)
}
