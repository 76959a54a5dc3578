package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteGroups v0–2: an Empty group and its offsets go (tombstones in
// __consumer_offsets); the answer waits for them to be durable.
func init() { register(42, 0, 2, handleDeleteGroups) }

func handleDeleteGroups(c *conn, kreq kmsg.Request) response {
	req := kreq.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	co := c.s.groups
	var durable []barrier
	var deleted []*kmsg.DeleteGroupsResponseGroup
	resp.Groups = make([]kmsg.DeleteGroupsResponseGroup, len(req.Groups))
	co.mu.Lock()
	for i, id := range req.Groups {
		rg := &resp.Groups[i]
		*rg = kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		e := co.entry(id, false)
		if e == nil {
			rg.ErrorCode = kerr.GroupIDNotFound.Code
			continue
		}
		acts, err := e.g.Delete(co.now())
		if err != nil {
			rg.ErrorCode = groupErrorCode(err)
			continue
		}
		co.apply(e, acts)
		durable = append(durable, e.durable)
		deleted = append(deleted, rg)
	}
	co.mu.Unlock()
	if len(durable) == 0 {
		return now(resp)
	}
	ready := make(chan struct{})
	c.goAsync(func() {
		defer close(ready)
		for i, b := range durable {
			if err := b.wait(); err != nil {
				c.logger.Error("group deletion not persisted", "group", deleted[i].Group, "error", err)
				deleted[i].ErrorCode = kerr.KafkaStorageError.Code
			}
		}
	})
	return response{msg: resp, ready: ready}
}
