package validation

import (
	"maps"
	"strings"

	"conflux/configs"
)

// clientOverridePrefixes are the prefixes of Kafka client settings in a
// connector config.
var clientOverridePrefixes = []string{"producer.override.", "consumer.override.", "admin.override."}

// clientPasswords are the PASSWORD-type settings of Kafka's clients.
var clientPasswords = []string{
	"sasl.jaas.config",
	"ssl.key.password",
	"ssl.keystore.password",
	"ssl.keystore.key",
	"ssl.keystore.certificate.chain",
	"ssl.truststore.password",
	"ssl.truststore.certificates",
	"sasl.oauthbearer.client.credentials.client.secret",
}

// PasswordKeys returns the keys of config whose definitions have type
// PASSWORD: the connector plugin's, those of the transforms, predicates and
// converters it names, and the password settings of Kafka clients under
// producer.override., consumer.override. and admin.override.. An unknown
// connector.class contributes no keys.
func (v *Validator) PasswordKeys(config map[string]string) map[string]bool {
	out := make(map[string]bool)
	addDef := func(prefix string, d *configs.Def) {
		if d == nil {
			return
		}
		for _, k := range d.Keys() {
			if k.Type == configs.TypePassword {
				out[prefix+k.Name] = true
			}
		}
	}
	if class, ok := config[configs.KeyConnectorClass]; ok {
		if p, err := v.Connector(class); err == nil {
			addDef("", p.ConfigDef)
		}
	}
	for _, kind := range aliasKinds {
		for _, alias := range aliases(config[kind.listKey]) {
			prefix := kind.prefix + alias + "."
			def, _ := v.aliasDef(kind, alias, configs.WithPrefix(config, prefix))
			addDef(prefix, def)
		}
	}
	for _, conv := range converterKinds {
		if class := strings.TrimSpace(config[conv.key]); class != "" {
			if p, msg := v.converterPlugin(conv, class); msg == "" {
				addDef(conv.prefix, p.ConfigDef)
			}
		}
	}
	for _, prefix := range clientOverridePrefixes {
		for _, k := range clientPasswords {
			out[prefix+k] = true
		}
	}
	return out
}

// Mask returns a copy of config in which the value of every PASSWORD key
// (see [Validator.PasswordKeys]) reads "[hidden]", unless the value is made
// of config-provider placeholders only: those are kept as stored, since the
// secret lives in the provider. The REST API masks every config it returns
// this way; Kafka Connect returns them in plaintext.
func (v *Validator) Mask(config map[string]string) map[string]string {
	return v.MaskWith(config, config)
}

// MaskWith is Mask for a config whose key types come from another config:
// a task config is masked with the keys of its connector's config.
func (v *Validator) MaskWith(connectorConfig, config map[string]string) map[string]string {
	if config == nil {
		return nil
	}
	secret := v.PasswordKeys(connectorConfig)
	out := maps.Clone(config)
	for k, val := range out {
		if secret[k] && !configs.OnlyPlaceholders(val) {
			out[k] = hidden
		}
	}
	return out
}
