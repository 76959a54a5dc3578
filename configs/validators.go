package configs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Validator checks a parsed, non-null value of a key. Validate returns nil
// when the value is acceptable. It should return an [*Error] built with
// [Invalid] (whose message becomes "Invalid value V for configuration K:
// reason"); any other error is wrapped that way with its text as the reason.
// Validators must be safe for concurrent use. Implementations may also
// implement fmt.Stringer to describe the valid values in documentation, as
// Kafka's validators do ("[1,...]", "[none, all]").
type Validator interface {
	Validate(name string, value any) error
}

// ValidatorFunc adapts a function to a [Validator].
type ValidatorFunc func(name string, value any) error

// Validate calls f(name, value).
func (f ValidatorFunc) Validate(name string, value any) error { return f(name, value) }

// Number is the set of Go types the bounds of AtLeast and Between may have.
type Number interface {
	~int | ~int16 | ~int32 | ~int64 | ~float64
}

// rangeValidator is Kafka's ConfigDef.Range.
type rangeValidator struct {
	min, max       float64
	imin, imax     int64
	hasMin, hasMax bool
	integral       bool
	text           [2]string
}

// AtLeast accepts numbers (INT, SHORT, LONG, DOUBLE) no smaller than min:
// "Value must be at least <min>".
func AtLeast[T Number](min T) Validator {
	r := &rangeValidator{hasMin: true}
	r.setMin(min)
	return r
}

// Between accepts numbers in [min, max]: "Value must be at least <min>" or
// "Value must be no more than <max>".
func Between[T Number](min, max T) Validator {
	r := &rangeValidator{hasMin: true, hasMax: true}
	r.setMin(min)
	r.setMax(max)
	return r
}

func (r *rangeValidator) setMin(v any) {
	r.min, r.imin, r.integral, r.text[0] = numberOf(v)
}

func (r *rangeValidator) setMax(v any) {
	var integral bool
	r.max, r.imax, integral, r.text[1] = numberOf(v)
	r.integral = r.integral && integral
}

// numberOf returns v as float64 and int64, whether it is integral, and its
// text.
func numberOf(v any) (float64, int64, bool, string) {
	switch n := v.(type) {
	case int:
		return float64(n), int64(n), true, strconv.FormatInt(int64(n), 10)
	case int16:
		return float64(n), int64(n), true, strconv.FormatInt(int64(n), 10)
	case int32:
		return float64(n), int64(n), true, strconv.FormatInt(int64(n), 10)
	case int64:
		return float64(n), n, true, strconv.FormatInt(n, 10)
	case float64:
		return n, int64(n), false, formatDouble(n)
	}
	// Named types built on the number kinds.
	s := fmt.Sprint(v)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return float64(i), i, true, s
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f, int64(f), false, s
}

func (r *rangeValidator) Validate(name string, value any) error {
	if _, ok := value.(string); ok {
		return Invalid(name, value, "Value must be a number")
	}
	f, i, integral, _ := numberOf(value)
	exact := integral && r.integral
	if r.hasMin && ((exact && i < r.imin) || (!exact && f < r.min)) {
		return Invalid(name, value, "Value must be at least "+r.text[0])
	}
	if r.hasMax && ((exact && i > r.imax) || (!exact && f > r.max)) {
		return Invalid(name, value, "Value must be no more than "+r.text[1])
	}
	return nil
}

// String describes the range as Kafka does: "[1,...]" or "[0,...,100]".
func (r *rangeValidator) String() string {
	switch {
	case r.hasMin && r.hasMax:
		return "[" + r.text[0] + ",...," + r.text[1] + "]"
	case r.hasMin:
		return "[" + r.text[0] + ",...]"
	default:
		return "[...," + r.text[1] + "]"
	}
}

// validString is Kafka's ValidString and CaseInsensitiveValidString.
type validString struct {
	values     []string
	ignoreCase bool
}

// ValidString accepts exactly one of values: "String must be one of: a, b".
func ValidString(values ...string) Validator {
	return &validString{values: slices.Clone(values)}
}

// ValidStringIgnoreCase accepts one of values in any letter case: "String
// must be one of (case insensitive): A, B".
func ValidStringIgnoreCase(values ...string) Validator {
	return &validString{values: slices.Clone(values), ignoreCase: true}
}

func (v *validString) ok(s string) bool {
	for _, c := range v.values {
		if s == c || (v.ignoreCase && strings.EqualFold(s, c)) {
			return true
		}
	}
	return false
}

func (v *validString) reason() string {
	if v.ignoreCase {
		return "String must be one of (case insensitive): " + strings.Join(v.values, ", ")
	}
	return "String must be one of: " + strings.Join(v.values, ", ")
}

func (v *validString) Validate(name string, value any) error {
	s, ok := value.(string)
	if !ok || !v.ok(s) {
		return Invalid(name, value, v.reason())
	}
	return nil
}

// String lists the valid values: "[a, b]".
func (v *validString) String() string { return "[" + strings.Join(v.values, ", ") + "]" }

