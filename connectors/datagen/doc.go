// Package datagen is the datagen source connector: it generates mock
// records, compatible with Confluent's kafka-connect-datagen (same class
// name, configuration keys, quickstarts, key fields and source offsets).
// It registers itself as "datagen", alias
// io.confluent.kafka.connect.datagen.DatagenConnector, through the public
// plugin API like any third-party plugin; import it for its side effect.
//
// # Configuration
//
// kafka.topic (required) names the target topic. Exactly one of quickstart,
// schema.string and schema.filename says what to generate. schema.keyfield
// names the top-level field whose value, as a string, becomes the record
// key (default: the quickstart's key field; none, i.e. null keys, for a
// custom schema). iterations limits the records per task, restarts
// included; random.seed makes the output reproducible.
//
// Pacing: rate (records per second per task, evenly spaced) takes
// precedence over max.interval when set; rate=-1 means as fast as possible.
// Otherwise each record waits a random time in [0, max.interval)
// milliseconds, as in Confluent's connector (default 500, about 4 records
// a second); max.interval=0 means as fast as possible. Unthrottled, a Poll
// returns 1000 records at once; throttled, every record that is due.
//
// Values are [connectors.Struct]s whose schema is named after the Avro
// record (ksql.users, ksql.pageviews …), so JsonConverter with
// schemas.enable writes Kafka Connect's schema and payload envelope.
//
// # Quickstarts
//
// users, pageviews, orders, ratings, clickstream, stock_trades, inventory,
// product, purchases and transactions, with Confluent's fields, types, key
// fields and value distributions. They are Avro schemas with arg.properties
// hints (see quickstarts/), run by the same engine as user schemas.
//
// # Schemas
//
// schema.string (or the file named by schema.filename) holds JSON in one of
// two formats. An object with "type": "record" is an Avro schema with
// avro-random-generator's arg.properties hints, as Confluent's connector
// takes: options, range ({min, max}, max exclusive), regex, iteration
// ({start, step, restart}), length (number or {min, max}, max exclusive),
// odds (booleans) and keys (map keys). Records, enums, arrays, maps, unions
// of null with one type and timestamp-millis longs are supported.
//
// Anything else is Conflux's native format:
//
//	{
//	  "name": "person",
//	  "fields": [
//	    {"name": "id",    "type": "int64",     "generator": "{number:1,1000}"},
//	    {"name": "name",  "type": "string",    "generator": "{firstname} {lastname}"},
//	    {"name": "ts",    "type": "timestamp", "generator": "now"},
//	    {"name": "seq",   "type": "int64",     "generator": "iteration"},
//	    {"name": "tier",  "type": "string",    "options": ["gold", "silver"]},
//	    {"name": "score", "type": "double",    "range": {"min": 0, "max": 100}},
//	    {"name": "code",  "type": "string",    "regex": "[A-Z]{3}-[0-9]{4}"},
//	    {"name": "nick",  "type": "string",    "optional": true, "null_odds": 0.2, "generator": "{username}"},
//	    {"name": "addr",  "type": "struct",    "fields": [{"name": "city", "type": "string", "generator": "{city}"}]}
//	  ]
//	}
//
// "name" (optional) is the value schema's name. Field types are string,
// int32 (int), int64 (long), float32 (float), float64 (double), boolean,
// bytes, timestamp (Connect's Timestamp: epoch milliseconds) and struct
// (with "fields"). A field has at most one generator:
//
//   - "generator": a gofakeit template: {function} or {function:params}
//     calls a gofakeit lookup function (firstname, email, number:1,10,
//     randomstring:[a,b,c] …), '#' is a random digit and '?' a random
//     lower-case letter. The text is converted to the field's type, so
//     {number:1,1000} fills an int64. Two keywords are not templates:
//     "iteration" counts 0, 1, 2 … per task and "now" is the current time.
//   - "options": a list of values, drawn uniformly.
//   - "range": {"min", "max"}: integers and timestamps (epoch ms) in
//     [min, max] inclusive, floats in [min, max).
//   - "regex": a string matching an RE2 pattern.
//   - "iteration": {"start", "step", "restart"}: start + step×n for the
//     n-th record of the task, wrapping to start before reaching restart.
//
// Without one, a field gets random data of its type ("length" sets the
// size of strings and bytes, "odds" the chance of true for booleans).
// "optional": true makes the field nullable; "null_odds" is the chance of
// null. Unknown keys are errors, so that typos do not pass silently.
//
// Schemas are checked when the connector is validated or created: the
// schema is compiled and a few records are generated, so a template that
// cannot fill its field fails there with a message naming the field.
//
// # Determinism and offsets
//
// Task n's seed is random.seed + n (a random seed when random.seed is
// null). Record i of a task is generated from a random stream reseeded
// from (seed, i), so it depends on nothing else: two tasks with the same
// configuration produce identical sequences, and a restarted task resumes
// in O(1) by setting i. The source partition is {"task.id": n}, and the
// last record of each poll carries the offset {"task.generation": g,
// "current.iteration": i+1, "random.seed": seed} (Confluent's keys): the
// state the next lifetime starts from. (Confluent's connector gives every
// record one; the runtime commits a poll's offset once all of its records
// are acknowledged, so a restart resumes after the last poll Kafka holds
// whole, and one offset per poll saves a map per record.) A stored seed
// wins over random.seed, so a restarted task continues its sequence.
// Generators that read the clock (now, and gofakeit functions relative
// to the current date) are not reproducible.
//
// # Differences from Confluent's connector
//
// Reaching iterations leaves the task RUNNING and idle instead of failing
// it. The per-record headers task.generation, task.id and
// current.iteration are not sent. rate is an addition. Regex draws follow
// the pattern's structure, as gofakeit's do: each repetition count and each
// alternative is equally likely, so User_[1-9]{0,1} gives "User_" half the
// time.
//
// The one thing to know: generation must stay well under a microsecond per
// record (the runtime targets 300,000 records/s end to end on two cores),
// so everything is compiled once per schema; patterns that match few
// strings are enumerated once and drawn from, allocating nothing.
package datagen
