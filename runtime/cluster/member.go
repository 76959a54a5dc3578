package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// Handler is the worker's side of group membership. The Member calls it
// from the goroutine running Member.Run, one call at a time, so its methods
// need no locking against each other; they run while the member goes on
// heartbeating. Every ctx ends when Run's context does, except the one
// passed to the final Revoked call at shutdown.
type Handler interface {
	// ConfigSnapshot returns the work the leader hands out — every
	// connector's name and task count — and the config topic offset the
	// worker has read to. Followers use only the offset, which the member
	// advertises when it joins.
	ConfigSnapshot() (work map[string]int, offset int64)
	// ReadConfigTo makes the worker read the config topic at least up to
	// offset. The member calls it, bounded by Config.SyncTimeout, before it
	// acts on an assignment based on a later offset, when it is told the
	// configs mismatch, and as leader when a member has read further. An
	// error makes the member leave the new work alone and rejoin.
	ReadConfigTo(ctx context.Context, offset int64) error
	// Revoked tells the worker to stop these connectors and tasks and to
	// return once they are stopped: another worker may start them as soon
	// as the member rejoins. Under the eager protocol it is everything the
	// worker runs, before every rebalance. It is also called with
	// everything when the member has not reached the coordinator for a
	// whole session timeout (the group has surely moved the work
	// elsewhere), and when Run ends.
	Revoked(ctx context.Context, w Work)
	// Assigned gives the worker its full current assignment for generation
	// gen: a.Assigned is everything it should run now (including what it
	// ran before and keeps), a.Revoked what it was told to stop in this
	// round (already passed to Revoked), and a.Leader and a.LeaderURL name
	// the leader. The worker has read the config topic to a.ConfigOffset.
	Assigned(ctx context.Context, a Assignment, gen Generation)
}

// Generation identifies one completed rebalance of the group.
type Generation struct {
	// ID is the generation id; it grows with every rebalance.
	ID int32
	// MemberID is this member's id in the generation.
	MemberID string
	// Protocol is the sub-protocol the coordinator chose: "default",
	// "compatible" or "sessioned".
	Protocol string
	// LeaderID is the leader's member id.
	LeaderID string
	// MemberURLs are the REST URLs of every member of the generation,
	// sorted; only the leader learns them (nil on other members).
	MemberURLs []string
}

// Member is one worker's membership in its Connect group: it joins with
// protocol type "connect", assigns the work when it is elected leader,
// heartbeats, and rejoins whenever the group or the member asks. Create it
// with NewMember and call Run once.
type Member struct {
	cfg      Config
	h        Handler
	log      *slog.Logger
	offered  []subprotocol
	conn     *coordinator
	assignor *Assignor
	rejoinCh chan struct{}
	started  atomic.Bool
	// contact is when the coordinator last answered (Unix nanoseconds),
	// and confirmed when it last answered as if it knew the member.
	contact, confirmed atomic.Int64
	joining            atomic.Bool // a JoinGroup or SyncGroup is with the coordinator, which keeps the member meanwhile

	// Owned by Run's goroutine.
	memberID      string
	gen           int32       // generation joined, -1 if none
	proto         subprotocol // the generation's sub-protocol
	rejoin        bool        // rejoin although in a generation
	rejoinAt      time.Time   // the leader's delay ends then
	hb            *heartbeater
	held          workSet    // what the worker runs
	last          Assignment // the last assignment acted on
	lastCompleted int32      // generation of the last successful SyncGroup
	memberURLs    []string   // the generation's members, when this member leads it
	backoff       time.Duration

	mu     sync.Mutex
	status Generation
	url    string // the leader's URL
}

