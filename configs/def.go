package configs

import (
	"fmt"
	"slices"
)

// NoDefault is the Default of a required key: one that must be given a value.
// A key whose Default is nil is optional and its value is null when unset.
var NoDefault any = noDefault{}

type noDefault struct{}

// Key defines one configuration key. Only Name and Type are mandatory.
type Key struct {
	// Name is the configuration key, e.g. "tasks.max".
	Name string
	// Type is the value's type.
	Type Type
	// Default is the value used when the key is not given: NoDefault makes
	// the key required, nil means null. It may be the parsed Go type of the
	// key's Type (int for TypeInt/TypeShort/TypeLong is accepted too) or a
	// string that parses as that type.
	Default any
	// Importance defaults to Medium.
	Importance Importance
	// Documentation describes the key for users, in full sentences.
	Documentation string
	// Group names the key's group in UIs and in ConfigInfos; "" for none.
	Group string
	// OrderInGroup is the key's position in its group. Zero means "next":
	// one more than the keys of the group defined before it. Keys without
	// a group report -1, as in Kafka.
	OrderInGroup int
	// Width is a UI hint; defaults to WidthNone.
	Width Width
	// DisplayName is a human name; defaults to Name.
	DisplayName string
	// Dependents lists keys whose recommended values or visibility depend
	// on this key's value.
	Dependents []string
	// Validator, when set, checks every non-null parsed value (and the
	// default, when the Def is built).
	Validator Validator
	// Recommender, when set, supplies recommended values and visibility
	// during validation.
	Recommender Recommender
}

// Required reports whether the key has no default and so must be given.
func (k *Key) Required() bool { return k.Default == NoDefault }

// Recommender supplies the REST validate endpoint with the valid values of
// a key and whether it is relevant, given the values parsed so far (Kafka's
// ConfigDef.Recommender). Methods are called only from [Def.Validate] and
// [Def.ConfigInfos]; parsed may hold nil for keys that failed to parse.
type Recommender interface {
	// ValidValues returns the values the key may take; nil for no
	// recommendation. An error is reported as an error of the key.
	ValidValues(name string, parsed *Values) ([]any, error)
	// Visible reports whether the key is relevant.
	Visible(name string, parsed *Values) bool
}

// Check is a cross-key validation run after every key has been parsed. It
// returns one [Error] per problem, attached to the key it names (use
// [Conflict] or [Invalid]). During [Def.Validate], keys that failed to parse
// read as nil/zero, so a check must not assume every value is valid.
type Check func(v *Values) []*Error

// Def is an ordered set of key definitions with optional cross-key checks,
// the counterpart of Kafka's ConfigDef. Build it once (usually in a package
// variable or constructor) with [NewDef], [Def.Define] and [Def.Check]; after
// that it is read-only and safe for concurrent use. Definition mistakes
// (duplicate names, a default of the wrong type, a default the validator
// rejects) are programming errors and panic.
type Def struct {
	keys   []Key
	index  map[string]int
	groups []string
	checks []Check
	counts map[string]int
}

// NewDef returns a Def holding keys, in order.
func NewDef(keys ...Key) *Def {
	d := &Def{index: make(map[string]int), counts: make(map[string]int)}
	for _, k := range keys {
		d.Define(k)
	}
	return d
}

