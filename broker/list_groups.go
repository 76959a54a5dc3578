package broker

import (
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups v0–4; v4 filters by state (case-insensitive).
func init() { register(16, 0, 4, handleListGroups) }

func handleListGroups(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	co := c.s.groups
	co.mu.Lock()
	for id, e := range co.groups {
		state := e.g.State().String()
		if len(req.StatesFilter) > 0 && !slices.ContainsFunc(req.StatesFilter, func(f string) bool { return strings.EqualFold(f, state) }) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState = id, e.g.ProtocolType(), state
		lg.GroupType = "classic"
		resp.Groups = append(resp.Groups, lg)
	}
	co.mu.Unlock()
	slices.SortFunc(resp.Groups, func(a, b kmsg.ListGroupsResponseGroup) int { return strings.Compare(a.Group, b.Group) })
	return now(resp)
}
