// Package cluster is a worker's membership in its Kafka Connect cluster:
// the group protocol Kafka Connect's distributed workers speak, and the
// assignment of connectors and tasks over the workers.
//
// Every worker joins the Kafka group group.id with protocol type "connect"
// through the group coordinator of the cluster it uses (Conflux's own
// broker or any Kafka cluster), with plain JoinGroup, SyncGroup, Heartbeat
// and LeaveGroup requests. The coordinator elects a leader; the leader
// decides who runs what and hands every worker its assignment through
// SyncGroup. Nothing in this package talks to the broker in Go: it speaks
// the Kafka protocol (sarama), so a Conflux worker and a Kafka Connect
// worker can share a group.
//
// The package has three layers:
//
//   - Codecs ([WorkerMetadata], [Assignment]) for the bytes carried inside
//     JoinGroup and SyncGroup, identical to Kafka Connect's. Three
//     sub-protocols are offered, most preferred first: "sessioned" (v2),
//     "compatible" (v1) and "default" (v0, eager); connect.protocol=eager
//     offers only "default", compatible offers compatible and default,
//     sessioned all three. The coordinator picks the first one every
//     member offers. Conflux does not implement KIP-507's signed internal
//     requests yet: "sessioned" differs from "compatible" only in its
//     version number, so workers that verify request signatures must not
//     share a group with Conflux.
//   - The [Assignor], a state machine without I/O run by the leader: a
//     rebalance round in, every member's assignment out. Eager rounds hand
//     out everything afresh; incremental cooperative rounds (v1+) keep work
//     where it runs, revoke what must move, and hold a departed worker's
//     work for scheduled.rebalance.max.delay.ms.
//   - The [Member], the I/O loop of one worker, which calls the worker's
//     [Handler] when work must stop or start.
//
// The one thing a newcomer must know: under the incremental protocols an
// assignment on the wire is a change (what to start, what to stop), and a
// worker's metadata tells the leader what it already runs. The Member keeps
// that running total and always hands the Handler the whole of it; a worker
// stops only what Revoked names, and never anything else because of a
// rebalance. Work moves in two rounds: revoked from one worker in the
// first, given to another in the next, which the revoking worker starts
// once it has stopped the work.
package cluster
