// Package status keeps the runtime state of every connector and task, and the
// topics each connector has used, on the compacted status topic
// (status.storage.topic, connect-status with 5 partitions by default) in Kafka
// Connect's record format, so that Kafka Connect workers and Conflux read each
// other's statuses.
//
// Records, keyed by UTF-8 strings and valued by JSON without a schema
// envelope:
//
//	status-connector-<name>                {"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":3}
//	status-task-<name>-<n>                 the same
//	status-topic-<topic>:connector-<name>  {"topic":{"name":"<topic>","connector":"<name>","task":0,"discoverTimestamp":<ms>}}
//
// A null value (tombstone) removes the status: a connector's and its tasks'
// when it is deleted (the DESTROYED state is only ever written that way), a
// topic's when the connector's active topics are reset.
//
// [Store] mirrors the topic in memory and answers reads from the mirror:
// [OpenStore] backs it with a Kafka topic, [NewMemoryStore] with an in-process
// one; both follow one contract, checked by one conformance suite. Writes
// come in three flavours: Put (unconditional), PutSafe (skipped when another
// worker of a later group generation owns the status, as Kafka Connect's
// putSafe) and their Async forms, which return at once and report through a
// callback. All writes go through one writer per store, which keeps the
// writes of each key in call order and batches the writes of different keys
// into one produce round trip, so that status changes of many tasks cost
// little.
//
// The one thing to know: the store's content changes only when records are
// read back from the topic, never when a write is issued. A successful Put
// returns after its record is acknowledged and read back, so the caller sees
// its own write; what other workers wrote becomes visible as the topic is
// consumed ([Store.Sync] reads to the end). Records that cannot be parsed are
// skipped with a warning and leave the previous status in place.
//
// This package imports nothing from conflux/runtime, which builds on it.
package status
