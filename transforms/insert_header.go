package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var insertHeaderDef = configs.NewDef(
	configs.Key{Name: "header", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyString(), Documentation: "The name of the header."},
	configs.Key{Name: "value.literal", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Documentation: "The literal value that is to be set as the header value on all records."},
)

func init() {
	registerTransform("InsertHeader", "Adds a header with a literal value to every record.", insertHeaderDef,
		func() connectors.Transformation { return &InsertHeader{} })
}

// InsertHeader adds one header to every record (Kafka's InsertHeader). The
// literal is typed the way Kafka's Values.parseString types it: "42" is an
// INT8, "true" a BOOLEAN, "x" a STRING.
type InsertHeader struct {
	nothingToClose
	header string
	schema *connectors.Schema
	value  any
}

// Configure reads header and value.literal.
func (t *InsertHeader) Configure(config map[string]string) error {
	v, err := insertHeaderDef.Parse(config)
	if err != nil {
		return err
	}
	t.header = v.String("header")
	t.schema, t.value = connectors.ParseText(v.String("value.literal"))
	return nil
}

// Apply appends the header.
func (t *InsertHeader) Apply(rec *connectors.Record) (*connectors.Record, error) {
	out := rec.Copy()
	out.Headers.Add(t.header, t.value, t.schema)
	return out, nil
}
