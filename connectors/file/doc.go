// Package file holds the file connectors, compatible with Kafka's
// FileStream connectors: a sink that appends record values to a file, one
// line each, and a source that publishes the lines of a file. They register
// themselves through the public plugin API as "file-sink" (alias
// org.apache.kafka.connect.file.FileStreamSinkConnector, so also
// FileStreamSinkConnector and FileStreamSink) and "file-source" (alias
// org.apache.kafka.connect.file.FileStreamSourceConnector); import the
// package for its side effect.
//
// # Sink
//
// Keys: file (empty, the default, means the standard output) plus the
// framework's topics or topics.regex. Each value becomes one line: strings
// and bytes as they are, null as "null", anything else (structs, maps,
// arrays, numbers, booleans, logical types) as compact JSON in the shape
// JsonConverter with schemas.enable=false gives, struct fields in schema
// order. The file is opened in append mode and created if missing. Put
// formats its batch into a reused buffer and writes it with one system
// call; PreCommit, which the runtime calls before committing consumer
// offsets, fsyncs, so committed offsets never run ahead of the file.
//
// # Source
//
// Keys: file and topic (both required) and batch.size (2000). One task
// reads the file line by line (\n or \r\n, not part of the value) and
// publishes each line as a string value with no key, then follows appends,
// looking again every 250ms at the end of the file; a last line without its
// newline waits for it. The source partition is {"filename": path} and the
// offset {"position": bytes}: the byte offset after the line, from which a
// restarted task resumes. A file that shrinks below the position
// (truncation) or is replaced at its path is read again from the start.
//
// The one thing to know: the sink's durability point is PreCommit's fsync,
// not Put; lines written after the last commit may be written again after a
// crash (at-least-once), never lost.
package file
