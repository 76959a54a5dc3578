package broker_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/internal/brokertest"
)

// kafkaConn speaks the Kafka protocol over one TCP connection, so tests control
// exactly which requests share a connection and can pipeline them.
type kafkaConn struct {
	t    testing.TB
	nc   net.Conn
	br   *bufio.Reader
	f    *kmsg.RequestFormatter
	corr int32
	// sent holds the requests whose responses are still to be read, in order.
	sent []kmsg.Request
	buf  []byte
}

func dialKafka(t testing.TB, addr string) *kafkaConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &kafkaConn{t: t, nc: nc, br: bufio.NewReader(nc), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-client"))}
}

// send writes a request without waiting for its response.
func (c *kafkaConn) send(req kmsg.Request) {
	c.t.Helper()
	c.corr++
	c.buf = c.f.AppendRequest(c.buf[:0], req, c.corr)
	if _, err := c.nc.Write(c.buf); err != nil {
		c.t.Fatalf("write %s: %v", kmsg.NameForKey(req.Key()), err)
	}
	c.sent = append(c.sent, req)
}

// recv reads the response to the oldest request sent.
func (c *kafkaConn) recv() (kmsg.Response, error) {
	req := c.sent[0]
	c.sent = c.sent[1:]
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.br, frame); err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	body := frame[4:]
	if resp.IsFlexible() && req.Key() != 18 {
		body = body[1:] // no tagged fields in the response header
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}

// do sends a request at version v and returns its response.
func do[R kmsg.Response](c *kafkaConn, req kmsg.Request, v int16) R {
	c.t.Helper()
	req.SetVersion(v)
	c.send(req)
	resp, err := c.recv()
	if err != nil {
		c.t.Fatalf("%s v%d: %v", kmsg.NameForKey(req.Key()), v, err)
	}
	return resp.(R)
}

// joinReq is a consumer JoinGroup request.
func joinReq(group, member string, session time.Duration) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.ProtocolType = group, member, "consumer"
	req.SessionTimeoutMillis = int32(session.Milliseconds())
	req.RebalanceTimeoutMillis = 60_000
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", (&kmsg.ConsumerMemberMetadata{Topics: []string{"t"}}).AppendTo(nil)
	req.Protocols = append(req.Protocols, p)
	return req
}

func errCode(code int16) error { return kerr.ErrorForCode(code) }

func TestGroupFindCoordinator(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	c := dialKafka(t, addr)
	host, portStr, _ := net.SplitHostPort(addr)
	for v := int16(0); v <= 3; v++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey = "g"
		resp := do[*kmsg.FindCoordinatorResponse](c, req, v)
		if resp.ErrorCode != 0 || resp.NodeID != 1 || resp.Host != host || fmt.Sprint(resp.Port) != portStr {
			t.Fatalf("v%d: %+v", v, resp)
		}
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey, req.CoordinatorType = "txn", 1
	if resp := do[*kmsg.FindCoordinatorResponse](c, req, 2); resp.ErrorCode == 0 {
		t.Fatal("transaction coordinator found")
	}
	// The first lookup created the offsets topic: compacted, 50 partitions.
	adm := kadm.NewClient(newKgoClient(t, addr))
	topics, err := adm.ListTopicsWithInternal(testCtx(t), "__consumer_offsets")
	if err != nil || len(topics["__consumer_offsets"].Partitions) != 50 || !topics["__consumer_offsets"].IsInternal {
		t.Fatalf("__consumer_offsets: %+v %v", topics["__consumer_offsets"], err)
	}
	cfg := topicConfigs(t, adm, "__consumer_offsets")
	if cfg["cleanup.policy"] != "compact" {
		t.Fatalf("cleanup.policy %q", cfg["cleanup.policy"])
	}
}

