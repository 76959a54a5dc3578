// Package configs describes, parses and validates configuration the way
// Kafka Connect does, so that one declaration per component drives parsing,
// the REST validate endpoint and generated documentation.
//
// A [Def] is an ordered list of [Key] definitions (name, type, default,
// importance, documentation, group, validator …), the Go counterpart of
// Kafka's ConfigDef. [Def.Parse] turns a flat map[string]string into typed
// [Values] and fails with Kafka Connect's error texts; [Def.Validate] instead
// reports every problem per key, and [Def.ConfigInfos] and [Def.KeyInfos]
// render the results as the JSON entities of Kafka Connect's REST API
// (ConfigInfos, ConfigKeyInfo).
//
// The package also holds the framework's own definitions (the connector-level
// keys of [ConnectorDef], [SourceConnectorDef] and [SinkConnectorDef], and the
// worker keys of [WorkerDef]), a reader for Java .properties files
// ([ParseProperties]) and a [Resolver] for KIP-297 config-provider
// placeholders such as ${env:VAR} and ${file:/path:key}.
//
// The one thing to know: every value arrives as a string, exactly as Kafka
// Connect receives it over REST or from a properties file, and is only turned
// into a typed value by a Def. Values resolved from config providers are
// secrets: pass [Resolved.Secrets] through [WithSecrets] so that errors and
// validation results never show them.
//
// The config [Store] keeps connector and task configs, target states and
// restart requests on Kafka Connect's compacted config topic, in its record
// format; it is the one part of the package that depends on the rest of
// Conflux (internal/kafkalog, which mirrors a compacted topic). Everything
// else here imports nothing from Conflux.
package configs