// NewMember validates cfg and returns a Member that reports to h.
func NewMember(cfg Config, h Handler) (*Member, error) {
	if h == nil {
		return nil, fmt.Errorf("%w: no handler", ErrInvalidConfig)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Member{
		cfg:           cfg,
		h:             h,
		log:           cfg.Logger.With("group", cfg.GroupID),
		offered:       offered(cfg.Protocol),
		conn:          newCoordinator(&cfg),
		assignor:      NewAssignor(cfg.ScheduledRebalanceMaxDelay),
		rejoinCh:      make(chan struct{}, 1),
		gen:           -1,
		held:          workSet{},
		lastCompleted: -1,
		status:        Generation{ID: -1},
	}
	m.conn.cfg = &m.cfg
	m.proto = m.offered[0]
	return m, nil
}

// Run joins the group and keeps the member in it until ctx ends: it
// rejoins on rebalances, on UNKNOWN_MEMBER_ID (with a fresh member id), on
// ILLEGAL_GENERATION, and after losing the coordinator (a broker restart or
// a coordinator move), retrying with backoff; transient errors never end
// it. When ctx ends it stops the work (Handler.Revoked), sends LeaveGroup
// and returns ctx.Err(). It returns early only with an error wrapping
// ErrFatalGroupError, or ErrAlreadyRun on a second call.
//
// A restarted Conflux broker restores a group without its members, so every
// worker rejoins an empty group with the work it runs and keeps it, provided
// the broker's group.initial.rebalance.delay.ms gathers them into one
// generation; Kafka brokers keep the members across a coordinator change.
func (m *Member) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return ErrAlreadyRun
	}
	// sarama requests cannot be cancelled: cutting the connections ends a
	// JoinGroup or SyncGroup waiting for a rebalance.
	stop := context.AfterFunc(ctx, m.conn.group.Cut)
	defer stop()
	m.touch()
	m.confirm()
	err := m.loop(ctx)
	m.shutdown(ctx)
	return err
}

// RequestRejoin makes the member rejoin the group, for example because the
// leader saw the connectors change and must assign again. When the member is
// a follower whose metadata is unchanged, the coordinator answers its
// JoinGroup with the current generation and no rebalance happens. It is safe
// to call from any goroutine and does not wait.
func (m *Member) RequestRejoin() {
	select {
	case m.rejoinCh <- struct{}{}:
	default:
	}
}

// Generation returns the generation of the last assignment the member acted
// on; ID is -1 before the first one and after Run ends.
func (m *Member) Generation() Generation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// IsLeader reports whether the member led the generation of its last
// assignment, and so is the one to write connector task configs.
func (m *Member) IsLeader() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status.ID >= 0 && m.status.LeaderID == m.status.MemberID
}

// LeaderURL returns the REST URL of the leader of the last assignment, ""
// before the first one.
func (m *Member) LeaderURL() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.url
}

func (m *Member) setStatus(g Generation, leaderURL string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.url = g, leaderURL
}

// InContact reports whether the member may still be in its group: the
// coordinator answered it within the session timeout less one heartbeat
// interval, or a join is under way. It turns false when a cut or a long
// pause may have cost the member its place, before the member has stopped
// its work.
func (m *Member) InContact() bool {
	return m.joining.Load() || time.Since(time.Unix(0, m.contact.Load())) < m.contactLimit()
}

// touch records an answer from the coordinator.
func (m *Member) touch() { m.contact.Store(time.Now().UnixNano()) }

// confirm records an answer of the coordinator that accepted the member.
func (m *Member) confirm() { m.confirmed.Store(time.Now().UnixNano()) }