func TestGroupJoinProtocol(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	c := dialKafka(t, addr)

	if resp := do[*kmsg.JoinGroupResponse](c, joinReq("", "", time.Second), 5); !errors.Is(errCode(resp.ErrorCode), kerr.InvalidGroupID) {
		t.Fatalf("empty group id: %v", errCode(resp.ErrorCode))
	}
	if resp := do[*kmsg.JoinGroupResponse](c, joinReq("g", "", 50*time.Millisecond), 5); !errors.Is(errCode(resp.ErrorCode), kerr.InvalidSessionTimeout) {
		t.Fatalf("short session: %v", errCode(resp.ErrorCode))
	}
	if resp := do[*kmsg.JoinGroupResponse](c, joinReq("g", "nobody", time.Second), 5); !errors.Is(errCode(resp.ErrorCode), kerr.UnknownMemberID) {
		t.Fatalf("unknown member: %v", errCode(resp.ErrorCode))
	}
	// v4+: the first join gets an id to come back with.
	first := do[*kmsg.JoinGroupResponse](c, joinReq("g", "", time.Second), 7)
	if !errors.Is(errCode(first.ErrorCode), kerr.MemberIDRequired) || first.MemberID == "" || first.Generation != -1 {
		t.Fatalf("first join: %+v", first)
	}
	if want := "raw-client-"; len(first.MemberID) < len(want) || first.MemberID[:len(want)] != want {
		t.Fatalf("member id %q does not start with the client id", first.MemberID)
	}
	resp := do[*kmsg.JoinGroupResponse](c, joinReq("g", first.MemberID, time.Second), 7)
	if resp.ErrorCode != 0 || resp.MemberID != first.MemberID || resp.LeaderID != first.MemberID || resp.Generation != 1 ||
		derefString(resp.Protocol) != "range" || derefString(resp.ProtocolType) != "consumer" || len(resp.Members) != 1 {
		t.Fatalf("second join: %+v", resp)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "g", resp.MemberID, 1
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID, a.MemberAssignment = resp.MemberID, []byte("assigned")
	sync.GroupAssignment = append(sync.GroupAssignment, a)
	sr := do[*kmsg.SyncGroupResponse](c, sync, 5)
	if sr.ErrorCode != 0 || string(sr.MemberAssignment) != "assigned" || derefString(sr.Protocol) != "range" {
		t.Fatalf("sync: %+v", sr)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "g", resp.MemberID, 1
	for v := int16(0); v <= 4; v++ {
		if r := do[*kmsg.HeartbeatResponse](c, hb, v); r.ErrorCode != 0 {
			t.Fatalf("heartbeat v%d: %v", v, errCode(r.ErrorCode))
		}
	}
	hb.Generation = 0
	if r := do[*kmsg.HeartbeatResponse](c, hb, 4); !errors.Is(errCode(r.ErrorCode), kerr.IllegalGeneration) {
		t.Fatalf("old generation: %v", errCode(r.ErrorCode))
	}

	// JoinGroup v0 (librdkafka's oldest) from a second connection: it
	// waits for the rebalance, which the first member's rejoin completes.
	c2 := dialKafka(t, addr)
	old := joinReq("g", "", time.Second)
	old.SetVersion(0)
	c2.send(old)
	hb.Generation = 1
	eventually(t, 10*time.Second, "a heartbeat telling the member to rejoin", func() bool {
		err := errCode(do[*kmsg.HeartbeatResponse](c, hb, 4).ErrorCode)
		if err != nil && !errors.Is(err, kerr.RebalanceInProgress) {
			t.Fatalf("heartbeat: %v", err)
		}
		return err != nil
	})
	rejoin := do[*kmsg.JoinGroupResponse](c, joinReq("g", resp.MemberID, time.Second), 7)
	r2, err := c2.recv()
	if err != nil {
		t.Fatal(err)
	}
	joined := r2.(*kmsg.JoinGroupResponse)
	if rejoin.ErrorCode != 0 || joined.ErrorCode != 0 || rejoin.Generation != 2 || joined.Generation != 2 ||
		len(rejoin.Members) != 2 || len(joined.Members) != 0 || joined.LeaderID != resp.MemberID {
		t.Fatalf("rejoin %+v\nv0 join %+v", rejoin, joined)
	}

	// LeaveGroup v3 removes both members in one request.
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group = "g"
	for _, id := range []string{resp.MemberID, joined.MemberID, "ghost"} {
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = id
		leave.Members = append(leave.Members, m)
	}
	lr := do[*kmsg.LeaveGroupResponse](c, leave, 4)
	if lr.ErrorCode != 0 || len(lr.Members) != 3 || lr.Members[0].ErrorCode != 0 || lr.Members[1].ErrorCode != 0 ||
		!errors.Is(errCode(lr.Members[2].ErrorCode), kerr.UnknownMemberID) {
		t.Fatalf("leave: %+v", lr)
	}
	describe := kmsg.NewPtrDescribeGroupsRequest()
	describe.Groups = []string{"g", "unknown"}
	for v := int16(0); v <= 5; v++ {
		dr := do[*kmsg.DescribeGroupsResponse](c, describe, v)
		if dr.Groups[0].State != "Empty" || dr.Groups[0].ErrorCode != 0 || dr.Groups[1].State != "Dead" || dr.Groups[1].ErrorCode != 0 {
			t.Fatalf("describe v%d: %+v", v, dr.Groups)
		}
	}
}

func TestGroupOffsetCommitFetchProtocol(t *testing.T) {
	t.Parallel()
	addr := startGroupBroker(t)
	createTopic(t, newKgoClient(t, addr), "t", 2, nil)
	c := dialKafka(t, addr)
	commit := func(v int16, group string, gen int32, member string, offsets ...int64) *kmsg.OffsetCommitResponse {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group, req.Generation, req.MemberID = group, gen, member
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "t"
		for p, o := range offsets {
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = int32(p), o, 5
			rp.Metadata = kmsg.StringPtr(fmt.Sprint("m", p))
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		missing := kmsg.NewOffsetCommitRequestTopic()
		missing.Topic = "missing"
		missing.Partitions = []kmsg.OffsetCommitRequestTopicPartition{kmsg.NewOffsetCommitRequestTopicPartition()}
		req.Topics = append(req.Topics, missing)
		return do[*kmsg.OffsetCommitResponse](c, req, v)
	}
	for v := int16(2); v <= 8; v++ {
		r := commit(v, "simple", -1, "", 10+int64(v), 20+int64(v), 1)
		parts := r.Topics[0].Partitions
		if parts[0].ErrorCode != 0 || parts[1].ErrorCode != 0 || !errors.Is(errCode(parts[2].ErrorCode), kerr.UnknownTopicOrPartition) ||
			!errors.Is(errCode(r.Topics[1].Partitions[0].ErrorCode), kerr.UnknownTopicOrPartition) {
			t.Fatalf("commit v%d: %+v", v, r.Topics)
		}
	}
	if r := commit(8, "ghost-group", 3, "m", 1); !errors.Is(errCode(r.Topics[0].Partitions[0].ErrorCode), kerr.IllegalGeneration) {
		t.Fatalf("commit with a generation to a missing group: %v", errCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	for v := int16(1); v <= 7; v++ {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group = "simple"
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = "t", []int32{0, 1, 7}
		req.Topics = append(req.Topics, rt)
		r := do[*kmsg.OffsetFetchResponse](c, req, v)
		ps := r.Topics[0].Partitions
		if ps[0].Offset != 18 || ps[1].Offset != 28 || derefString(ps[1].Metadata) != "m1" || ps[2].Offset != -1 || ps[2].ErrorCode != 0 {
			t.Fatalf("fetch v%d: %+v", v, ps)
		}
		if v >= 5 && ps[0].LeaderEpoch != 5 {
			t.Fatalf("fetch v%d: leader epoch %d", v, ps[0].LeaderEpoch)
		}
		if v >= 2 {
			// A null topic list asks for everything committed.
			req.Topics = nil
			all := do[*kmsg.OffsetFetchResponse](c, req, v)
			if len(all.Topics) != 1 || len(all.Topics[0].Partitions) != 2 || all.Topics[0].Partitions[1].Offset != 28 {
				t.Fatalf("fetch all v%d: %+v", v, all.Topics)
			}
		}
	}
	// A group with members refuses simple commits and takes its members'.
	j := do[*kmsg.JoinGroupResponse](c, joinReq("simple", "", time.Second), 3)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "simple", j.MemberID, j.Generation
	do[*kmsg.SyncGroupResponse](c, sync, 3)
	if r := commit(8, "simple", -1, "", 1); !errors.Is(errCode(r.Topics[0].Partitions[0].ErrorCode), kerr.UnknownMemberID) {
		t.Fatalf("simple commit to a group with members: %v", errCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	if r := commit(8, "simple", j.Generation, j.MemberID, 99); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("member commit: %v", errCode(r.Topics[0].Partitions[0].ErrorCode))
	}
}

// TestGroupParkedRequestsReleased checks that JoinGroups waiting for a
// rebalance do not outlive their connection or the server.
func TestGroupParkedRequestsReleased(t *testing.T) {
	t.Parallel()
	srv := brokertest.New(t, groupTestConfig())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	leader := dialKafka(t, addr)
	j := do[*kmsg.JoinGroupResponse](leader, joinReq("g", "", time.Minute), 3)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "g", j.MemberID, j.Generation
	do[*kmsg.SyncGroupResponse](leader, sync, 3)

	// A newcomer waits for the leader to rejoin (up to its 60 s rebalance
	// timeout); its connection closes meanwhile.
	adm := kadm.NewClient(newKgoClient(t, addr))
	members := func(n int) func() bool {
		return func() bool {
			d, err := adm.DescribeGroups(testCtx(t), "g")
			return err == nil && len(d["g"].Members) == n
		}
	}
	gone := dialKafka(t, addr)
	gone.send(joinReq("g", "", time.Minute))
	eventually(t, 10*time.Second, "the newcomer in the group", members(2))
	gone.nc.Close()

	// Another parked join, on a live connection, until the server closes.
	parked := dialKafka(t, addr)
	parked.send(joinReq("g", "", time.Minute))
	eventually(t, 10*time.Second, "the second newcomer in the group", members(3))
	got := make(chan error, 1)
	go func() {
		_, err := parked.recv()
		got <- err
	}()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server close hangs on a parked JoinGroup")
	}
	if err := <-got; err == nil {
		t.Fatal("parked join answered after the server closed")
	}
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
