// Package broker is a single-node broker that speaks Kafka's wire protocol,
// so existing Kafka clients work against it unchanged.
//
// A Server accepts TCP connections; each connection reads request frames,
// decodes them with franz-go's kmsg and hands them to the handler registered
// for the API key (one file per API, each calling register from init, which
// is also where ApiVersions gets its ranges). Responses leave in request
// order, but a request that must wait — acks=all for its fsync, a fetch for
// new data — does not stop the connection from reading the next one.
//
// Topics live in a registry that persists their metadata under
// <data-dir>/meta and keeps one broker/log.Log per partition in
// <data-dir>/<topic>-<partition>. The one thing to know: the broker never
// re-encodes record batches; it validates them and stores the producer's
// bytes, and fetches return those bytes.
//
// Consumer groups are coordinated by broker/group's state machines, one per
// group; groups.go feeds them requests and timeouts, parks JoinGroup and
// SyncGroup answers until a rebalance decides them, and persists group
// metadata and committed offsets in the compacted __consumer_offsets topic
// in Kafka's record formats, from which they are restored on start.
package broker