// Define appends a key and returns d for chaining. It panics if the name is
// empty or already defined, the type is invalid, or the default does not
// parse or validate.
func (d *Def) Define(k Key) *Def {
	if d.index == nil {
		d.index = make(map[string]int)
		d.counts = make(map[string]int)
	}
	if k.Name == "" {
		panic("configs: Define: empty key name")
	}
	if _, dup := d.index[k.Name]; dup {
		panic(fmt.Sprintf("configs: Define: key %q defined twice", k.Name))
	}
	if !k.Type.valid() {
		panic(fmt.Sprintf("configs: Define: key %q has no valid type", k.Name))
	}
	if k.Importance == 0 {
		k.Importance = Medium
	}
	if k.DisplayName == "" {
		k.DisplayName = k.Name
	}
	k.Dependents = slices.Clone(k.Dependents)
	if k.Default != NoDefault && k.Default != nil {
		v, err := normalizeDefault(k.Type, k.Default)
		if err != nil {
			panic(fmt.Sprintf("configs: Define: key %q: default %v: %v", k.Name, k.Default, err))
		}
		k.Default = v
		if k.Validator != nil {
			if err := k.Validator.Validate(k.Name, v); err != nil {
				panic(fmt.Sprintf("configs: Define: key %q: default rejected: %v", k.Name, err))
			}
		}
	}
	if k.Group == "" {
		k.OrderInGroup = -1
	} else {
		if _, seen := d.counts[k.Group]; !seen {
			d.groups = append(d.groups, k.Group)
		}
		d.counts[k.Group]++
		if k.OrderInGroup == 0 {
			k.OrderInGroup = d.counts[k.Group]
		}
	}
	d.index[k.Name] = len(d.keys)
	d.keys = append(d.keys, k)
	return d
}

// Check appends a cross-key check and returns d for chaining.
func (d *Def) Check(c Check) *Def {
	d.checks = append(d.checks, c)
	return d
}

// Keys returns copies of the key definitions in definition order.
func (d *Def) Keys() []Key { return slices.Clone(d.keys) }

// Names returns the defined key names in definition order.
func (d *Def) Names() []string {
	names := make([]string, len(d.keys))
	for i := range d.keys {
		names[i] = d.keys[i].Name
	}
	return names
}

// Key returns the definition of name.
func (d *Def) Key(name string) (Key, bool) {
	i, ok := d.index[name]
	if !ok {
		return Key{}, false
	}
	return d.keys[i], true
}

// Groups returns the group names in order of their first key.
func (d *Def) Groups() []string { return slices.Clone(d.groups) }

// Merge returns a new Def with the keys and checks of defs in order, as the
// runtime does to validate the framework's keys and a plugin's keys
// together. When several defs define the same name, the first definition
// wins and later ones are dropped, so a plugin cannot redefine a framework
// key.
func Merge(defs ...*Def) *Def {
	out := NewDef()
	for _, d := range defs {
		if d == nil {
			continue
		}
		for _, k := range d.keys {
			if _, dup := out.index[k.Name]; dup {
				continue
			}
			out.add(k)
		}
		out.checks = append(out.checks, d.checks...)
	}
	return out
}

// add appends an already normalized key.
func (d *Def) add(k Key) {
	if k.Group != "" {
		if _, seen := d.counts[k.Group]; !seen {
			d.groups = append(d.groups, k.Group)
		}
		d.counts[k.Group]++
	}
	d.index[k.Name] = len(d.keys)
	d.keys = append(d.keys, k)
}

// normalizeDefault converts a default given as a string or a convenient Go
// type into the key type's canonical Go type.
func normalizeDefault(t Type, v any) (any, error) {
	if s, ok := v.(string); ok {
		return parseType(t, s)
	}
	switch t {
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeString, TypeClass:
	case TypeInt:
		switch n := v.(type) {
		case int:
			if int(int32(n)) == n {
				return int32(n), nil
			}
		case int32:
			return n, nil
		}
	case TypeShort:
		switch n := v.(type) {
		case int:
			if int(int16(n)) == n {
				return int16(n), nil
			}
		case int16:
			return n, nil
		}
	case TypeLong:
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		}
	case TypeDouble:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int:
			return float64(n), nil
		}
	case TypeList:
		if l, ok := v.([]string); ok {
			return slices.Clone(l), nil
		}
	case TypePassword:
		if p, ok := v.(Password); ok {
			return p, nil
		}
	}
	return nil, fmt.Errorf("a %T cannot be the default of a %s key", v, t)
}