func (m *Member) loop(ctx context.Context) error {
	for ctx.Err() == nil {
		m.checkContact(ctx)
		if err := m.connect(ctx); err != nil {
			if ctx.Err() == nil {
				m.log.Warn("cannot reach the group coordinator", "err", err)
				m.pause(ctx)
			}
			continue
		}
		var err error
		if m.gen < 0 || m.rejoin {
			err = m.joinGroup(ctx)
		} else {
			if m.hb == nil {
				m.hb = startHeartbeat(m.conn, m.conn.hb, m.memberID, m.gen, m.cfg.HeartbeatInterval, &m.contact, &m.confirmed)
			}
			err = m.stable(ctx)
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// stable waits, heartbeating, until the member has to act, or until the
// coordinator has not answered for checkContact's limit while the member
// holds work: a heartbeat stuck on a cut network answers only after the
// request timeout, and by then the work runs elsewhere.
func (m *Member) stable(ctx context.Context) error {
	var delay <-chan time.Time
	if !m.rejoinAt.IsZero() {
		t := time.NewTimer(time.Until(m.rejoinAt))
		defer t.Stop()
		delay = t.C
	}
	lost, stopLost := m.contactTimer()
	defer stopLost()
	select {
	case <-ctx.Done():
	case <-m.rejoinCh:
		m.rejoin = true
	case <-delay:
		m.rejoin = true
	case <-lost:
		m.checkContact(ctx) // a heartbeat answered meanwhile keeps the work
	case err := <-m.hb.events:
		return m.failed(ctx, "heartbeat", err)
	}
	return nil
}

// joinGroup runs one JoinGroup and SyncGroup round and acts on its
// assignment. Its error is fatal; it handles every other failure itself.
func (m *Member) joinGroup(ctx context.Context) error {
	m.rejoinAt = time.Time{}
	if m.proto.eager() && len(m.held) > 0 {
		// Still heartbeating, so that the session outlives slow tasks.
		m.revoke(ctx, m.held.clone())
	}
	m.stopHeartbeat()
	var resp *sarama.JoinGroupResponse
	for {
		req, err := m.joinRequest()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrFatalGroupError, err)
		}
		stopKeepAlive := func() {}
		if m.memberID != "" && m.gen >= 0 {
			stopKeepAlive = keepAlive(m.conn, m.conn.hb, m.memberID, m.gen, m.cfg.HeartbeatInterval)
		}
		m.joining.Store(true)
		resp, err = m.conn.main.JoinGroup(req)
		m.joining.Store(false)
		stopKeepAlive()
		if err != nil {
			return m.failed(ctx, "join group", err)
		}
		m.touch()
		if resp.Err == sarama.ErrMemberIdRequired {
			m.memberID = resp.MemberId
			continue
		}
		if resp.Err != sarama.ErrNoError {
			return m.failed(ctx, "join group", resp.Err)
		}
		m.confirm()
		break
	}
	proto, ok := subprotocolNamed(resp.GroupProtocol)
	if !ok {
		return fmt.Errorf("%w: coordinator chose sub-protocol %q, which was not offered", ErrFatalGroupError, resp.GroupProtocol)
	}
	// The first eager generation after a cooperative one: members may
	// still be stopping the work they held, each before its SyncGroup,
	// while the others' SyncGroups are answered at once.
	fellBack := proto.eager() && !m.proto.eager() && m.lastCompleted >= 0
	m.memberID, m.gen, m.proto, m.rejoin = resp.MemberId, resp.GenerationId, proto, false
	m.memberURLs = nil
	m.hb = startHeartbeat(m.conn, m.conn.hb, m.memberID, m.gen, m.cfg.HeartbeatInterval, &m.contact, &m.confirmed)
	leader := resp.LeaderId == m.memberID
	m.log.Info("joined group", "generation", m.gen, "member", m.memberID, "protocol", proto.name, "leader", leader)
	if proto.eager() && len(m.held) > 0 {
		// The group fell back to eager while this member ran work under a
		// cooperative protocol. A leader that was in that generation gives
		// no work this round (fellBack); one that was not cannot tell, and
		// the others start their work as soon as they sync: stop it all
		// before syncing, to keep that window short.
		m.revoke(ctx, m.held.clone())
	}

	var assignments map[string][]byte
	if leader {
		var err error
		if assignments, err = m.lead(ctx, resp, fellBack); err != nil {
			m.log.Error("cannot encode the assignments", "err", err)
			m.rejoin = true
			m.pause(ctx)
			return nil
		}
	}
	m.joining.Store(true)
	sresp, err := m.conn.main.SyncGroup(m.conn.syncRequest(m.memberID, m.gen, proto.name, assignments))
	m.joining.Store(false)
	if err != nil {
		return m.failed(ctx, "sync group", err)
	}
	m.touch()
	if sresp.Err != sarama.ErrNoError {
		return m.failed(ctx, "sync group", sresp.Err)
	}
	m.confirm()
	m.lastCompleted = m.gen
	var a Assignment
	if err := a.UnmarshalBinary(sresp.MemberAssignment); err != nil {
		m.log.Error("ignoring the leader's assignment", "generation", m.gen, "err", err)
		m.rejoin = true
		m.pause(ctx)
		return nil
	}
	m.apply(ctx, a, resp.LeaderId)
	if leader && fellBack {
		m.rejoin = true
	}
	return nil
}

// joinRequest builds the JoinGroup request with the member's metadata for
// every offered sub-protocol.
func (m *Member) joinRequest() (*sarama.JoinGroupRequest, error) {
	req := m.conn.joinRequest(m.memberID)
	_, offset := m.h.ConfigSnapshot()
	var alloc *Assignment
	if len(m.held) > 0 {
		alloc = &Assignment{Leader: m.last.Leader, LeaderURL: m.last.LeaderURL,
			ConfigOffset: m.last.ConfigOffset, Assigned: m.held.work()}
	}
	for _, p := range m.offered {
		md := WorkerMetadata{Version: p.version, URL: m.cfg.URL, ConfigOffset: offset}
		if alloc != nil && p.version >= VersionCompatible {
			a := *alloc
			a.Version = p.version
			md.Allocation = &a
		}
		b, err := md.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode worker metadata: %w", err)
		}
		req.AddGroupProtocol(p.name, b)
	}
	return req, nil
}

