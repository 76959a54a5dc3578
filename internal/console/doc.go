// Package console holds the logic behind Conflux's console tools: topic
// administration (create, list, describe, delete, alter configs), the console
// producer that turns lines of text into records, and the console consumer that
// prints records with a template or as JSON lines.
//
// Everything here talks to the broker only through the Kafka protocol, using
// sarama, so the same tools work against Conflux's broker and against any Kafka
// cluster. Keyed records are partitioned with Java's murmur2 rule, so a key
// lands on the same partition as it would with Kafka's Java client.
//
// The console consumer prints whatever a messageSource delivers: one sarama
// partition consumer per partition, merged, or with --group a
// sarama.ConsumerGroup member (groupSource) whose records are marked once
// printed and committed every second and on exit. GroupAdmin (groups.go,
// group_reset.go) does the kafka-consumer-groups job.
//
// The cobra commands in cmd/conflux parse flags, fill in the option structs of
// this package and call Run; they hold no logic of their own. Errors the broker
// returns are converted to *BrokerError, which names the Kafka error (for
// example INVALID_REPLICATION_FACTOR) and carries the broker's own message.
package console
