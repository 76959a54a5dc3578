package connectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"conflux/configs"
)

// PluginType is the kind of a plugin, with the names GET /connector-plugins
// uses.
type PluginType string

// Plugin types, and the interface New's result must implement.
const (
	PluginSource          PluginType = "source"           // SourceConnector
	PluginSink            PluginType = "sink"             // SinkConnector
	PluginConverter       PluginType = "converter"        // Converter
	PluginHeaderConverter PluginType = "header_converter" // HeaderConverter
	PluginTransformation  PluginType = "transformation"   // Transformation
	PluginPredicate       PluginType = "predicate"        // Predicate
)

// pluginTypes lists the types in the order List reports them.
var pluginTypes = []PluginType{PluginSource, PluginSink, PluginConverter, PluginHeaderConverter, PluginTransformation, PluginPredicate}

// suffix returns the class-name suffix Kafka drops to make a short alias.
func (t PluginType) suffix() string {
	switch t {
	case PluginSource, PluginSink:
		return "Connector"
	case PluginConverter:
		return "Converter"
	case PluginHeaderConverter:
		return "HeaderConverter"
	case PluginTransformation:
		return "Transformation"
	case PluginPredicate:
		return "Predicate"
	}
	return ""
}

// Plugin describes a connector, converter, transformation or predicate that
// users can name in a configuration.
type Plugin struct {
	// Name is the plugin's short name, e.g. "datagen". Unique in a
	// registry.
	Name string
	// Aliases are other names for it, usually the Kafka Connect class name
	// it stands in for ("io.confluent.kafka.connect.datagen.
	// DatagenConnector"). The first alias is the plugin's Class.
	Aliases []string
	// Type is the kind of plugin.
	Type PluginType
	// Version is the plugin's version; "" is reported as undefined.
	Version string
	// Summary is a one-sentence description for documentation.
	Summary string
	// ConfigDef defines the plugin's own configuration keys (for
	// connectors, without the framework's keys). nil means none. It is
	// shared and must not be modified; combine it with other definitions
	// through configs.Merge.
	ConfigDef *configs.Def
	// New returns a new instance implementing the interface of Type. It
	// must be cheap and free of side effects: Register calls it once to
	// check the type, and the runtime calls it for validation as well as
	// to run the plugin.
	New func() any
}

// Class returns the name the REST API shows as the plugin's class: its first
// alias, or its Name when it has none.
func (p Plugin) Class() string {
	if len(p.Aliases) > 0 {
		return p.Aliases[0]
	}
	return p.Name
}

// entry is a registered plugin.
type entry struct {
	p Plugin
	// header is set for converters whose instances also implement
	// HeaderConverter.
	header bool
}

// Registry maps plugin names and aliases to plugins. The zero value is not
// usable; call NewRegistry. Methods are safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	entries []*entry
	exact   map[string]*entry // names and explicit aliases
	derived map[string]*entry // simple class names, with and without suffix; nil = ambiguous
}

// NewRegistry returns an empty registry, for tests or embedding; most code
// uses the package-level functions, which use the default registry.
func NewRegistry() *Registry {
	return &Registry{exact: make(map[string]*entry), derived: make(map[string]*entry)}
}

var defaultRegistry = NewRegistry()

// Default returns the registry built-in plugins register with from their
// packages' init functions.
func Default() *Registry { return defaultRegistry }

// Register adds p to the default registry; see Registry.Register.
func Register(p Plugin) { defaultRegistry.Register(p) }

// Lookup finds a plugin in the default registry; see Registry.Lookup.
func Lookup(nameOrAlias string) (Plugin, error) { return defaultRegistry.Lookup(nameOrAlias) }

// List lists plugins of the default registry; see Registry.List.
func List(types ...PluginType) []Plugin { return defaultRegistry.List(types...) }

