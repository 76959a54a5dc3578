package configs

import (
	"fmt"
	"slices"
)

// ConfigValue is the validation result of one key (Kafka's ConfigValue):
// its value, the errors found, the recommended values and whether it is
// visible.
type ConfigValue struct {
	// Name is the key.
	Name string
	// Value is the parsed value (or the default); nil when null, missing or
	// unparseable.
	Value any
	// Errors holds Kafka Connect's error messages for the key, in order.
	Errors []string
	// RecommendedValues comes from the key's Recommender, if any.
	RecommendedValues []any
	// Visible comes from the key's Recommender; true without one.
	Visible bool
	// Secret is set when the value must be shown as "[hidden]": passwords
	// and keys marked with WithSecrets.
	Secret bool
}

// Validate checks raw against the definition without stopping at the first
// problem, as Kafka's ConfigDef.validate does for the REST validate
// endpoint. It returns one ConfigValue per defined key in definition order;
// errors of cross-key checks are added to the key they name, and a check
// naming an undefined key adds a ConfigValue for it at the end.
func (d *Def) Validate(raw map[string]string, opts ...Option) []ConfigValue {
	o := buildOptions(opts)
	v := &Values{def: d, vals: make(map[string]any, len(d.keys)), originals: make(map[string]string, len(raw))}
	for k, s := range raw {
		v.originals[k] = s
	}
	out := make([]ConfigValue, len(d.keys))
	for i := range d.keys {
		k := &d.keys[i]
		val, err := d.parseKey(k, raw, o)
		cv := ConfigValue{Name: k.Name, Value: val, Visible: true, Secret: k.Type == TypePassword || o.secrets[k.Name]}
		if err != nil {
			cv.Errors = append(cv.Errors, err.Error())
		}
		v.vals[k.Name] = val
		out[i] = cv
	}
	for i := range d.keys {
		k := &d.keys[i]
		if k.Recommender == nil {
			continue
		}
		rec, err := k.Recommender.ValidValues(k.Name, v)
		if err != nil {
			out[i].Errors = append(out[i].Errors, asError(k.Name, out[i].Value, err).Error())
		} else {
			out[i].RecommendedValues = rec
		}
		out[i].Visible = k.Recommender.Visible(k.Name, v)
	}
	for _, c := range d.checks {
		for _, e := range c(v) {
			e = redact(e, o)
			if i, ok := d.index[e.Key]; ok {
				out[i].Errors = append(out[i].Errors, e.Error())
				continue
			}
			j := slices.IndexFunc(out[len(d.keys):], func(cv ConfigValue) bool { return cv.Name == e.Key })
			if j < 0 {
				out = append(out, ConfigValue{Name: e.Key, Visible: true, Secret: o.secrets[e.Key]})
				j = len(out) - 1 - len(d.keys)
			}
			out[len(d.keys)+j].Errors = append(out[len(d.keys)+j].Errors, e.Error())
		}
	}
	return out
}

