// Package transforms holds Conflux's single message transforms (SMTs) and
// predicates: Kafka Connect's built-in set, under Kafka's class names, and
// two expression transforms, filter and map, that compute with
// expr-lang/expr what Kafka users otherwise write Java for.
//
// Every plugin registers itself with the connectors registry from an init
// function, so GET /connector-plugins lists it and the validate endpoint
// checks its keys. Transforms with Kafka's $Key and $Value variants are
// written once over a [side] and registered twice.
//
// The one thing to know: a transform never modifies its input. It returns
// the record itself when nothing changes, or a Copy with a new key or value;
// Structs and schemas are shared between records and are rebuilt, never
// edited. Schemas derived from an input schema are cached per transform
// instance, so a stream of records with the same schema costs one schema
// build.
package transforms