// validList is Kafka's ValidList.
type validList struct{ validString }

// ValidList accepts LIST values whose every item is one of values; the error
// names the first bad item: "Invalid value x for configuration k: String
// must be one of: a, b".
func ValidList(values ...string) Validator {
	return &validList{validString{values: slices.Clone(values)}}
}

func (v *validList) Validate(name string, value any) error {
	l, ok := value.([]string)
	if !ok {
		return Invalid(name, value, "Expected a comma separated list.")
	}
	for _, s := range l {
		if !v.ok(s) {
			return Invalid(name, s, v.reason())
		}
	}
	return nil
}

// nonEmptyString is Kafka's NonEmptyString.
type nonEmptyString struct{}

// NonEmptyString rejects "": "String must be non-empty".
func NonEmptyString() Validator { return nonEmptyString{} }

func (nonEmptyString) Validate(name string, value any) error {
	if s, _ := value.(string); s == "" {
		return Invalid(name, value, "String must be non-empty")
	}
	return nil
}

func (nonEmptyString) String() string { return "non-empty string" }

// nonEmptyNoControl is Kafka's NonEmptyStringWithoutControlChars.
type nonEmptyNoControl struct{}

// NonEmptyStringWithoutControlChars rejects "" ("String may not be empty")
// and strings with ISO control characters ("String may not contain control
// sequences but had the following ASCII chars: 10, 13"), as Kafka does for
// connector names.
func NonEmptyStringWithoutControlChars() Validator { return nonEmptyNoControl{} }

func (nonEmptyNoControl) Validate(name string, value any) error {
	s, _ := value.(string)
	if s == "" {
		return Invalid(name, value, "String may not be empty")
	}
	var bad []string
	for _, r := range s {
		if unicode.IsControl(r) {
			bad = append(bad, strconv.Itoa(int(r)))
		}
	}
	if len(bad) > 0 {
		return Invalid(name, value, "String may not contain control sequences but had the following ASCII chars: "+strings.Join(bad, ", "))
	}
	return nil
}

func (nonEmptyNoControl) String() string { return "non-empty string without ISO control characters" }

// validRegex is Kafka Connect's RegexValidator.
type validRegex struct{}

// ValidRegex accepts strings that compile as Go (RE2) regular expressions
// ("Invalid regex: …"); the empty string is accepted. Go's syntax is close
// to Java's for common patterns but lacks backreferences and lookaround.
func ValidRegex() Validator { return validRegex{} }

func (validRegex) Validate(name string, value any) error {
	s, _ := value.(string)
	if s == "" {
		return nil
	}
	if _, err := regexp.Compile(s); err != nil {
		return Invalid(name, value, "Invalid regex: "+err.Error())
	}
	return nil
}

func (validRegex) String() string { return "valid regex" }

// uniqueList rejects lists with repeated items.
type uniqueList struct{}

// UniqueList rejects LIST values with a repeated item: "Duplicate alias
// provided." (Kafka's check on transforms and predicates aliases).
func UniqueList() Validator { return uniqueList{} }

func (uniqueList) Validate(name string, value any) error {
	l, _ := value.([]string)
	seen := make(map[string]bool, len(l))
	for _, s := range l {
		if seen[s] {
			return Invalid(name, value, "Duplicate alias provided.")
		}
		seen[s] = true
	}
	return nil
}

func (uniqueList) String() string { return "unique aliases" }

// All combines validators; the first error wins.
func All(vs ...Validator) Validator {
	return allValidator(slices.Clone(vs))
}

type allValidator []Validator

func (a allValidator) Validate(name string, value any) error {
	for _, v := range a {
		if err := v.Validate(name, value); err != nil {
			return err
		}
	}
	return nil
}

func (a allValidator) String() string {
	parts := make([]string, 0, len(a))
	for _, v := range a {
		if s, ok := v.(fmt.Stringer); ok {
			parts = append(parts, s.String())
		}
	}
	return strings.Join(parts, ", ")
}

// Or accepts a value that any of vs accepts; when all reject it, the first
// validator's error is returned. Kafka uses this shape for "positive, or -1
// for the broker default".
func Or(vs ...Validator) Validator {
	return orValidator(slices.Clone(vs))
}

type orValidator []Validator

func (o orValidator) Validate(name string, value any) error {
	var first error
	for _, v := range o {
		err := v.Validate(name, value)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func (o orValidator) String() string {
	parts := make([]string, 0, len(o))
	for _, v := range o {
		if s, ok := v.(fmt.Stringer); ok {
			parts = append(parts, s.String())
		}
	}
	return strings.Join(parts, " or ")
}

// nonEmptyList is Kafka's NonEmptyListValidator.
type nonEmptyList struct{}

// NonEmptyList rejects an empty list: "Empty list".
func NonEmptyList() Validator { return nonEmptyList{} }

func (nonEmptyList) Validate(name string, value any) error {
	if l, ok := value.([]string); ok && len(l) == 0 {
		return Invalid(name, value, "Empty list")
	}
	return nil
}

func (nonEmptyList) String() string { return "non-empty list" }
