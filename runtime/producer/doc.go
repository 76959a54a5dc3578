// Package producer is the source tasks' Kafka producer: it batches records
// per partition and sends them with sarama's broker connections and
// protocol types, idempotently and with acks=all by default.
//
// sarama's AsyncProducer hands every message through four goroutines and
// channels (input, dispatcher, topic, partition, broker) before it is
// batched, and back through another to report it; at hundreds of
// thousands of records a second those hand-offs cost more CPU than the
// encoding. Here Send appends a message to its partition's queue under a
// lock, and a single sender goroutine takes whole batches from the queues,
// sends them and reports each message to a callback, in order.
//
// Batching follows Kafka's producer: a partition's records wait up to
// linger (sarama's Producer.Flush.Frequency, linger.ms) for company unless
// batch.size bytes (Producer.Flush.Bytes) are ready; a batch that is not
// full also waits while its partition has a request in flight, and grows. Each batch carries the producer id, epoch
// and sequence number of the idempotent producer (KIP-98), so a batch
// retried after a lost response is written once. A partition has up to
// Net.MaxOpenRequests batches in flight (max.in.flight.requests.per.connection,
// at most five, one without idempotence); its answers are settled in the
// order the batches were sent, and when one fails the later ones, which the
// broker then refuses as out of sequence, are sent again behind it, so the
// records stay in order across retries.
// Retriable errors (leader moves, timeouts, lost connections) are retried
// Producer.Retry.Max times with a backoff doubling from
// Producer.Retry.Backoff up to a second, refreshing metadata in between;
// other errors and exhausted retries are reported for each record.
package producer
