package convert

import (
	"conflux/configs"
	"conflux/connectors"
)

// pluginVersion is the version the converters report.
const pluginVersion = "1.0.0"

// Kafka Connect class names of the converters, registered as aliases.
const (
	JSONConverterClass      = "org.apache.kafka.connect.json.JsonConverter"
	StringConverterClass    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "json",
		Aliases:   []string{JSONConverterClass},
		Type:      connectors.PluginConverter,
		Version:   pluginVersion,
		Summary:   "JSON, with the schema in a {\"schema\",\"payload\"} envelope or without schema.",
		ConfigDef: jsonConfigDef,
		New:       func() any { return NewJSONConverter() },
	})
	connectors.Register(connectors.Plugin{
		Name:      "string",
		Aliases:   []string{StringConverterClass},
		Type:      connectors.PluginConverter,
		Version:   pluginVersion,
		Summary:   "Values as text.",
		ConfigDef: stringConfigDef,
		New:       func() any { return NewStringConverter() },
	})
	connectors.Register(connectors.Plugin{
		Name:      "simple-header",
		Aliases:   []string{SimpleHeaderConverterClass},
		Type:      connectors.PluginHeaderConverter,
		Version:   pluginVersion,
		Summary:   "Header values as text, read back with their type inferred.",
		ConfigDef: configs.NewDef(),
		New:       func() any { return NewSimpleHeaderConverter() },
	})
	connectors.Register(connectors.Plugin{
		Name:      "bytearray",
		Aliases:   []string{ByteArrayConverterClass},
		Type:      connectors.PluginConverter,
		Version:   pluginVersion,
		Summary:   "Values as bytes, unchanged.",
		ConfigDef: configs.NewDef(),
		New:       func() any { return NewByteArrayConverter() },
	})
}
