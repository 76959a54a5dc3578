package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

// Version is the version GET /connector-plugins reports for every plugin
// of this package.
const Version = "1.0.0"

// Kafka's packages for its transforms and predicates; a plugin's Kafka
// class name is one of these plus its simple name.
const (
	kafkaTransforms = "org.apache.kafka.connect.transforms."
	kafkaPredicates = "org.apache.kafka.connect.transforms.predicates."
)

// registerTransform registers a transform that has no key and value
// variants under its Kafka simple name (Filter) and class name.
func registerTransform(name, summary string, def *configs.Def, newT func() connectors.Transformation) {
	connectors.Register(connectors.Plugin{
		Name:      name,
		Aliases:   []string{kafkaTransforms + name},
		Type:      connectors.PluginTransformation,
		Version:   Version,
		Summary:   summary,
		ConfigDef: def,
		New:       func() any { return newT() },
	})
}

// registerSided registers the $Key and $Value variants of a transform
// written over a side (Cast$Key, Cast$Value).
func registerSided(name, summary string, def *configs.Def, newT func(side) connectors.Transformation) {
	for _, s := range []side{keySide, valueSide} {
		variant := name + "$" + s.variant()
		connectors.Register(connectors.Plugin{
			Name:      variant,
			Aliases:   []string{kafkaTransforms + variant},
			Type:      connectors.PluginTransformation,
			Version:   Version,
			Summary:   summary + " (record " + s.String() + ")",
			ConfigDef: def,
			New:       func() any { return newT(s) },
		})
	}
}

// registerPredicate registers a predicate under its Kafka simple name and
// class name.
func registerPredicate(name, summary string, def *configs.Def, newP func() connectors.Predicate) {
	connectors.Register(connectors.Plugin{
		Name:      name,
		Aliases:   []string{kafkaPredicates + name},
		Type:      connectors.PluginPredicate,
		Version:   Version,
		Summary:   summary,
		ConfigDef: def,
		New:       func() any { return newP() },
	})
}

// nothingToClose is embedded by plugins that hold no resources.
type nothingToClose struct{}

// Close does nothing.
func (nothingToClose) Close() error { return nil }

// keyReplaceNull is the replace.null.with.default key most field
// transforms take.
var keyReplaceNull = configs.Key{
	Name: "replace.null.with.default", Type: configs.TypeBoolean, Default: true, Importance: configs.Medium,
	Documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
}
