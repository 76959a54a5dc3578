// Package connectcli is the logic behind `conflux connector`: a client of
// Kafka Connect's REST API ([Client]), the reading of connector files
// ([ReadConnectorSpec], [ReadOffsets]) and the printing of results as
// tables or JSON ([CLI] and the Write functions). It speaks only the REST
// API, so it drives Conflux and a Kafka Connect worker alike.
//
// The cobra commands in cmd/conflux parse flags, build a Client and a CLI
// and call one CLI method per subcommand; they hold no logic of their own.
//
// Connector files are Java .properties files (as Kafka Connect's
// standalone mode takes) or JSON in either of Kafka Connect's shapes: the
// create request {"name":…,"config":{…}} or a flat config. `create` sends
// POST /connectors, which fails if the connector exists, like `kubectl
// create`; `create --update` sends PUT /connectors/{name}/config, which
// creates or replaces, like `kubectl apply`, and is the one to use in
// scripts that re-run.
//
// The one thing to know: Kafka Connect answers 409 both while its cluster
// rebalances, which passes and must be retried, and when a created
// connector exists, which must not; only the message tells them apart
// over HTTP, so [Client.Do] retries every 409 but the latter.
package connectcli
