// Package perf holds the logic of "conflux perf produce" and "conflux perf
// consume", Conflux's counterparts of Kafka's ProducerPerformance and
// ConsumerPerformance tools.
//
// The producer sends fixed-size records as fast as sarama allows or at a set
// rate, measures each record's latency from send to acknowledgement, and
// reports throughput, latency percentiles and the client's own CPU time, so
// that a slow run can be blamed on the broker or on the client. The consumer
// reads a number of records from the start of a topic and reports
// throughput.
//
// The one thing to know: latency is recorded for every record, not a sample,
// in a log-linear Histogram with constant memory; producer messages are
// pooled and reused, so the measuring itself allocates nothing per record.
package perf