// KeyInfo is the REST API's description of one key (Kafka's ConfigKeyInfo),
// an element of GET /connector-plugins/{plugin}/config and the "definition"
// of a ConfigInfos entry.
type KeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	Order         int      `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// ValueInfo is the REST API's validation result for one key (Kafka's
// ConfigValueInfo). Value is null when the key has no value; LIST values are
// comma-joined and secrets read "[hidden]".
type ValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// ConfigInfo pairs a key's definition with its validation result; either may
// be null (a result for an undefined key has no definition).
type ConfigInfo struct {
	Definition *KeyInfo   `json:"definition"`
	Value      *ValueInfo `json:"value"`
}

// ConfigInfos is the body of PUT /connector-plugins/{plugin}/config/validate
// (Kafka's ConfigInfos). Name is the connector class; ErrorCount counts every
// error message of every key.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// AddError records an extra error for key (for example from a connector's
// own validation hook), adding an entry without definition when the key is
// not listed yet, and updates ErrorCount.
func (c *ConfigInfos) AddError(key, msg string) {
	c.ErrorCount++
	for i := range c.Configs {
		if v := c.Configs[i].Value; v != nil && v.Name == key {
			v.Errors = append(v.Errors, msg)
			return
		}
	}
	for i := range c.Configs {
		if d := c.Configs[i].Definition; d != nil && d.Name == key {
			c.Configs[i].Value = &ValueInfo{Name: key, RecommendedValues: []string{}, Errors: []string{msg}, Visible: true}
			return
		}
	}
	c.Configs = append(c.Configs, ConfigInfo{Value: &ValueInfo{Name: key, RecommendedValues: []string{}, Errors: []string{msg}, Visible: true}})
}

// KeyInfo renders the definition of k as the REST API shows it.
func (k *Key) KeyInfo() KeyInfo {
	info := KeyInfo{
		Name:          k.Name,
		Type:          k.Type.String(),
		Required:      k.Required(),
		Importance:    k.Importance.String(),
		Documentation: k.Documentation,
		Order:         k.OrderInGroup,
		Width:         k.Width.String(),
		DisplayName:   k.DisplayName,
		Dependents:    slices.Clone(k.Dependents),
	}
	if info.Dependents == nil {
		info.Dependents = []string{}
	}
	if info.DisplayName == "" {
		info.DisplayName = k.Name
	}
	if !k.Required() {
		if s, ok := renderValue(k.Default); ok {
			info.DefaultValue = &s
		}
	}
	if k.Group != "" {
		g := k.Group
		info.Group = &g
	}
	return info
}

// KeyInfos returns the REST description of every key in definition order,
// the body of GET /connector-plugins/{plugin}/config.
func (d *Def) KeyInfos() []KeyInfo {
	out := make([]KeyInfo, len(d.keys))
	for i := range d.keys {
		out[i] = d.keys[i].KeyInfo()
	}
	return out
}

// ValueInfo renders a validation result as the REST API shows it.
func (cv *ConfigValue) ValueInfo() ValueInfo {
	vi := ValueInfo{
		Name:              cv.Name,
		RecommendedValues: make([]string, 0, len(cv.RecommendedValues)),
		Errors:            slices.Clone(cv.Errors),
		Visible:           cv.Visible,
	}
	if vi.Errors == nil {
		vi.Errors = []string{}
	}
	if s, ok := renderValue(cv.Value); ok {
		if cv.Secret {
			s = hidden
		}
		vi.Value = &s
	}
	for _, r := range cv.RecommendedValues {
		s, ok := renderValue(r)
		if !ok {
			continue
		}
		if cv.Secret {
			s = hidden
		}
		vi.RecommendedValues = append(vi.RecommendedValues, s)
	}
	return vi
}

// ConfigInfos validates raw and renders the result as the REST API's
// ConfigInfos entity named name (the connector class): results for undefined
// keys first (as Kafka orders them), then every defined key with its
// definition and value.
func (d *Def) ConfigInfos(name string, raw map[string]string, opts ...Option) ConfigInfos {
	values := d.Validate(raw, opts...)
	out := ConfigInfos{Name: name, Groups: d.Groups(), Configs: make([]ConfigInfo, 0, len(values))}
	if out.Groups == nil {
		out.Groups = []string{}
	}
	// Kafka lists results without a definition first.
	for i := len(d.keys); i < len(values); i++ {
		vi := values[i].ValueInfo()
		out.ErrorCount += len(values[i].Errors)
		out.Configs = append(out.Configs, ConfigInfo{Value: &vi})
	}
	for i := range d.keys {
		vi := values[i].ValueInfo()
		ki := d.keys[i].KeyInfo()
		out.ErrorCount += len(values[i].Errors)
		out.Configs = append(out.Configs, ConfigInfo{Definition: &ki, Value: &vi})
	}
	return out
}

// Describe returns a one-line description of a validator for documentation
// ("[1,...]", "[none, all]"), or "" when it has none.
func Describe(v Validator) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}
