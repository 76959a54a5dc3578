package configs

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// commaList splits lists the way Kafka does: on commas with any surrounding
// whitespace.
var commaList = regexp.MustCompile(`\s*,\s*`)

// parseType parses one raw value as type t. The error is Kafka's reason text,
// without the "Invalid value … for configuration …" prefix.
func parseType(t Type, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch t {
	case TypeBoolean:
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
		return nil, errors.New("Expected value to be either true or false")
	case TypeString, TypeClass:
		return s, nil
	case TypePassword:
		return NewPassword(s), nil
	case TypeInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, errors.New("Not a number of type INT")
		}
		return int32(n), nil
	case TypeShort:
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return nil, errors.New("Not a number of type SHORT")
		}
		return int16(n), nil
	case TypeLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("Not a number of type LONG")
		}
		return n, nil
	case TypeDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "xXpP_") {
			return nil, errors.New("Not a number of type DOUBLE")
		}
		return f, nil
	case TypeList:
		if s == "" {
			return []string{}, nil
		}
		return commaList.Split(s, -1), nil
	}
	return nil, fmt.Errorf("Unknown type %s", t)
}

// render formats a parsed value as Kafka's ConfigDef.convertToString does:
// lists comma-joined, passwords hidden, null as "null".
func render(v any) string {
	if v == nil {
		return "null"
	}
	s, _ := renderValue(v)
	return s
}

// renderValue is render with "null" distinguished as ok=false.
func renderValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return formatDouble(x), true
	case []string:
		return strings.Join(x, ","), true
	case Password:
		return hidden, true
	}
	return fmt.Sprint(v), true
}

