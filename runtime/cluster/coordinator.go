package cluster

import (
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"conflux/internal/cutdial"
)

// coordinator holds the member's connections: a sarama client for
// bootstrap and FindCoordinator, and two connections to the group
// coordinator, one for JoinGroup and SyncGroup (which wait for rebalances)
// and one for Heartbeat and LeaveGroup (which must not queue behind them).
// It is used from the member's goroutine only, except that the heartbeat
// goroutine sends on the heartbeat connection while it runs.
type coordinator struct {
	cfg    *Config
	group  *cutdial.Dialer
	client sarama.Client
	main   *sarama.Broker
	hb     *sarama.Broker
}

func newCoordinator(cfg *Config) *coordinator {
	return &coordinator{cfg: cfg, group: cutdial.New(cfg.baseSarama())}
}

// connect finds the group's coordinator and opens the connections to it,
// unless they are open already.
func (c *coordinator) connect() error {
	if c.main != nil {
		return nil
	}
	if err := c.connectClient(); err != nil {
		return err
	}
	if err := c.client.RefreshCoordinator(c.cfg.GroupID); err != nil {
		// After a broker restart the client may hold only dead
		// connections; a new one starts again from the bootstrap list.
		c.client.Close()
		c.client = nil
		return fmt.Errorf("find coordinator of group %s: %w", c.cfg.GroupID, err)
	}
	b, err := c.client.Coordinator(c.cfg.GroupID)
	if err != nil {
		return fmt.Errorf("find coordinator of group %s: %w", c.cfg.GroupID, err)
	}
	c.main = sarama.NewBroker(b.Addr())
	c.hb = sarama.NewBroker(b.Addr())
	if err := c.main.Open(c.cfg.groupSarama(c.group)); err != nil {
		c.disconnect()
		return fmt.Errorf("connect to coordinator %s: %w", b.Addr(), err)
	}
	if err := c.hb.Open(c.cfg.heartbeatSarama()); err != nil {
		c.disconnect()
		return fmt.Errorf("connect to coordinator %s: %w", b.Addr(), err)
	}
	return nil
}

// disconnect closes the coordinator connections; the next connect looks
// the coordinator up again. No request may be in flight on them.
func (c *coordinator) disconnect() {
	for _, b := range []*sarama.Broker{c.main, c.hb} {
		if b != nil {
			b.Close()
		}
	}
	c.main, c.hb = nil, nil
}

// close closes every connection.
func (c *coordinator) close() {
	c.disconnect()
	if c.client != nil {
		c.client.Close()
		c.client = nil
	}
}

// leave sends LeaveGroup for memberID on a fresh connection: the regular
// ones are cut when the member stops. It is best effort; a member that
// cannot leave is dropped when its session expires.
func (c *coordinator) leave(memberID string) error {
	if err := c.connectClient(); err != nil {
		return err
	}
	coord, err := c.client.Coordinator(c.cfg.GroupID)
	if err != nil {
		return err
	}
	b := sarama.NewBroker(coord.Addr())
	if err := b.Open(c.cfg.heartbeatSarama()); err != nil {
		return err
	}
	defer b.Close()
	resp, err := b.LeaveGroup(c.leaveRequest(memberID))
	if err != nil {
		return err
	}
	if resp.Err != sarama.ErrNoError {
		return resp.Err
	}
	for _, m := range resp.Members {
		if m.Err != sarama.ErrNoError {
			return m.Err
		}
	}
	return nil
}

// connectClient creates the bootstrap client unless it exists.
func (c *coordinator) connectClient() error {
	if c.client != nil {
		return nil
	}
	cl, err := sarama.NewClient(c.cfg.Brokers, c.cfg.baseSarama())
	if err != nil {
		return fmt.Errorf("connect to %v: %w", c.cfg.Brokers, err)
	}
	c.client = cl
	return nil
}

// version is the Kafka protocol version the member speaks.
func (c *coordinator) version() sarama.KafkaVersion {
	if c.cfg.Sarama != nil {
		return c.cfg.Sarama.Version
	}
	return sarama.V2_8_0_0
}

// joinRequest builds a JoinGroup request; sarama lowers its version to what
// the coordinator supports.
func (c *coordinator) joinRequest(memberID string) *sarama.JoinGroupRequest {
	req := sarama.NewJoinGroupRequest(c.version())
	req.GroupId = c.cfg.GroupID
	req.MemberId = memberID
	req.SessionTimeout = millis(c.cfg.SessionTimeout)
	req.RebalanceTimeout = millis(c.cfg.RebalanceTimeout)
	req.ProtocolType = ProtocolType
	req.GroupInstanceId = c.instanceID()
	return req
}

// instanceID returns the member's group.instance.id, nil for a dynamic
// member.
func (c *coordinator) instanceID() *string {
	if c.cfg.InstanceID == "" {
		return nil
	}
	id := c.cfg.InstanceID
	return &id
}

func (c *coordinator) syncRequest(memberID string, gen int32, protocol string, assignments map[string][]byte) *sarama.SyncGroupRequest {
	v := c.version()
	req := &sarama.SyncGroupRequest{GroupId: c.cfg.GroupID, MemberId: memberID, GenerationId: gen, GroupInstanceId: c.instanceID()}
	switch {
	case v.IsAtLeast(sarama.V2_5_0_0):
		req.Version = 5
	case v.IsAtLeast(sarama.V2_4_0_0):
		req.Version = 4
	case v.IsAtLeast(sarama.V2_3_0_0):
		req.Version = 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		req.Version = 2
	case v.IsAtLeast(sarama.V0_11_0_0):
		req.Version = 1
	}
	pt, pn := ProtocolType, protocol
	req.ProtocolType, req.ProtocolName = &pt, &pn
	for id, a := range assignments {
		req.AddGroupAssignment(id, a)
	}
	return req
}

func (c *coordinator) heartbeatRequest(memberID string, gen int32) *sarama.HeartbeatRequest {
	v := c.version()
	req := &sarama.HeartbeatRequest{GroupId: c.cfg.GroupID, MemberId: memberID, GenerationId: gen, GroupInstanceId: c.instanceID()}
	switch {
	case v.IsAtLeast(sarama.V2_4_0_0):
		req.Version = 4
	case v.IsAtLeast(sarama.V2_3_0_0):
		req.Version = 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		req.Version = 2
	case v.IsAtLeast(sarama.V0_11_0_0):
		req.Version = 1
	}
	return req
}

func (c *coordinator) leaveRequest(memberID string) *sarama.LeaveGroupRequest {
	v := c.version()
	// Both member fields are set: sarama may lower the version below 3,
	// which names the member directly instead of in a list.
	req := &sarama.LeaveGroupRequest{GroupId: c.cfg.GroupID, MemberId: memberID,
		Members: []sarama.MemberIdentity{{MemberId: memberID, GroupInstanceId: c.instanceID()}}}
	switch {
	case v.IsAtLeast(sarama.V2_4_0_0):
		req.Version = 4
	case v.IsAtLeast(sarama.V2_0_0_0):
		req.Version = 2
	case v.IsAtLeast(sarama.V0_11_0_0):
		req.Version = 1
	}
	return req
}

func millis(d time.Duration) int32 { return int32(d / time.Millisecond) }

// kafkaError returns the Kafka error code in err's chain, if any.
func kafkaError(err error) (sarama.KError, bool) {
	var ke sarama.KError
	if errors.As(err, &ke) {
		return ke, true
	}
	return 0, false
}
