package transforms

import (
	"regexp"

	"conflux/configs"
	"conflux/connectors"
)

var (
	topicNameMatchesDef = configs.NewDef(configs.Key{
		Name: "pattern", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.Medium,
		Validator:     configs.All(configs.NonEmptyString(), configs.ValidRegex()),
		Documentation: "A Java regular expression for matching against the name of a record's topic.",
	})
	hasHeaderKeyDef = configs.NewDef(configs.Key{
		Name: "name", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.Medium,
		Validator:     configs.NonEmptyString(),
		Documentation: "The header name.",
	})
)

func init() {
	registerPredicate("TopicNameMatches", "Matches records whose topic name matches a regular expression as a whole.", topicNameMatchesDef,
		func() connectors.Predicate { return &TopicNameMatches{} })
	registerPredicate("HasHeaderKey", "Matches records that have at least one header with the given name.", hasHeaderKeyDef,
		func() connectors.Predicate { return &HasHeaderKey{} })
	registerPredicate("RecordIsTombstone", "Matches tombstones: records whose value is null.", nil,
		func() connectors.Predicate { return &RecordIsTombstone{} })
}

// TopicNameMatches matches records whose whole topic name matches pattern
// (Kafka's TopicNameMatches).
type TopicNameMatches struct {
	nothingToClose
	re *regexp.Regexp
	// The latest answer, since records of one topic come in runs; this
	// keeps the predicate free of allocations and regex work per record.
	lastTopic string
	lastMatch bool
	seen      bool
}

// Configure compiles pattern.
func (p *TopicNameMatches) Configure(config map[string]string) error {
	v, err := topicNameMatchesDef.Parse(config)
	if err != nil {
		return err
	}
	if p.re, err = compileWhole(v.String("pattern")); err != nil {
		return configs.Invalid("pattern", v.String("pattern"), err.Error())
	}
	return nil
}

// Test reports whether the topic matches.
func (p *TopicNameMatches) Test(rec *connectors.Record) (bool, error) {
	if !p.seen || rec.Topic != p.lastTopic {
		p.lastTopic, p.lastMatch, p.seen = rec.Topic, p.re.MatchString(rec.Topic), true
	}
	return p.lastMatch, nil
}

// HasHeaderKey matches records with at least one header named name (Kafka's
// HasHeaderKey).
type HasHeaderKey struct {
	nothingToClose
	name string
}

// Configure reads name.
func (p *HasHeaderKey) Configure(config map[string]string) error {
	v, err := hasHeaderKeyDef.Parse(config)
	if err != nil {
		return err
	}
	p.name = v.String("name")
	return nil
}

// Test reports whether the header is present.
func (p *HasHeaderKey) Test(rec *connectors.Record) (bool, error) {
	for i := range rec.Headers {
		if rec.Headers[i].Key == p.name {
			return true, nil
		}
	}
	return false, nil
}

// RecordIsTombstone matches records with a null value (Kafka's
// RecordIsTombstone).
type RecordIsTombstone struct{ nothingToClose }

// Configure takes no settings.
func (*RecordIsTombstone) Configure(map[string]string) error { return nil }

// Test reports whether the value is null.
func (*RecordIsTombstone) Test(rec *connectors.Record) (bool, error) { return rec.Value == nil, nil }
