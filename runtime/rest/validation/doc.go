// Package validation checks a connector configuration against the plugins of
// a [connectors.Registry] the way Kafka Connect's herder does, and renders
// the result as the REST API's ConfigInfos entity.
//
// A [Validator] combines the framework's connector keys
// ([configs.SourceConnectorDef] or [configs.SinkConnectorDef]) with the
// connector plugin's own [configs.Def], adds the keys of every transform
// alias (transforms.<alias>.type, .predicate, .negate and the transform's
// own keys), every predicate alias and every converter named in the config
// (key.converter.* …), and finally runs the plugin's
// [connectors.ConfigValidator] when it implements one. It serves the REST
// endpoint PUT /connector-plugins/{plugin}/config/validate, and the herder
// uses [Validator.Check] before it writes a connector config, so that both
// report the same errors with Kafka Connect's texts.
//
// The package imports only configs and connectors, so the worker (package
// runtime) can use it as well as the REST API.
//
// The one thing to know: values that contain config-provider placeholders
// (${env:X}) are secrets once resolved, and PASSWORD keys are always secrets.
// Validation results show "[hidden]" for both, and [Validator.Mask] hides
// literal passwords in configs the REST API returns, while keeping the
// placeholders as they were stored.
package validation
