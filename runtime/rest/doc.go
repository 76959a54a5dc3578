// Package rest serves Kafka Connect's REST API over a runtime.Herder: the
// same paths, JSON entities, status codes and error body
// ({"error_code":<status>,"message":"…"}), so that curl recipes, the
// Confluent CLI, Terraform providers, UIs and other existing tooling work
// unchanged against Conflux.
//
// [New] builds the API as an http.Handler on chi; [Server] serves it with a
// soft-then-hard shutdown. Endpoints:
//
//	GET    /                                   version, commit, kafka_cluster_id
//	GET    /health                             200 healthy, 503 starting, 500 unhealthy
//	GET    /metrics                            Prometheus metrics (Config.Metrics)
//	GET    /ui                                 the web console (Config.UI, package ui)
//	GET    /connectors                         ?expand=status&expand=info
//	POST   /connectors                         201 + Location
//	GET    /connectors/{c}                     DELETE: 204
//	GET    /connectors/{c}/config              PUT: 201 + Location or 200; PATCH: 200
//	GET    /connectors/{c}/status
//	POST   /connectors/{c}/restart             ?includeTasks&onlyFailed: 204, or 202 + status
//	PUT    /connectors/{c}/pause|resume|stop   202, 202, 204
//	GET    /connectors/{c}/tasks               and the deprecated /tasks-config
//	GET    /connectors/{c}/tasks/{t}/status    POST /connectors/{c}/tasks/{t}/restart: 204
//	GET    /connectors/{c}/topics              PUT /connectors/{c}/topics/reset: 202
//	GET    /connectors/{c}/offsets             PATCH, DELETE: 200 + message
//	GET    /connector-plugins                  ?connectorsOnly=false
//	GET    /connector-plugins/{p}/config       PUT /connector-plugins/{p}/config/validate
//	GET    /admin/loggers[/{name}]             PUT /admin/loggers/{name} (Config.AdminEnabled)
//
// Every Herder call is bounded by Config.RequestTimeout (90 s, as in Kafka
// Connect), after which the API answers 500 "Request timed out". Herder
// errors are mapped with errors.Is on runtime's sentinels (see
// herderError): ErrNotFound 404 with Kafka's per-endpoint text,
// ErrAlreadyExists and ErrConflict 409, ErrBadRequest 400, ErrForbidden
// 403, ErrNotReady 503; anything else is a logged 500.
//
// Connector configs are validated by package validation: the validate
// endpoint calls it directly, and the herder is expected to call
// validation.Validator.Check before writing a config, returning its error
// wrapped in runtime.ErrBadRequest; the API shows that error's message
// (Kafka's multi-line "Connector configuration is invalid…") as is.
//
// Departures from Kafka Connect, all deliberate: values of PASSWORD keys
// (the plugin's, its transforms' and converters', and Kafka client
// passwords under *.override.) read "[hidden]" in every config the API
// returns, where Kafka returns them in plaintext; values made only of
// config-provider placeholders are returned as stored, since they hold no
// secret. Malformed JSON is a 400 that says what is wrong and where (Kafka
// answers 500). Requests are accepted whatever their Content-Type.
//
// The one thing to know: the API keeps no state of its own and never
// blocks at startup, so GET / answers as soon as the listener is bound,
// long before the herder has joined its cluster; /health tells when the
// worker is ready. Request bodies are never logged: they hold secrets.
package rest
