package file

import (
	"strings"

	"conflux/configs"
)

// Configuration keys, Kafka's FileStreamSink and FileStreamSource ones.
const (
	KeyFile      = "file"
	KeyTopic     = "topic"
	KeyBatchSize = "batch.size"
)

// sinkDef is the sink's own configuration; topics and topics.regex are the
// framework's.
var sinkDef = configs.NewDef(
	configs.Key{Name: KeyFile, Type: configs.TypeString, Default: "", Importance: configs.High, DisplayName: "File",
		Documentation: "Destination file, opened for appending and created if missing. Empty means the standard output."},
)

// sourceDef is the source's configuration.
var sourceDef = configs.NewDef(
	configs.Key{Name: KeyFile, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyString(), DisplayName: "File",
		Documentation: "Source file to read, line by line, from the stored position (the start the first time), " +
			"then following what is appended. It may not exist yet."},
	configs.Key{Name: KeyTopic, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.All(configs.NonEmptyString(), configs.ValidatorFunc(singleTopic)), DisplayName: "Topic",
		Documentation: "The topic to publish the lines to."},
	configs.Key{Name: KeyBatchSize, Type: configs.TypeInt, Default: 2000, Importance: configs.Low,
		Validator: configs.AtLeast(1), DisplayName: "Batch size",
		Documentation: "The most lines one poll returns."},
)

// singleTopic rejects a list of topics with Kafka's message.
func singleTopic(name string, value any) error {
	if s, _ := value.(string); strings.Contains(s, ",") {
		return configs.Invalid(name, value, "'topic' in FileStreamSourceConnector configuration requires definition of a single topic")
	}
	return nil
}