// formatDouble renders a float like Java's Double.toString for the common
// cases: integral values keep a ".0".
func formatDouble(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch {
		case math.IsNaN(f):
			return "NaN"
		case f > 0:
			return "Infinity"
		default:
			return "-Infinity"
		}
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// Option adjusts [Def.Parse], [Def.Validate] and [Def.ConfigInfos].
type Option func(*options)

type options struct {
	secrets map[string]bool
}

// WithSecrets marks keys whose values must never be shown, typically
// [Resolved.Secrets]: errors and validation results print "[hidden]" for
// them, as for passwords.
func WithSecrets(keys map[string]bool) Option {
	return func(o *options) { o.secrets = keys }
}

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Values holds a configuration parsed by a [Def]: one typed value per
// defined key (the given value, else the default, else nil). Keys the Def
// does not define are kept only in [Values.Originals].
//
// The typed getters panic when the key is not defined or has a different
// type: that is a programming error, like a wrong field name. A null value
// reads as the zero value; use [Values.Get] to tell null apart. Values is
// read-only and safe for concurrent use.
type Values struct {
	def       *Def
	vals      map[string]any
	originals map[string]string
}

// Parse parses raw against the definition. Every defined key gets its given
// value (surrounding whitespace trimmed, as Kafka does), else its default;
// each value is checked by the key's validator, then the cross-key checks
// run. Keys the Def does not define are ignored.
//
// On failure it returns a nil *Values and the errors, each an [*Error] with
// Kafka Connect's message, in definition order; several errors are combined
// with errors.Join.
func (d *Def) Parse(raw map[string]string, opts ...Option) (*Values, error) {
	o := buildOptions(opts)
	v, problems := d.parse(raw, o)
	if len(problems) > 0 {
		// A cross-key check reports the same message on each key involved;
		// say it once.
		errs := make([]error, 0, len(problems))
		seen := make(map[string]bool, len(problems))
		for _, p := range problems {
			if msg := p.Error(); !seen[msg] {
				seen[msg] = true
				errs = append(errs, p)
			}
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
	return v, nil
}

// parse parses every key and runs the checks, collecting all problems.
func (d *Def) parse(raw map[string]string, o options) (*Values, []*Error) {
	v := &Values{def: d, vals: make(map[string]any, len(d.keys)), originals: make(map[string]string, len(raw))}
	for k, s := range raw {
		v.originals[k] = s
	}
	var problems []*Error
	for i := range d.keys {
		k := &d.keys[i]
		val, err := d.parseKey(k, raw, o)
		if err != nil {
			problems = append(problems, err)
		}
		v.vals[k.Name] = val
	}
	for _, c := range d.checks {
		for _, e := range c(v) {
			problems = append(problems, redact(e, o))
		}
	}
	return v, problems
}

// parseKey parses one key. On error it returns a nil value.
func (d *Def) parseKey(k *Key, raw map[string]string, o options) (any, *Error) {
	s, given := raw[k.Name]
	if !given {
		if k.Required() {
			return nil, &Error{Key: k.Name, Kind: ErrMissing}
		}
		return k.Default, nil
	}
	val, err := parseType(k.Type, s)
	if err != nil {
		shown := s
		if k.Type == TypePassword || o.secrets[k.Name] {
			shown = hidden
		}
		return nil, &Error{Key: k.Name, Value: shown, Reason: err.Error(), Kind: ErrInvalidValue}
	}
	if k.Validator != nil && val != nil {
		if err := k.Validator.Validate(k.Name, val); err != nil {
			return nil, redact(asError(k.Name, val, err), o)
		}
	}
	return val, nil
}

// asError turns a validator's error into an *Error for key.
func asError(key string, val any, err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		if ce.Key == "" {
			c := *ce
			c.Key = key
			return &c
		}
		return ce
	}
	return Invalid(key, val, err.Error())
}

// redact hides the value of an error about a secret key.
func redact(e *Error, o options) *Error {
	if e != nil && e.Kind == ErrInvalidValue && o.secrets[e.Key] && e.Value != hidden {
		c := *e
		c.Value = hidden
		return &c
	}
	return e
}

// Def returns the definition the values were parsed with.
func (v *Values) Def() *Def { return v.def }

// Originals returns a copy of the raw map given to Parse, including keys the
// Def does not define. It may contain secrets.
func (v *Values) Originals() map[string]string {
	out := make(map[string]string, len(v.originals))
	for k, s := range v.originals {
		out[k] = s
	}
	return out
}

// IsSet reports whether key was present in the raw map (as opposed to taking
// its default).
func (v *Values) IsSet(key string) bool {
	_, ok := v.originals[key]
	return ok
}

// Get returns the parsed value of a defined key in its canonical Go type, or
// nil when it is null. It panics if the key is not defined.
func (v *Values) Get(key string) any {
	v.mustKey(key)
	return v.vals[key]
}

func (v *Values) mustKey(key string, types ...Type) {
	i, ok := v.def.index[key]
	if !ok {
		panic(fmt.Sprintf("configs: key %q is not defined", key))
	}
	if len(types) == 0 {
		return
	}
	t := v.def.keys[i].Type
	for _, want := range types {
		if t == want {
			return
		}
	}
	panic(fmt.Sprintf("configs: key %q is %s, not %s", key, t, types[0]))
}

// String returns a STRING or CLASS value ("" when null).
func (v *Values) String(key string) string {
	v.mustKey(key, TypeString, TypeClass)
	s, _ := v.vals[key].(string)
	return s
}

// Class returns a CLASS (or STRING) value: a plugin name or class name.
func (v *Values) Class(key string) string {
	v.mustKey(key, TypeClass, TypeString)
	s, _ := v.vals[key].(string)
	return s
}

// Int returns an INT value (0 when null).
func (v *Values) Int(key string) int {
	v.mustKey(key, TypeInt)
	n, _ := v.vals[key].(int32)
	return int(n)
}

// Short returns a SHORT value (0 when null).
func (v *Values) Short(key string) int16 {
	v.mustKey(key, TypeShort)
	n, _ := v.vals[key].(int16)
	return n
}

// Long returns a LONG value (0 when null).
func (v *Values) Long(key string) int64 {
	v.mustKey(key, TypeLong)
	n, _ := v.vals[key].(int64)
	return n
}

// Double returns a DOUBLE value (0 when null).
func (v *Values) Double(key string) float64 {
	v.mustKey(key, TypeDouble)
	f, _ := v.vals[key].(float64)
	return f
}

// Bool returns a BOOLEAN value (false when null).
func (v *Values) Bool(key string) bool {
	v.mustKey(key, TypeBoolean)
	b, _ := v.vals[key].(bool)
	return b
}

// List returns a LIST value: the comma-separated items, trimmed; empty (not
// nil) for an empty string, nil when null. The caller may modify it.
func (v *Values) List(key string) []string {
	v.mustKey(key, TypeList)
	l, _ := v.vals[key].([]string)
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	copy(out, l)
	return out
}

// Password returns a PASSWORD value (the zero Password when null).
func (v *Values) Password(key string) Password {
	v.mustKey(key, TypePassword)
	p, _ := v.vals[key].(Password)
	return p
}

// WithPrefix returns the entries of m whose key starts with prefix, with the
// prefix removed: WithPrefix(cfg, "value.converter.") yields the value
// converter's own settings, as Kafka's originalsWithPrefix does.
func WithPrefix(m map[string]string, prefix string) map[string]string {
	out := make(map[string]string)
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}