// lead computes every member's assignment as the group leader. When
// withhold is set it gives no work to anyone: the leader then rejoins, and
// in the next generation every member, eager now, has stopped all it ran
// before its JoinGroup, so no unit can start on one worker while another
// still runs it. (Kafka Connect itself starts duplicates here, KAFKA-13816.)
func (m *Member) lead(ctx context.Context, resp *sarama.JoinGroupResponse, withhold bool) (map[string][]byte, error) {
	members := make([]MemberState, 0, len(resp.Members))
	maxOffset := int64(-1)
	for _, gm := range resp.Members {
		st := MemberState{ID: gm.MemberId, ConfigOffset: -1}
		var md WorkerMetadata
		if err := md.UnmarshalBinary(gm.Metadata); err != nil {
			m.log.Warn("ignoring undecodable member metadata", "member", gm.MemberId, "err", err)
		} else {
			st.URL, st.ConfigOffset = md.URL, md.ConfigOffset
			if md.Allocation != nil {
				st.Owned = md.Allocation.Assigned
			}
		}
		maxOffset = max(maxOffset, st.ConfigOffset)
		members = append(members, st)
		m.memberURLs = append(m.memberURLs, st.URL)
	}
	slices.Sort(m.memberURLs)
	work, offset := m.h.ConfigSnapshot()
	if offset < maxOffset {
		if err := m.readConfig(ctx, maxOffset); err != nil {
			m.log.Warn("leader cannot read the config topic as far as a member has", "offset", maxOffset, "err", err)
		}
		work, offset = m.h.ConfigSnapshot()
	}
	plan := m.assignor.Assign(Round{
		Version:                 m.proto.version,
		Generation:              m.gen,
		LastCompletedGeneration: m.lastCompleted,
		LeaderID:                m.memberID,
		Members:                 members,
		Config:                  ConfigState{Offset: offset, Tasks: work},
		Now:                     m.cfg.Clock(),
	})
	if withhold {
		m.log.Info("the group fell back to the eager protocol: no work this generation, so that members still stopping their work finish first; rejoining")
	}
	out := make(map[string][]byte, len(plan))
	for id, a := range plan {
		if withhold {
			a.Assigned, a.Revoked, a.Delay = Work{}, Work{}, 0
		}
		b, err := a.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("assignment of %s: %w", id, err)
		}
		out[id] = b
		m.log.Debug("assigned", "member", id, "assigned", a.Assigned, "revoked", a.Revoked, "delay", a.Delay, "error", a.Error)
	}
	return out, nil
}

