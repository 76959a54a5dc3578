package validation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

// NullValueMessage is Kafka Connect's error for a key whose value was given
// as JSON null.
const NullValueMessage = "Null value can not be supplied as the configuration value."

// hidden is what secrets read as, as in Kafka.
const hidden = "[hidden]"

// Validator validates connector configurations against the plugins of a
// registry. Build it with [New]; it is read-only afterwards and safe for
// concurrent use.
type Validator struct {
	reg      *connectors.Registry
	resolver *configs.Resolver
	source   *configs.Def
	sink     *configs.Def
}

// New returns a Validator for the plugins of reg. resolver, when not nil,
// replaces config-provider placeholders before validation, as Kafka Connect
// does; the resolved values are treated as secrets and never shown. With a
// nil resolver, values are validated as given.
func New(reg *connectors.Registry, resolver *configs.Resolver) *Validator {
	if reg == nil {
		panic("validation: New: nil registry")
	}
	return &Validator{reg: reg, resolver: resolver, source: configs.SourceConnectorDef(), sink: configs.SinkConnectorDef()}
}

// Registry returns the registry the validator looks plugins up in.
func (v *Validator) Registry() *connectors.Registry { return v.reg }

// FrameworkDef returns the framework's keys for a connector of type t
// (source or sink; anything else gets the keys common to both). The Def is
// shared: combine it with others through configs.Merge, never modify it.
func (v *Validator) FrameworkDef(t connectors.PluginType) *configs.Def {
	switch t {
	case connectors.PluginSource:
		return v.source
	case connectors.PluginSink:
		return v.sink
	}
	return configs.ConnectorDef()
}

// Connector looks up the source or sink plugin named by a connector.class
// value. The error is an [*Error] of kind ErrUnknownConnector carrying
// Kafka Connect's message.
func (v *Validator) Connector(class string) (connectors.Plugin, error) {
	name := strings.TrimSpace(class)
	p, err := v.reg.Lookup(name)
	if err == nil && (p.Type == connectors.PluginSource || p.Type == connectors.PluginSink) {
		return p, nil
	}
	var avail []string
	for _, q := range v.reg.List(connectors.PluginSource, connectors.PluginSink) {
		avail = append(avail, q.Class())
	}
	return connectors.Plugin{}, &Error{
		Kind: ErrUnknownConnector,
		Msg: fmt.Sprintf("Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
			name, strings.Join(avail, ", ")),
	}
}

// Validate checks config as Kafka Connect's validate endpoint does and
// returns the result, errors included; it fails only when the config names
// no connector (an [*Error] of kind ErrNoConnectorType or
// ErrUnknownConnector). nulls lists keys that were given as JSON null: each
// gets the error [NullValueMessage]. ctx bounds the plugin's own
// ConfigValidator and the config providers.
//
// The result's name is the connector.class value as given; its configs are
// the framework's and the plugin's keys, then the keys of each transform,
// predicate and converter named in config, then results without a
// definition for errors about other keys.
func (v *Validator) Validate(ctx context.Context, config map[string]string, nulls ...string) (configs.ConfigInfos, error) {
	class, ok := config[configs.KeyConnectorClass]
	if !ok {
		return configs.ConfigInfos{}, noConnectorType(config, nulls)
	}
	plugin, err := v.Connector(class)
	if err != nil {
		return configs.ConfigInfos{}, err
	}
	raw, secrets, resolveErrs := v.resolve(ctx, config)
	opt := configs.WithSecrets(secrets)

	def := configs.Merge(v.FrameworkDef(plugin.Type), plugin.ConfigDef)
	infos := def.ConfigInfos(class, raw, opt)

	for _, kind := range aliasKinds {
		for _, alias := range aliases(raw[kind.listKey]) {
			merge(&infos, v.aliasInfos(kind, alias, raw, secrets))
		}
	}
	for _, conv := range converterKinds {
		if sub, ok := v.converterInfos(conv, raw, secrets, &infos); ok {
			merge(&infos, sub)
		}
	}

	for _, e := range pluginErrors(ctx, plugin, raw) {
		if e == nil {
			continue
		}
		if k, ok := def.Key(e.Key); (ok && k.Type == configs.TypePassword) || secrets[e.Key] {
			if e.Kind == configs.ErrInvalidValue {
				c := *e
				c.Value = hidden
				e = &c
			}
		}
		infos.AddError(e.Key, e.Error())
	}
	for _, re := range resolveErrs {
		infos.AddError(re.Key, re.Error())
	}
	for _, k := range slices.Sorted(slices.Values(nulls)) {
		infos.AddError(k, NullValueMessage)
	}
	return infos, nil
}

// Check validates config (see [Validator.Validate]) and returns nil when no
// error was found, else an [*Error] of kind ErrInvalidConfig whose message
// is Kafka Connect's list of the errors. A herder calls it before writing a
// connector config.
func (v *Validator) Check(ctx context.Context, config map[string]string, nulls ...string) error {
	infos, err := v.Validate(ctx, config, nulls...)
	if err != nil {
		return err
	}
	if infos.ErrorCount == 0 {
		return nil
	}
	return &Error{Msg: InvalidMessage(infos), Kind: ErrInvalidConfig, Infos: &infos}
}

// InvalidMessage returns Kafka Connect's message for a config with errors:
// a count, every error message on its own line in the order of infos, and a
// pointer to the validate endpoint (whose {connectorType} is literal, as in
// Kafka).
func InvalidMessage(infos configs.ConfigInfos) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):", infos.ErrorCount)
	for _, ci := range infos.Configs {
		if ci.Value == nil {
			continue
		}
		for _, msg := range ci.Value.Errors {
			b.WriteByte('\n')
			b.WriteString(msg)
		}
	}
	b.WriteString("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	return b.String()
}

