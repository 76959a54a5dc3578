package transforms

import (
	"slices"

	"conflux/configs"
	"conflux/connectors"
)

var dropHeadersDef = configs.NewDef(configs.Key{
	Name: "headers", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
	Validator:     configs.NonEmptyList(),
	Documentation: "The name of the headers to be removed.",
})

func init() {
	registerTransform("DropHeaders", "Removes every header with one of the given names.", dropHeadersDef,
		func() connectors.Transformation { return &DropHeaders{} })
}

// DropHeaders removes headers by name (Kafka's DropHeaders).
type DropHeaders struct {
	nothingToClose
	names []string
}

// Configure reads headers.
func (t *DropHeaders) Configure(config map[string]string) error {
	v, err := dropHeadersDef.Parse(config)
	if err != nil {
		return err
	}
	t.names = v.List("headers")
	return nil
}

// Apply removes the headers; a record without any of them passes
// unchanged.
func (t *DropHeaders) Apply(rec *connectors.Record) (*connectors.Record, error) {
	drop := func(h connectors.Header) bool { return slices.Contains(t.names, h.Key) }
	if !slices.ContainsFunc(rec.Headers, drop) {
		return rec, nil
	}
	out := rec.Copy()
	out.Headers = slices.DeleteFunc(rec.Headers.Clone(), drop)
	return out, nil
}
