package runtime

import (
	"errors"
	"fmt"
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

// converters are one task's key, value and header converters, with their
// class names (as interface values, so that naming them for error handling
// does not allocate per record).
type converters struct {
	key    connectors.Converter
	value  connectors.Converter
	header connectors.HeaderConverter

	keyClass, valueClass, headerClass any
}

// converterSpec says where a converter's class and settings come from.
type converterSpec struct {
	classKey, prefix string
	fallback         string // class when neither the connector nor the worker names one
}

var (
	keyConverterSpec    = converterSpec{configs.KeyKeyConverter, configs.PrefixKeyConverter, ""}
	valueConverterSpec  = converterSpec{configs.KeyValueConverter, configs.PrefixValueConverter, ""}
	headerConverterSpec = converterSpec{configs.KeyHeaderConverter, configs.PrefixHeaderConverter, configs.DefaultHeaderConverter}
)

// converterSettings returns the class and settings of one converter for a
// connector: the connector's class if it names one, else the worker's. The
// settings are the worker's prefixed settings overlaid with the
// connector's, so that a connector can change value.converter.schemas.enable
// without repeating the worker's class (Kafka Connect would ignore the
// connector's settings in that case, which surprises users).
func converterSettings(spec converterSpec, worker, connector map[string]string) (class string, settings map[string]string) {
	class = strings.TrimSpace(connector[spec.classKey])
	settings = configs.WithPrefix(worker, spec.prefix)
	if class != "" && class != strings.TrimSpace(worker[spec.classKey]) {
		// Another class: the worker's settings were meant for its own.
		settings = map[string]string{}
	}
	if class == "" {
		class = strings.TrimSpace(worker[spec.classKey])
	}
	if class == "" {
		class = spec.fallback
	}
	for k, v := range configs.WithPrefix(connector, spec.prefix) {
		settings[k] = v
	}
	return class, settings
}

// newConverters builds and configures a task's converters.
func newConverters(reg *connectors.Registry, worker, connector map[string]string) (converters, error) {
	var cv converters
	for _, c := range []struct {
		spec  converterSpec
		isKey bool
		dst   *connectors.Converter
		name  *any
	}{{keyConverterSpec, true, &cv.key, &cv.keyClass}, {valueConverterSpec, false, &cv.value, &cv.valueClass}} {
		class, settings := converterSettings(c.spec, worker, connector)
		inst, err := newPlugin(reg, class, c.spec.classKey, c.name)
		if err != nil {
			return cv, err
		}
		conv, ok := inst.(connectors.Converter)
		if !ok {
			return cv, fmt.Errorf("%w: %s %s is not a converter", ErrPipeline, c.spec.classKey, class)
		}
		if err := conv.Configure(settings, c.isKey); err != nil {
			return cv, fmt.Errorf("%w: configure %s %s: %w", ErrPipeline, c.spec.classKey, class, err)
		}
		*c.dst = conv
	}
	class, settings := converterSettings(headerConverterSpec, worker, connector)
	inst, err := newPlugin(reg, class, headerConverterSpec.classKey, &cv.headerClass)
	if err != nil {
		return cv, err
	}
	hc, ok := inst.(connectors.HeaderConverter)
	if !ok {
		return cv, fmt.Errorf("%w: header.converter %s is not a header converter", ErrPipeline, class)
	}
	if err := hc.ConfigureHeader(settings); err != nil {
		return cv, fmt.Errorf("%w: configure header.converter %s: %w", ErrPipeline, class, err)
	}
	cv.header = hc
	return cv, nil
}

// newPlugin makes a new instance of the plugin class names, and stores its
// Kafka class name in name: what error logs and dead letter queue headers
// call it.
func newPlugin(reg *connectors.Registry, class, key string, name *any) (any, error) {
	if class == "" {
		return nil, fmt.Errorf("%w: %s is not set", ErrPipeline, key)
	}
	p, err := reg.Lookup(class)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPipeline, key, err)
	}
	*name = p.Class()
	return p.New(), nil
}

// transformStep is one alias of a connector's transforms, with its optional
// predicate.
type transformStep struct {
	alias     string
	transform connectors.Transformation
	predicate connectors.Predicate // nil: always applies
	negate    bool

	transformClass, predicateClass any // class names, for error handling
}

