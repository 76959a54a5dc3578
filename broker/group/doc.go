// Package group is the state machine of Kafka's classic consumer-group
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit), for
// any protocol type: Kafka consumers, Kafka Connect workers and others.
//
// A Group does no I/O, starts no goroutines and reads no clock. Like etcd
// raft's RawNode it takes events — a request with the current time, or
// Tick(now) when its Deadline has passed — and returns decisions as
// Actions: JoinReply and SyncReply answer requests that had to wait,
// StoreGroup, StoreOffsets, DeleteGroup and DeleteOffsets ask for records
// in __consumer_offsets. Requests answered on the spot (Heartbeat,
// LeaveGroup, OffsetCommit) return their results directly. The broker owns
// the sockets, the timer and the log; tests drive a Group with a fake clock.
//
// The one rule a caller must keep: a reply must not reach a client before
// every persistence action returned before it — in the same call or an
// earlier one — is durable. (A follower's SyncGroup answer, for instance,
// follows the StoreGroup of the leader's assignment.)
//
// # States
//
//	Empty ──join──▶ PreparingRebalance ──all rejoined / rebalance timeout──▶ CompletingRebalance
//	  ▲                    ▲    │                                                   │
//	  │                    │    └──no member left──▶ Empty                     leader's SyncGroup
//	  │                    │                                                        ▼
//	  └── DeleteGroups ──▶ Dead          join, leave, expiry ◀───────────────── Stable
//
// In detail:
//
//   - PreparingRebalance parks JoinGroups until every member has rejoined
//     and no member handed an id by MEMBER_ID_REQUIRED is still expected,
//     or until the longest rebalance timeout of the members passes; dynamic
//     members that did not rejoin are then dropped. An Empty group's first
//     rebalance waits Config.InitialRebalanceDelay first, extended by the
//     same delay while members keep joining, up to the rebalance timeout
//     (Kafka's InitialDelayedJoin). Heartbeats get REBALANCE_IN_PROGRESS;
//     commits of the old generation are still accepted.
//   - CompletingRebalance parks followers' SyncGroups until the leader's
//     assignment arrives; commits get REBALANCE_IN_PROGRESS, heartbeats
//     succeed (Kafka ≥ 2.x: clients heartbeat once their JoinGroup is
//     answered). Members that send no SyncGroup within the rebalance timeout
//     are dropped and the group rebalances.
//   - Stable: a leave, a session expiry, a join from the leader or a join
//     with changed protocols starts a rebalance; other joins get the current
//     generation.
//
// Only the leader's JoinGroup answer lists the members. The protocol is
// the one most members prefer among those all of them support
// (INCONSISTENT_GROUP_PROTOCOL for a joiner sharing none). A member whose
// session timeout passes without a heartbeat is removed, except while its
// JoinGroup or SyncGroup is parked — the rebalance and sync timeouts bound
// those — and except a brand-new member, bounded by NewMemberJoinTimeout.
//
// Static members (group.instance.id) that rejoin without a member id take a
// new member id; requests still parked under the old id are answered with
// FENCED_INSTANCE_ID, as is any later request using it. In a Stable group an
// instance rejoining with exactly the protocols it had keeps the generation
// and its assignment: no rebalance (a changed subscription does rebalance,
// so the leader sees it).
//
// A group never forgets its committed offsets on its own: Restore brings a
// group back Empty, at its last generation, with its offsets; ExpireOffsets
// applies offsets.retention.minutes.
package group
