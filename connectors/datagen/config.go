package datagen

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"conflux/configs"
)

// Configuration keys. All but rate are Confluent's kafka-connect-datagen
// keys, with the same meaning and defaults.
const (
	KeyTopic          = "kafka.topic"
	KeyQuickstart     = "quickstart"
	KeySchemaString   = "schema.string"
	KeySchemaFilename = "schema.filename"
	KeySchemaKeyfield = "schema.keyfield"
	KeyMaxInterval    = "max.interval"
	KeyIterations     = "iterations"
	KeyRandomSeed     = "random.seed"
	KeyRate           = "rate"

	// KeyTaskID is set by the connector in each task's configuration
	// (0, 1, …); users do not set it.
	KeyTaskID = "task.id"
)

const group = "Datagen"

// configDef is the connector's own configuration; the framework adds
// tasks.max and the other connector-level keys.
var configDef = configs.NewDef(
	configs.Key{Name: KeyTopic, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Group: group, Validator: configs.NonEmptyString(), DisplayName: "Topic",
		Documentation: "Topic to write the generated records to."},
	configs.Key{Name: KeyQuickstart, Type: configs.TypeString, Default: "", Importance: configs.High,
		Group: group, Validator: configs.ValidatorFunc(validateQuickstart), DisplayName: "Quickstart",
		Documentation: "Name of a built-in schema to generate (" + strings.Join(QuickstartNames(), ", ") + "), in any letter case. " +
			"Exactly one of quickstart, schema.string and schema.filename must be set."},
	configs.Key{Name: KeySchemaString, Type: configs.TypeString, Default: "", Importance: configs.High,
		Group: group, Width: configs.WidthLong, DisplayName: "Schema",
		Documentation: "The schema to generate, as JSON: an Avro record schema with Confluent's arg.properties hints " +
			"(options, range, regex, iteration, length, odds, keys), or Conflux's native format, whose fields name a type and " +
			"a generator (a gofakeit template such as \"{firstname} {lastname}\", \"iteration\", \"now\", options, range or regex)."},
	configs.Key{Name: KeySchemaFilename, Type: configs.TypeString, Default: "", Importance: configs.High,
		Group: group, Width: configs.WidthLong, DisplayName: "Schema file",
		Documentation: "Path of a file holding the schema to generate, in either format schema.string accepts. " +
			"The file must be readable by every worker that runs a task."},
	configs.Key{Name: KeySchemaKeyfield, Type: configs.TypeString, Default: "", Importance: configs.Medium,
		Group: group, DisplayName: "Key field",
		Documentation: "Top-level field whose value, as a string, becomes the record key. Empty means the quickstart's " +
			"key field (for example userid for users), or a null key for a custom schema."},
	configs.Key{Name: KeyMaxInterval, Type: configs.TypeLong, Default: 500, Importance: configs.Medium,
		Group: group, Validator: configs.AtLeast(0), DisplayName: "Max interval",
		Documentation: "Each record waits a random time between 0 and this many milliseconds, so a task produces about " +
			"2000/max.interval records per second. 0 means as fast as possible. Ignored when rate is set."},
	configs.Key{Name: KeyIterations, Type: configs.TypeInt, Default: -1, Importance: configs.Medium,
		Group: group, DisplayName: "Iterations",
		Documentation: "Number of records each task generates in its lifetime, restarts included; 0 or less means no limit. " +
			"A task that reaches it stays RUNNING and generates nothing more."},
	configs.Key{Name: KeyRandomSeed, Type: configs.TypeLong, Importance: configs.Low,
		Group: group, DisplayName: "Random seed",
		Documentation: "Seed of the random generators. Task n uses random.seed + n, so the same configuration always " +
			"produces the same records (except for generators that read the clock, such as now). Null picks a random seed, " +
			"kept in the source offset so that a restarted task continues the same sequence."},
	configs.Key{Name: KeyRate, Type: configs.TypeDouble, Importance: configs.Medium,
		Group: group, Validator: configs.ValidatorFunc(validateRate), DisplayName: "Rate",
		Documentation: "Records per second per task, evenly spaced; takes precedence over max.interval when set. " +
			"-1 means as fast as possible."},
).Check(checkSchema)

func validateQuickstart(name string, value any) error {
	s, _ := value.(string)
	if s == "" {
		return nil
	}
	if _, ok := quickstarts[strings.ToLower(strings.TrimSpace(s))]; !ok {
		return configs.Invalid(name, value, "Unknown quickstart; valid quickstarts are: "+strings.Join(QuickstartNames(), ", "))
	}
	return nil
}