// applies reports whether the step's transform applies to rec.
func (s *transformStep) applies(rec *connectors.Record) (bool, error) {
	if s.predicate == nil {
		return true, nil
	}
	ok, err := s.predicate.Test(rec)
	return ok != s.negate, err
}

// transformChain is a connector's transforms in order (Kafka's
// TransformationChain). One chain belongs to one task: transforms are called
// from the task's goroutine only.
type transformChain struct {
	steps      []transformStep
	predicates []connectors.Predicate // for Close
}

// newTransformChain builds the transforms and predicates a connector config
// lists (transforms, predicates and their prefixed settings). The config has
// been validated; errors here are plugins refusing their settings.
func newTransformChain(reg *connectors.Registry, config map[string]string) (*transformChain, error) {
	chain := &transformChain{}
	preds := make(map[string]connectors.Predicate)
	predClasses := make(map[string]any)
	for _, alias := range aliasList(config[configs.KeyPredicates]) {
		sub := configs.WithPrefix(config, configs.PrefixPredicates+alias+".")
		var class any
		inst, err := newPlugin(reg, sub["type"], configs.PrefixPredicates+alias+".type", &class)
		if err != nil {
			chain.Close()
			return nil, err
		}
		p, ok := inst.(connectors.Predicate)
		if !ok {
			chain.Close()
			return nil, fmt.Errorf("%w: predicate %s (%s) is not a predicate", ErrPipeline, alias, sub["type"])
		}
		delete(sub, "type")
		if err := p.Configure(sub); err != nil {
			chain.Close()
			return nil, fmt.Errorf("%w: configure predicate %s: %w", ErrPipeline, alias, err)
		}
		preds[alias] = p
		predClasses[alias] = class
		chain.predicates = append(chain.predicates, p)
	}
	for _, alias := range aliasList(config[configs.KeyTransforms]) {
		sub := configs.WithPrefix(config, configs.PrefixTransforms+alias+".")
		var class any
		inst, err := newPlugin(reg, sub["type"], configs.PrefixTransforms+alias+".type", &class)
		if err != nil {
			chain.Close()
			return nil, err
		}
		t, ok := inst.(connectors.Transformation)
		if !ok {
			chain.Close()
			return nil, fmt.Errorf("%w: transform %s (%s) is not a transformation", ErrPipeline, alias, sub["type"])
		}
		step := transformStep{alias: alias, transform: t, transformClass: class}
		if name := strings.TrimSpace(sub["predicate"]); name != "" {
			step.predicateClass = predClasses[name]
			if step.predicate = preds[name]; step.predicate == nil {
				chain.Close()
				return nil, fmt.Errorf("%w: transform %s refers to predicate %s, which is not in predicates", ErrPipeline, alias, name)
			}
			step.negate = strings.EqualFold(strings.TrimSpace(sub["negate"]), "true")
		}
		delete(sub, "type")
		delete(sub, "predicate")
		delete(sub, "negate")
		if err := t.Configure(sub); err != nil {
			chain.Close()
			return nil, fmt.Errorf("%w: configure transform %s: %w", ErrPipeline, alias, err)
		}
		chain.steps = append(chain.steps, step)
	}
	return chain, nil
}

// recoverPlugin turns a panic in a transform or predicate into a data
// error for the record at hand, so that errors.tolerance decides what
// happens to it and a faulty plugin never takes the worker down. Use it
// deferred, with err the caller's named result.
func recoverPlugin(kind, alias string, err *error) {
	if r := recover(); r != nil {
		*err = connectors.DataErrorf("%s %s failed on a record: %v", kind, alias, r)
	}
}

// aliasList splits a transforms or predicates value.
func aliasList(v string) []string {
	var out []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Empty reports whether the chain has no transforms.
func (c *transformChain) Empty() bool { return len(c.steps) == 0 }

// Close closes every transform and predicate, returning their errors
// joined.
func (c *transformChain) Close() error {
	var errs []error
	for _, s := range c.steps {
		errs = append(errs, s.transform.Close())
	}
	for _, p := range c.predicates {
		errs = append(errs, p.Close())
	}
	c.steps, c.predicates = nil, nil
	return errors.Join(errs...)
}
