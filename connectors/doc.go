// Package connectors is Conflux's public plugin API: what a connector,
// converter, transformation or predicate implements, the data it exchanges
// with the runtime, and the registry through which it becomes available by
// name. It follows Kafka Connect's API, in Go.
//
// Data. A [Record] carries a key and a value, each with an optional
// [Schema], plus headers, a topic and a timestamp; source records carry a
// source partition and offset, sink records their Kafka partition and
// offset. Schemas are built with [SchemaBuilder] (or are one of the
// predefined schemas such as [StringSchema]); structured values are
// [*Struct]s. The Go type of a value follows its schema's [Type]: int32 for
// INT32, []any for ARRAY, time.Time for the Date, Time and Timestamp logical
// types, [Decimal] for Decimal, and so on.
//
// Plugins. A source is a [SourceConnector] that splits the work into task
// configurations and a [SourceTask] that polls records; a sink is a
// [SinkConnector] and a [SinkTask] that receives records. [Converter] and
// [HeaderConverter] turn Connect data into bytes and back;
// [Transformation] and [Predicate] change records on the way. Each
// interface documents its call order, which calls may run concurrently, and
// what its context covers.
//
// Registration. A plugin package registers a [Plugin] (name, Kafka class
// aliases, type, version, [configs.Def] and constructor) from its init
// function with [Register], exactly as a third-party plugin would; the
// runtime finds it with [Lookup] by short name, class name or simple class
// name, with or without the type suffix:
//
//	func init() {
//		connectors.Register(connectors.Plugin{
//			Name:      "datagen",
//			Aliases:   []string{"io.confluent.kafka.connect.datagen.DatagenConnector"},
//			Type:      connectors.PluginSource,
//			Version:   "1.0.0",
//			ConfigDef: configDef,
//			New:       func() any { return &Connector{} },
//		})
//	}
//
// The one thing to know: records, schemas and structs are shared between
// the task, the transforms and the converters without copying, so once
// handed over they are never modified in place; derive changed copies with
// [Record.Copy], [Schema.Copy] and [Struct.Copy].
package connectors