func validateRate(name string, value any) error {
	if f, _ := value.(float64); f != -1 && !(f > 0) {
		return configs.Invalid(name, value, "Value must be positive, or -1 for no limit")
	}
	return nil
}

// checkSchema requires exactly one schema source, and that the schema
// compiles and has the key field.
func checkSchema(v *configs.Values) []*configs.Error {
	_, _, errs := loadSchema(v)
	return errs
}

// loadSchema finds, parses and compiles the configured schema and returns
// it with the key field to use ("" for none).
func loadSchema(v *configs.Values) (*compiled, string, []*configs.Error) {
	sources := []string{KeyQuickstart, KeySchemaString, KeySchemaFilename}
	originals := v.Originals()
	var set []string
	for _, k := range sources {
		if strings.TrimSpace(originals[k]) != "" {
			set = append(set, k)
		}
	}
	switch len(set) {
	case 0:
		msg := "Must set exactly one of quickstart, schema.string or schema.filename"
		return nil, "", []*configs.Error{configs.Conflict(KeyQuickstart, msg), configs.Conflict(KeySchemaString, msg),
			configs.Conflict(KeySchemaFilename, msg)}
	case 1:
	default:
		msg := "quickstart, schema.string and schema.filename are mutually exclusive, but " + strings.Join(set, " and ") + " are set"
		errs := make([]*configs.Error, len(set))
		for i, k := range set {
			errs[i] = configs.Conflict(k, msg)
		}
		return nil, "", errs
	}

	var (
		c      *compiled
		defKey string
		err    error
	)
	key := set[0]
	raw := strings.TrimSpace(v.String(key))
	if raw == "" {
		return nil, "", nil // the value did not parse; its own error says why
	}
	switch key {
	case KeyQuickstart:
		c, defKey, err = quickstart(raw)
	case KeySchemaString:
		c, err = compileText(raw)
	case KeySchemaFilename:
		var text []byte
		if text, err = os.ReadFile(raw); err != nil {
			return nil, "", []*configs.Error{configs.Invalid(key, raw, "Unable to read the schema file: "+err.Error())}
		}
		c, err = compileText(string(text))
	}
	if err != nil {
		return nil, "", []*configs.Error{configs.Invalid(key, raw, err.Error())}
	}

	keyField := defKey
	if kf := strings.TrimSpace(v.String(KeySchemaKeyfield)); kf != "" {
		keyField = kf
	}
	if keyField != "" && c.schema.FieldIndex(keyField) < 0 {
		names := make([]string, len(c.schema.Fields))
		for i, f := range c.schema.Fields {
			names[i] = f.Name
		}
		return nil, "", []*configs.Error{configs.Invalid(KeySchemaKeyfield, keyField,
			"No such top-level field in the schema; its fields are: "+strings.Join(names, ", "))}
	}
	return c, keyField, nil
}

// compileText parses and compiles a user schema, then generates a few
// sample records so that generators that cannot work (a gofakeit template
// that never parses as its field's number type) fail now, not in a task.
func compileText(text string) (_ *compiled, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: sample record: panic: %v", ErrInvalidSchema, p)
		}
	}()
	spec, err := parseSchemaText(text)
	if err != nil {
		return nil, err
	}
	c, err := compileSchema(spec)
	if err != nil {
		return nil, err
	}
	g := newGenCtx(time.Now)
	for i := range int64(3) {
		g.seedFor(1, i)
		c.root.gen(g)
		if g.err != nil {
			return nil, fmt.Errorf("%w: sample record: %v", ErrInvalidSchema, g.err)
		}
	}
	return c, nil
}

// settings is a parsed and checked datagen configuration.
type settings struct {
	topic       string
	schema      *compiled
	keyField    string
	maxInterval time.Duration
	iterations  int64
	seed        *int64
	rate        float64 // records per second; 0 when not set
}

// parseSettings parses a connector or task configuration.
func parseSettings(raw map[string]string) (*settings, error) {
	v, err := configDef.Parse(raw)
	if err != nil {
		return nil, err
	}
	c, keyField, errs := loadSchema(v)
	if len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	s := &settings{
		topic:       v.String(KeyTopic),
		schema:      c,
		keyField:    keyField,
		maxInterval: time.Duration(v.Long(KeyMaxInterval)) * time.Millisecond,
		iterations:  int64(v.Int(KeyIterations)),
	}
	if seed, ok := v.Get(KeyRandomSeed).(int64); ok {
		s.seed = &seed
	}
	if r, ok := v.Get(KeyRate).(float64); ok {
		s.rate = r
	}
	return s, nil
}