// apply acts on the member's assignment of the generation just synced.
func (m *Member) apply(ctx context.Context, a Assignment, leaderID string) {
	switch a.Error {
	case NoError:
	case ConfigMismatch:
		// A follower whose metadata is unchanged gets the same generation
		// and the same answer until the leader has caught up: pause, so
		// as not to spin.
		m.log.Info("leader is behind on the config topic; catching up and rejoining", "offset", a.ConfigOffset)
		if err := m.readConfig(ctx, a.ConfigOffset); err != nil {
			m.log.Warn("cannot read the config topic", "offset", a.ConfigOffset, "err", err)
		}
		m.rejoin = true
		m.pause(ctx)
		return
	default:
		m.log.Warn("assignment with unknown error code; rejoining", "error", a.Error)
		m.rejoin = true
		m.pause(ctx)
		return
	}
	revoked := workSet{}
	for u := range setOf(a.Revoked) {
		if m.held.has(u) {
			revoked.add(u)
		}
	}
	if m.proto.eager() {
		revoked = m.held.clone()
	}
	if len(revoked) > 0 {
		m.revoke(ctx, revoked)
	}
	gained := setOf(a.Assigned)
	gained.removeAll(m.held)
	if err := m.readConfig(ctx, a.ConfigOffset); err != nil {
		// Work the worker cannot configure is left alone; the leader
		// finds it unassigned in the next round.
		m.log.Warn("cannot read the config topic; rejoining without the new work", "offset", a.ConfigOffset, "err", err)
		m.rejoin = true
		m.pause(ctx)
		return
	}
	m.held.addAll(gained)
	m.last = a
	m.backoff = 0
	gen := Generation{ID: m.gen, MemberID: m.memberID, Protocol: m.proto.name, LeaderID: leaderID, MemberURLs: m.memberURLs}
	m.setStatus(gen, a.LeaderURL)
	full := a
	full.Assigned, full.Revoked = m.held.work(), revoked.work()
	m.log.Info("assignment", "generation", gen.ID, "leader", leaderID, "running", full.Assigned, "revoked", full.Revoked, "delay", a.Delay)
	m.h.Assigned(ctx, full, gen)
	if !m.proto.eager() && len(revoked) > 0 {
		// The leader hands out what was revoked in a follow-up round,
		// once it is stopped.
		m.rejoin = true
	}
	if a.Delay > 0 {
		m.rejoinAt = time.Now().Add(a.Delay)
	}
}

// readConfig asks the worker to read the config topic to offset, unless
// it has already.
func (m *Member) readConfig(ctx context.Context, offset int64) error {
	if _, have := m.h.ConfigSnapshot(); have >= offset {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.SyncTimeout)
	defer cancel()
	return m.h.ReadConfigTo(ctx, offset)
}

// revoke stops w, which the member holds.
func (m *Member) revoke(ctx context.Context, w workSet) {
	m.h.Revoked(ctx, w.work())
	m.held.removeAll(w)
}

// checkContact stops all work once the coordinator has been out of reach
// for nearly a session timeout: a heartbeat interval before the
// coordinator can drop the member, so that the work has stopped here
// before the rebalance that follows hands it to another worker. The
// member then rejoins, and gets its work back if the coordinator kept it.
func (m *Member) checkContact(ctx context.Context) {
	since := time.Since(time.Unix(0, m.contact.Load()))
	if len(m.held) == 0 || since < m.contactLimit() {
		return
	}
	m.log.Warn("group coordinator out of reach for nearly the session timeout; stopping all work", "for", since.Round(time.Millisecond))
	m.revoke(ctx, m.held.clone())
	m.last = Assignment{}
	m.rejoin = true
	m.setStatus(Generation{ID: -1}, "")
}

// contactLimit is how long the member holds work without an answer from
// the coordinator: the session timeout less one heartbeat interval (the
// configuration keeps the interval below the timeout).
func (m *Member) contactLimit() time.Duration {
	return m.cfg.SessionTimeout - m.cfg.HeartbeatInterval
}

