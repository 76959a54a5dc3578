package transforms

import (
	"fmt"
	"regexp"

	"conflux/configs"
	"conflux/connectors"
)

var regexRouterDef = configs.NewDef(
	configs.Key{Name: "regex", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.ValidRegex(), Documentation: "Regular expression to use for matching."},
	configs.Key{Name: "replacement", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Documentation: "Replacement string."},
)

func init() {
	registerTransform("RegexRouter", "Renames the topic with a regular expression and a replacement.", regexRouterDef,
		func() connectors.Transformation { return &RegexRouter{} })
}

// RegexRouter renames topics (Kafka's RegexRouter): when the regex matches
// the whole topic name, the topic becomes the replacement, in which $1 and
// so on stand for the groups. Other topics pass unchanged.
type RegexRouter struct {
	nothingToClose
	re       *regexp.Regexp
	template string
	// last remembers the latest rename, since records of one topic come
	// in runs.
	lastIn, lastOut string
}

// Configure compiles regex and checks the replacement's group references.
func (t *RegexRouter) Configure(config map[string]string) error {
	v, err := regexRouterDef.Parse(config)
	if err != nil {
		return err
	}
	if t.re, err = compileWhole(v.String("regex")); err != nil {
		return configs.Invalid("regex", v.String("regex"), err.Error())
	}
	repl := v.String("replacement")
	if t.template, err = javaReplacement(repl, t.re.NumSubexp()); err != nil {
		return configs.Invalid("replacement", repl, fmt.Sprintf("Invalid replacement for regex %s: %v", v.String("regex"), err))
	}
	return nil
}

// Apply renames the record's topic when the regex matches it.
func (t *RegexRouter) Apply(rec *connectors.Record) (*connectors.Record, error) {
	topic := rec.Topic
	if topic != t.lastIn || t.lastOut == "" {
		m := t.re.FindStringSubmatchIndex(topic)
		if m == nil {
			return rec, nil
		}
		t.lastIn, t.lastOut = topic, string(t.re.ExpandString(nil, t.template, topic, m))
	}
	if t.lastOut == topic {
		return rec, nil
	}
	out := rec.Copy()
	out.Topic = t.lastOut
	return out, nil
}
