// Package offsets stores source connectors' offsets the way Kafka Connect
// does, so that a Kafka Connect worker and Conflux can read each other's: one
// record per (connector, source partition) on the compacted offsets topic
// (connect-offsets, 25 partitions by default), keyed by the compact JSON array
// ["<connector>",{<source partition>}] and valued by the source offset as a
// JSON object, a null value (tombstone) removing it.
//
// [Store] keeps the topic's content in memory and writes through it:
// [OpenStore] backs it with a Kafka topic, [NewMemoryStore] with an in-process
// topic for tests and brokerless setups; both follow one contract, checked by
// one conformance suite. [OffsetWriter] is what a source task uses: it
// remembers the offset of every record the task hands to the producer and,
// on Flush, writes for each source partition the latest offset all of whose
// records (and every earlier record of that partition) Kafka has
// acknowledged. It also serves KIP-875's offset endpoints
// ([Store.ConnectorOffsets], [Store.Alter], [Store.Reset]).
//
// The one thing to know: keys are JSON, and JSON has no canonical form. Conflux
// writes object keys sorted and without HTML escaping; a Java worker writes
// them in its map's order. Readers therefore parse every key and index it by a
// normalised form ([KeyOf]), so lookups find an offset whichever worker wrote
// it. Numbers read back as int64 when integral and float64 otherwise, as Kafka
// Connect's JsonConverter yields Long and Double.
package offsets
