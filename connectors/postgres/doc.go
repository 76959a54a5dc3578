// Package postgres is Conflux's Postgres change-data-capture source, a
// stand-in for Debezium's PostgreSQL connector: the same configuration keys,
// the same change events (before, after, source, op, ts_ms), the same keys
// and topics, so Debezium consumers read its output unchanged.
//
// A task first snapshots the captured tables, then streams their changes
// through a logical replication slot with the built-in pgoutput plugin
// (jackc/pglogrepl over pgx). When the task creates the slot, the snapshot
// reads the slot's exported snapshot and streaming starts at the slot's
// consistent point, so the two join with no gap and no duplicate.
//
// The one thing to know: Postgres learns that a change was consumed only
// from the task's Commit, and only up to the offset the runtime has stored
// in the offsets topic; the received LSN is never acknowledged. To make
// that offset a safe restart point, every record carries in lsn_commit the
// end of the last transaction all of whose records precede it: the last
// record of a transaction is held back until its commit message arrives and
// then carries that transaction's own end.
package postgres