// Register adds a plugin. Like database/sql.Register it is meant for init
// functions, and it panics on programming errors: an empty name, an unknown
// type, a nil New, a New whose result does not implement the type's
// interface, or a name or alias that is already registered.
//
// Besides Name and Aliases, the plugin can be found by the simple class name
// of each alias (the part after the last '.') and by that name without the
// type's suffix ("DatagenConnector", "Datagen"), unless another plugin
// derives the same name, in which case that name finds neither.
func (r *Registry) Register(p Plugin) {
	if p.Name == "" {
		panic("connectors: Register: plugin without a name")
	}
	if !slices.Contains(pluginTypes, p.Type) {
		panic(fmt.Sprintf("connectors: Register %s: unknown plugin type %q", p.Name, p.Type))
	}
	if p.New == nil {
		panic(fmt.Sprintf("connectors: Register %s: New is nil", p.Name))
	}
	p.Aliases = slices.Clone(p.Aliases)
	e := &entry{p: p}
	inst := p.New()
	ok := false
	switch p.Type {
	case PluginSource:
		_, ok = inst.(SourceConnector)
	case PluginSink:
		_, ok = inst.(SinkConnector)
	case PluginConverter:
		_, ok = inst.(Converter)
		_, e.header = inst.(HeaderConverter)
	case PluginHeaderConverter:
		_, ok = inst.(HeaderConverter)
	case PluginTransformation:
		_, ok = inst.(Transformation)
	case PluginPredicate:
		_, ok = inst.(Predicate)
	}
	if !ok {
		panic(fmt.Sprintf("connectors: Register %s: New returns %T, which is not a %s plugin", p.Name, inst, p.Type))
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	names := append([]string{p.Name}, p.Aliases...)
	for i, n := range names {
		if n == "" {
			panic(fmt.Sprintf("connectors: Register %s: empty alias", p.Name))
		}
		if other, dup := r.exact[n]; dup {
			panic(fmt.Sprintf("connectors: Register called twice for %q (plugins %s and %s)", n, other.p.Name, p.Name))
		}
		if slices.Contains(names[:i], n) {
			panic(fmt.Sprintf("connectors: Register %s: alias %q listed twice", p.Name, n))
		}
	}
	for _, n := range names {
		r.exact[n] = e
	}
	for _, a := range p.Aliases {
		simple := a[strings.LastIndexByte(a, '.')+1:]
		r.derive(simple, e)
		if short, ok := strings.CutSuffix(simple, p.Type.suffix()); ok && short != "" {
			r.derive(short, e)
		}
	}
	r.entries = append(r.entries, e)
}

// derive records a derived name, marking it ambiguous when two plugins
// derive it.
func (r *Registry) derive(name string, e *entry) {
	if name == "" {
		return
	}
	if prev, seen := r.derived[name]; seen && prev != e {
		r.derived[name] = nil
		return
	}
	r.derived[name] = e
}

// Lookup finds a plugin by name, alias, simple class name, or simple class
// name without its type suffix (for connectors "Connector"), as Kafka
// Connect resolves connector.class. The error wraps ErrUnknownPlugin.
func (r *Registry) Lookup(nameOrAlias string) (Plugin, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e, ok := r.exact[nameOrAlias]; ok {
		return clonePlugin(e.p), nil
	}
	if e := r.derived[nameOrAlias]; e != nil {
		return clonePlugin(e.p), nil
	}
	return Plugin{}, fmt.Errorf("%w %q", ErrUnknownPlugin, nameOrAlias)
}

// List returns the plugins of the given types (all types when none is
// given), grouped by type in the order of the arguments (source, sink,
// converter, header_converter, transformation, predicate by default) and
// sorted by Class within a type, as GET /connector-plugins lists them. A
// converter whose instances also implement HeaderConverter is listed a
// second time among header converters, with Type set to header_converter.
func (r *Registry) List(types ...PluginType) []Plugin {
	if len(types) == 0 {
		types = pluginTypes
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Plugin
	for _, t := range types {
		start := len(out)
		for _, e := range r.entries {
			switch {
			case e.p.Type == t:
				out = append(out, clonePlugin(e.p))
			case t == PluginHeaderConverter && e.header:
				p := clonePlugin(e.p)
				p.Type = PluginHeaderConverter
				out = append(out, p)
			}
		}
		slices.SortFunc(out[start:], func(a, b Plugin) int {
			return cmp.Or(cmp.Compare(a.Class(), b.Class()), cmp.Compare(a.Name, b.Name))
		})
	}
	return out
}

func clonePlugin(p Plugin) Plugin {
	p.Aliases = slices.Clone(p.Aliases)
	return p
}