// failed handles err from a request to the coordinator; it returns an
// error only when the member cannot go on.
func (m *Member) failed(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return nil // the connections were cut to stop the member
	}
	ke, ok := kafkaError(err)
	if !ok {
		m.log.Warn("lost the group coordinator", "op", op, "err", err)
		m.stopHeartbeat()
		m.conn.disconnect()
		m.pause(ctx)
		return nil
	}
	switch ke {
	case sarama.ErrNotCoordinatorForConsumer, sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrOffsetsLoadInProgress, sarama.ErrRequestTimedOut:
		m.log.Info("group coordinator moved or is not ready", "op", op, "err", ke)
		m.stopHeartbeat()
		m.conn.disconnect()
		m.pause(ctx)
	case sarama.ErrUnknownMemberId:
		// After a session timeout without the coordinator accepting it (the
		// process was paused, say), the member was dropped and its work
		// has moved: stop it before rejoining, or the worker would claim it
		// back and run it beside its new owner. A shorter gap is a
		// coordinator that restarted without its members, and the work
		// stays.
		if gap := time.Since(time.Unix(0, m.confirmed.Load())); len(m.held) > 0 && gap > m.cfg.SessionTimeout {
			m.log.Warn("the coordinator dropped the member after its session expired; stopping all work before rejoining",
				"op", op, "member", m.memberID, "unconfirmed", gap.Round(time.Millisecond))
			m.revoke(ctx, m.held.clone())
			m.last = Assignment{}
		}
		m.log.Info("coordinator does not know the member; rejoining with a new member id", "op", op, "member", m.memberID)
		m.memberID, m.gen = "", -1
	case sarama.ErrIllegalGeneration:
		// The group went on to a generation without this member (it was
		// paused or cut off through a rebalance): what it holds may be
		// assigned elsewhere now. As Kafka's clients treat a reset
		// generation, the work is lost: stop it before rejoining.
		if len(m.held) > 0 {
			m.log.Warn("the group moved to a newer generation without this member; stopping all work before rejoining", "op", op, "generation", m.gen)
			m.revoke(ctx, m.held.clone())
			m.last = Assignment{}
		}
		m.rejoin = true
	case sarama.ErrRebalanceInProgress:
		m.log.Debug("rebalance; rejoining", "op", op, "err", ke)
		m.rejoin = true
	case sarama.ErrInvalidGroupId, sarama.ErrInvalidSessionTimeout, sarama.ErrInconsistentGroupProtocol,
		sarama.ErrGroupAuthorizationFailed, sarama.ErrGroupMaxSizeReached, sarama.ErrFencedInstancedId,
		sarama.ErrUnsupportedVersion:
		return fmt.Errorf("%w: %s %s: %w", ErrFatalGroupError, op, m.cfg.GroupID, ke)
	default:
		m.log.Warn("group request failed; rejoining", "op", op, "err", ke)
		m.rejoin = true
		m.pause(ctx)
	}
	return nil
}

// pause waits before the next attempt, longer after each failure in a row.
func (m *Member) pause(ctx context.Context) {
	m.backoff = min(max(2*m.backoff, m.cfg.RetryBackoff), m.cfg.RetryBackoffMax)
	d := m.backoff/2 + rand.N(m.backoff/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	lost, stopLost := m.contactTimer()
	defer stopLost()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-lost:
			m.checkContact(ctx)
			lost = nil
		}
	}
}

// contactTimer fires when the member, holding work, reaches checkContact's
// limit without an answer from the coordinator; it never fires for a member
// without work. Whatever the member waits for (a pause, a dial into a cut
// network), it still gives its work up on time.
func (m *Member) contactTimer() (<-chan time.Time, func()) {
	if len(m.held) == 0 {
		return nil, func() {}
	}
	t := time.NewTimer(time.Until(time.Unix(0, m.contact.Load()).Add(m.contactLimit())))
	return t.C, func() { t.Stop() }
}

// connect connects to the coordinator, giving the work up at checkContact's
// limit if that comes first: finding the coordinator through a cut network
// can take the whole dial timeout.
func (m *Member) connect(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- m.conn.connect() }()
	lost, stopLost := m.contactTimer()
	defer stopLost()
	for {
		select {
		case err := <-done:
			return err
		case <-lost:
			m.checkContact(ctx)
			lost = nil
		}
	}
}

func (m *Member) stopHeartbeat() {
	m.hb.stop()
	m.hb = nil
}

// shutdown stops the work, leaves the group and closes the connections.
func (m *Member) shutdown(ctx context.Context) {
	// Heartbeats go on while the work stops: a member that went quiet
	// would be dropped when its session expired, and its work handed to
	// others while it still ran.
	if len(m.held) > 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.RebalanceTimeout)
		m.revoke(sctx, m.held.clone())
		cancel()
	}
	m.stopHeartbeat()
	if m.memberID != "" {
		if err := m.conn.leave(m.memberID); err != nil && !errors.Is(err, sarama.ErrUnknownMemberId) {
			m.log.Warn("cannot leave the group; the coordinator drops the member when its session expires", "err", err)
		} else {
			m.log.Info("left group", "member", m.memberID)
		}
	}
	m.conn.close()
	m.setStatus(Generation{ID: -1}, "")
}
