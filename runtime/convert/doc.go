// Package convert holds Conflux's built-in converters, which turn Connect
// data (a connectors.Schema and a Go value) into the bytes stored in Kafka
// and back, in Kafka Connect's wire formats:
//
//   - [JSONConverter] (org.apache.kafka.connect.json.JsonConverter): JSON,
//     with or without the {"schema":…,"payload":…} envelope;
//   - [StringConverter] (org.apache.kafka.connect.storage.StringConverter):
//     text;
//   - [ByteArrayConverter]
//     (org.apache.kafka.connect.converters.ByteArrayConverter): bytes as
//     they are.
//
// Each registers itself in the connectors registry from this package's init
// function, as a third-party converter would, with the Kafka class name as
// alias; each also works as a header converter. Importing the package (the
// runtime does) makes them available.
//
// The one thing to know: the JSON converter is on the hot path of every
// record, so its writer appends to a byte slice by hand and caches, per
// *connectors.Schema pointer, the schema's JSON and an encoding plan. Reuse
// schema pointers across records (build schemas once) to benefit, and never
// modify a schema after first use.
package convert
