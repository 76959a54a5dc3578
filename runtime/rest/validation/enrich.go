package validation

import (
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

// aliasKind describes a list of aliases in a connector config whose
// settings live under a per-alias prefix: transforms and predicates.
type aliasKind struct {
	listKey    string                // transforms
	prefix     string                // transforms.
	group      string                // Transforms (the alias group is "Transforms: <alias>")
	noun       string                // transformation, in "Class for the 'a' transformation."
	typeName   string                // Transformation, in "Transformation type for a" and "Not a Transformation"
	pluginType connectors.PluginType // what <prefix><alias>.type must name
	extra      []configs.Key         // keys every alias has besides type
}

// aliasKinds lists transforms and predicates with Kafka Connect's names and
// texts.
var aliasKinds = []aliasKind{
	{
		listKey: configs.KeyTransforms, prefix: configs.PrefixTransforms, group: configs.GroupTransforms,
		noun: "transformation", typeName: "Transformation", pluginType: connectors.PluginTransformation,
		extra: []configs.Key{
			{Name: "predicate", Type: configs.TypeString, Importance: configs.Medium,
				Documentation: "The alias of a predicate used to determine whether to apply this transformation."},
			{Name: "negate", Type: configs.TypeBoolean, Default: false, Importance: configs.Medium,
				Documentation: "Whether the configured predicate should be negated."},
		},
	},
	{
		listKey: configs.KeyPredicates, prefix: configs.PrefixPredicates, group: configs.GroupPredicates,
		noun: "predicate", typeName: "Predicate", pluginType: connectors.PluginPredicate,
	},
}

// converterKind describes a converter named in a connector config.
type converterKind struct {
	key      string // key.converter
	prefix   string // key.converter.
	typ      string // value of converter.type, for converters that define it
	typeName string // Converter or HeaderConverter, in "Not a Converter"
	header   bool   // the plugin must work as a header converter
}

// converterKinds lists the converters in the order Kafka validates them.
var converterKinds = []converterKind{
	{key: configs.KeyHeaderConverter, prefix: configs.PrefixHeaderConverter, typ: "header", typeName: "HeaderConverter", header: true},
	{key: configs.KeyKeyConverter, prefix: configs.PrefixKeyConverter, typ: "key", typeName: "Converter"},
	{key: configs.KeyValueConverter, prefix: configs.PrefixValueConverter, typ: "value", typeName: "Converter"},
}

// aliasDef returns the definition of one alias's settings (prefix removed)
// and, when <prefix><alias>.type names no suitable plugin, the error for
// that key.
func (v *Validator) aliasDef(kind aliasKind, alias string, sub map[string]string) (*configs.Def, string) {
	typeKey := configs.Key{
		Name: "type", Type: configs.TypeClass, Default: configs.NoDefault, Importance: configs.High, Width: configs.WidthLong,
		DisplayName:   kind.typeName + " type for " + alias,
		Documentation: "Class for the '" + alias + "' " + kind.noun + ".",
	}
	def := configs.NewDef(typeKey)
	for _, k := range kind.extra {
		def.Define(k)
	}
	t, ok := sub["type"]
	t = strings.TrimSpace(t)
	if !ok || t == "" {
		return def, ""
	}
	p, err := v.reg.Lookup(t)
	switch {
	case err != nil:
		return def, invalidClass(kind.prefix+alias+".type", t, "Class "+t+" could not be found.")
	case p.Type != kind.pluginType:
		return def, invalidClass(kind.prefix+alias+".type", t, "Not a "+kind.typeName)
	}
	return configs.Merge(def, p.ConfigDef), ""
}

// aliasInfos validates the settings of one transform or predicate alias.
func (v *Validator) aliasInfos(kind aliasKind, alias string, raw map[string]string, secrets map[string]bool) configs.ConfigInfos {
	prefix := kind.prefix + alias + "."
	sub := configs.WithPrefix(raw, prefix)
	def, typeErr := v.aliasDef(kind, alias, sub)
	ci := prefixInfos(def.ConfigInfos("", sub, configs.WithSecrets(withPrefix(secrets, prefix))), prefix, kind.group+": "+alias)
	if typeErr != "" {
		ci.AddError(prefix+"type", typeErr)
	}
	return ci
}

// converterPlugin looks up the converter a converter key names; the string
// is the key's error when it names no suitable plugin.
func (v *Validator) converterPlugin(conv converterKind, class string) (connectors.Plugin, string) {
	p, err := v.reg.Lookup(class)
	if err != nil {
		return p, invalidClass(conv.key, class, "Class "+class+" could not be found.")
	}
	ok := p.Type == connectors.PluginConverter
	if conv.header {
		ok = p.Type == connectors.PluginHeaderConverter
		if p.Type == connectors.PluginConverter {
			_, ok = p.New().(connectors.HeaderConverter)
		}
	}
	if !ok {
		return p, invalidClass(conv.key, class, "Not a "+conv.typeName)
	}
	return p, ""
}

// converterInfos validates the settings of a converter the connector config
// names. An unusable converter class is reported on the converter key of
// infos; ok is false when there is nothing to add.
func (v *Validator) converterInfos(conv converterKind, raw map[string]string, secrets map[string]bool, infos *configs.ConfigInfos) (configs.ConfigInfos, bool) {
	class := strings.TrimSpace(raw[conv.key])
	if class == "" {
		return configs.ConfigInfos{}, false
	}
	p, errMsg := v.converterPlugin(conv, class)
	if errMsg != "" {
		infos.AddError(conv.key, errMsg)
		return configs.ConfigInfos{}, false
	}
	if p.ConfigDef == nil {
		return configs.ConfigInfos{}, false
	}
	sub := configs.WithPrefix(raw, conv.prefix)
	if _, defined := p.ConfigDef.Key("converter.type"); defined {
		if _, set := sub["converter.type"]; !set {
			sub["converter.type"] = conv.typ
		}
	}
	ci := p.ConfigDef.ConfigInfos("", sub, configs.WithSecrets(withPrefix(secrets, conv.prefix)))
	return prefixInfos(ci, conv.prefix, ""), true
}