// noConnectorType builds Kafka's error for a config without connector.class,
// which prints the config as a Java map. No plugin is known, so values of
// keys that look secret by name are hidden.
func noConnectorType(config map[string]string, nulls []string) error {
	all := make(map[string]string, len(config)+len(nulls))
	maps.Copy(all, config)
	for _, k := range nulls {
		all[k] = "null"
	}
	parts := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		val := all[k]
		if looksSecret(k) && !configs.OnlyPlaceholders(val) {
			val = hidden
		}
		parts = append(parts, k+"="+val)
	}
	return &Error{
		Kind: ErrNoConnectorType,
		Msg:  "Connector config {" + strings.Join(parts, ", ") + "} contains no connector type",
	}
}

// looksSecret guesses from its name whether a key holds a secret.
func looksSecret(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "jaas")
}

// resolve replaces placeholders when a resolver is set. It returns the
// values to validate, the keys whose values are secrets (every key holding
// a placeholder) and the placeholders that could not be resolved.
func (v *Validator) resolve(ctx context.Context, config map[string]string) (map[string]string, map[string]bool, []*configs.ResolveError) {
	secrets := make(map[string]bool)
	for k, val := range config {
		if configs.HasPlaceholder(val) {
			secrets[k] = true
		}
	}
	if v.resolver == nil || len(secrets) == 0 {
		return config, secrets, nil
	}
	res, err := v.resolver.Resolve(ctx, config)
	if err != nil {
		var re *configs.ResolveError
		if errors.As(err, &re) {
			return config, secrets, []*configs.ResolveError{re}
		}
		return config, secrets, []*configs.ResolveError{{Key: configs.KeyConnectorClass, Placeholder: "", Err: err}}
	}
	for k := range res.Secrets {
		secrets[k] = true
	}
	return res.Config, secrets, nil
}

// pluginErrors runs the connector's own ConfigValidator, if any, on a copy
// of config. A panicking validator is reported as an error of
// connector.class rather than taking the process down.
func pluginErrors(ctx context.Context, p connectors.Plugin, config map[string]string) (errs []*configs.Error) {
	cv, ok := p.New().(connectors.ConfigValidator)
	if !ok {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			errs = []*configs.Error{configs.Conflict(configs.KeyConnectorClass,
				fmt.Sprintf("The connector's configuration validation failed: %v", r))}
		}
	}()
	return cv.ValidateConfig(ctx, maps.Clone(config))
}

// merge appends src's results to dst, as Kafka's mergeConfigInfos does.
func merge(dst *configs.ConfigInfos, src configs.ConfigInfos) {
	dst.ErrorCount += src.ErrorCount
	for _, g := range src.Groups {
		if !slices.Contains(dst.Groups, g) {
			dst.Groups = append(dst.Groups, g)
		}
	}
	dst.Configs = append(dst.Configs, src.Configs...)
}

// aliases splits a transforms or predicates value into unique aliases, in
// order.
func aliases(list string) []string {
	var out []string
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// withPrefix returns the keys of m that start with prefix, prefix removed.
func withPrefix(m map[string]bool, prefix string) map[string]bool {
	out := make(map[string]bool)
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

// prefixInfos renames the results of a sub-configuration (a transform's, a
// converter's) to their full keys, prefix included, in definitions, values
// and in the error messages that name the key. A non-empty group replaces
// the definitions' groups and renumbers their order, as Kafka does when it
// embeds an alias's keys.
func prefixInfos(ci configs.ConfigInfos, prefix, group string) configs.ConfigInfos {
	if group != "" {
		ci.Groups = []string{group}
	}
	order := 0
	for i := range ci.Configs {
		c := &ci.Configs[i]
		if c.Definition != nil {
			d := *c.Definition
			d.Name = prefix + d.Name
			d.Dependents = make([]string, len(c.Definition.Dependents))
			for j, dep := range c.Definition.Dependents {
				d.Dependents[j] = prefix + dep
			}
			if group != "" {
				g := group
				d.Group = &g
				d.Order = order
				order++
			}
			c.Definition = &d
		}
		if c.Value != nil {
			val := *c.Value
			key := val.Name
			val.Name = prefix + key
			val.Errors = make([]string, len(c.Value.Errors))
			for j, msg := range c.Value.Errors {
				val.Errors[j] = prefixMessage(msg, key, prefix)
			}
			c.Value = &val
		}
	}
	return ci
}

// prefixMessage rewrites the key named in one of configs' standard error
// messages to its prefixed form. Free-form messages are kept.
func prefixMessage(msg, key, prefix string) string {
	if missing := fmt.Sprintf("Missing required configuration %q which has no default value.", key); msg == missing {
		return fmt.Sprintf("Missing required configuration %q which has no default value.", prefix+key)
	}
	if !strings.HasPrefix(msg, "Invalid value ") {
		return msg
	}
	marker := " for configuration " + key
	i := strings.Index(msg, marker)
	if i < 0 {
		return msg
	}
	after := msg[i+len(marker):]
	if after != "" && after[0] != ':' {
		return msg
	}
	return msg[:i] + " for configuration " + prefix + key + after
}

// invalidClass renders Kafka's error for a CLASS key naming no usable
// plugin.
func invalidClass(key, value, reason string) string {
	return (&configs.Error{Key: key, Value: value, Reason: reason, Kind: configs.ErrInvalidValue}).Error()
}
