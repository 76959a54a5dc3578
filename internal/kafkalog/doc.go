// Package kafkalog keeps a compacted Kafka topic mirrored in memory: the
// building block of the worker's internal stores (connector configs, source
// offsets, statuses), like Kafka Connect's KafkaBasedLog.
//
// [Open] creates the topic if it is missing (always with
// cleanup.policy=compact, and refuses an existing topic that is not compacted),
// then consumes every partition from the beginning and hands each record to an
// apply function: in offset order within a partition, one call at a time.
// [Log.Write] produces records (acks=all, idempotent where the cluster allows,
// keys partitioned with Java's murmur2 exactly as Kafka's Java client does) and
// returns once they are acknowledged and applied locally. [Log.ReadToEnd]
// blocks until everything that was in the topic when it was called has been
// applied.
//
// The one thing a newcomer must know: the apply function is the only way data
// gets into a store. Writers never update their state directly; they write and
// read their own write back, so every worker sharing a topic sees the same
// sequence of changes. Read to the end before acting on a store's state.
//
// The package talks to Kafka only through the Kafka protocol (sarama), so it
// works against Conflux's broker and any Kafka cluster alike. [MemoryTopic] and
// [MemoryLog] offer the same contract without a broker, for tests and
// single-process setups.
package kafkalog
