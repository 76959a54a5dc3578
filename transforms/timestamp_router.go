package transforms

import (
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

var timestampRouterDef = configs.NewDef(
	configs.Key{Name: "topic.format", Type: configs.TypeString, Default: "${topic}-${timestamp}", Importance: configs.High,
		Documentation: "Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively."},
	configs.Key{Name: "timestamp.format", Type: configs.TypeString, Default: "yyyyMMdd", Importance: configs.High,
		Validator: configs.ValidatorFunc(func(name string, v any) error {
			if _, err := javaLayout(v.(string)); err != nil {
				return configs.Invalid(name, v, err.Error())
			}
			return nil
		}),
		Documentation: "Format string for the timestamp that is compatible with java.text.SimpleDateFormat."},
)

func init() {
	registerTransform("TimestampRouter", "Routes each record to a topic named after its topic and timestamp, such as orders-20261206.", timestampRouterDef,
		func() connectors.Transformation { return &TimestampRouter{} })
}

// TimestampRouter sets the topic from the record's topic and timestamp
// (Kafka's TimestampRouter), formatting the timestamp in UTC as Kafka does.
type TimestampRouter struct {
	nothingToClose
	format, layout string
}

// Configure reads topic.format and timestamp.format.
func (t *TimestampRouter) Configure(config map[string]string) error {
	v, err := timestampRouterDef.Parse(config)
	if err != nil {
		return err
	}
	t.format = v.String("topic.format")
	t.layout, _ = javaLayout(v.String("timestamp.format"))
	return nil
}

// Apply renames the topic; a record without a timestamp is an error, as
// in Kafka.
func (t *TimestampRouter) Apply(rec *connectors.Record) (*connectors.Record, error) {
	if rec.Timestamp.IsZero() {
		return nil, connectors.DataErrorf("Timestamp missing on record: %s", rec.TopicPartition())
	}
	ts := rec.Timestamp.UTC().Format(t.layout)
	out := rec.Copy()
	out.Topic = strings.ReplaceAll(strings.ReplaceAll(t.format, "${topic}", rec.Topic), "${timestamp}", ts)
	return out, nil
}
