package connectcli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"conflux/configs"
	"conflux/runtime"
)

// ConnectorSpec is a connector as read from a file: its name, its config
// and, from Kafka Connect's create request shape, its initial state.
type ConnectorSpec struct {
	// Name is the connector's name; empty if the file gave none.
	Name string
	// Config is the connector's config. When Name is set it holds the
	// same "name", as Kafka Connect requires of the two.
	Config map[string]string
	// InitialState is the create request's initial_state, empty if none.
	InitialState string
}

// FileFormat is how a connector file is written.
type FileFormat int

// Connector file formats.
const (
	// FormatAuto picks JSON when the file name ends in .json or the first
	// character that is not blank is '{', else properties.
	FormatAuto FileFormat = iota
	// FormatProperties is a Java .properties file of config keys, as
	// Kafka Connect's standalone mode takes.
	FormatProperties
	// FormatJSON is either of Kafka Connect's JSON shapes: the create
	// request {"name":…,"config":{…}} or a flat config object.
	FormatJSON
)

// ReadConnectorSpec reads a connector from path ("-" is stdin) with
// ParseConnectorSpec, guessing the format from the name and content, and
// applies name, when not empty, as the connector's name: it replaces the
// file's name in Name and in Config.
func ReadConnectorSpec(path string, stdin io.Reader, name string) (ConnectorSpec, error) {
	data, err := readInput(path, stdin)
	if err != nil {
		return ConnectorSpec{}, err
	}
	format := FormatAuto
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		format = FormatJSON
	case ".properties":
		format = FormatProperties
	}
	spec, err := ParseConnectorSpec(data, format)
	if err != nil {
		return ConnectorSpec{}, fmt.Errorf("%s: %w", displayName(path), err)
	}
	if name = strings.TrimSpace(name); name != "" {
		spec.Name = name
		spec.Config["name"] = name
	}
	return spec, nil
}

// readInput reads a whole file, or stdin for "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return data, nil
}

func displayName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}

// ParseConnectorSpec parses a connector file: a Java .properties file of
// config keys (read with configs.ParseProperties), or JSON in either shape
// Kafka Connect uses, the create request {"name":…,"config":{…},
// "initial_state":…} (recognised by its "config" object) or a flat config
// object. JSON numbers and booleans become strings as written; null,
// arrays and objects are not config values. The name comes from the
// request's "name" or the config's "name", which must agree, and is put in
// the config.
func ParseConnectorSpec(data []byte, format FileFormat) (ConnectorSpec, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if format == FormatAuto {
		format = FormatProperties
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
			format = FormatJSON
		}
	}
	var (
		spec ConnectorSpec
		err  error
	)
	if format == FormatJSON {
		spec, err = parseJSONSpec(data)
	} else {
		spec.Config, err = configs.ParseProperties(bytes.NewReader(data))
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		}
	}
	if err != nil {
		return ConnectorSpec{}, err
	}
	configName, hasName := spec.Config[configs.KeyName]
	switch {
	case spec.Name == "":
		spec.Name = strings.TrimSpace(configName)
	case hasName && configName != spec.Name:
		return ConnectorSpec{}, fmt.Errorf("%w: name %q differs from the config's name %q", ErrInvalidArgument, spec.Name, configName)
	}
	if spec.Name != "" && !hasName {
		spec.Config[configs.KeyName] = spec.Name
	}
	return spec, nil
}

// parseJSONSpec parses either JSON shape.
func parseJSONSpec(data []byte) (ConnectorSpec, error) {
	var top map[string]any
	if err := decodeJSON(data, &top); err != nil {
		return ConnectorSpec{}, err
	}
	if top == nil {
		return ConnectorSpec{}, fmt.Errorf("%w: want a JSON object, got null", ErrInvalidArgument)
	}
	var spec ConnectorSpec
	inner, wrapped := top["config"].(map[string]any)
	if !wrapped {
		config, err := configStrings(top)
		spec.Config = config
		return spec, err
	}
	for k, v := range top {
		switch k {
		case "config":
		case "name", "initial_state":
			s, ok := v.(string)
			if !ok {
				return ConnectorSpec{}, fmt.Errorf("%w: %q must be a string, not %s", ErrInvalidArgument, k, jsonKind(v))
			}
			if k == "name" {
				spec.Name = strings.TrimSpace(s)
			} else {
				spec.InitialState = strings.ToUpper(strings.TrimSpace(s))
			}
		default:
			return ConnectorSpec{}, fmt.Errorf("%w: unknown field %q beside \"config\" (want name, config, initial_state)", ErrInvalidArgument, k)
		}
	}
	config, err := configStrings(inner)
	spec.Config = config
	return spec, err
}

// configStrings converts a JSON object into a config map, scalars written
// as Kafka Connect reads them into a Map<String, String>.
func configStrings(m map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("%w: the value of %q must be a string, number or boolean, not %s", ErrInvalidArgument, k, jsonKind(v))
		}
	}
	return out, nil
}

// decodeJSON decodes exactly one JSON value into v, numbers as
// json.Number, and says where the input is malformed.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(data, syn.Offset-1) // Offset counts the bad byte
			return fmt.Errorf("%w: invalid JSON at line %d, column %d: %v", ErrInvalidArgument, line, col, err)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: no JSON value", ErrInvalidArgument)
		}
		return fmt.Errorf("%w: invalid JSON: %v", ErrInvalidArgument, err)
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n", rune(data[off])) {
			off++
		}
		line, col := position(data, off)
		return fmt.Errorf("%w: invalid JSON: unexpected data after the value at line %d, column %d", ErrInvalidArgument, line, col)
	}
	return nil
}

// position returns the 1-based line and column of the byte at index off.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// ReadOffsets reads the body of an offsets alteration from path ("-" is
// stdin): Kafka Connect's {"offsets":[{"partition":{…},"offset":{…}}]}, or
// the bare list. A null offset removes the partition's offset; every entry
// needs a partition. Numbers are kept as written.
func ReadOffsets(path string, stdin io.Reader) (runtime.ConnectorOffsets, error) {
	data, err := readInput(path, stdin)
	if err != nil {
		return runtime.ConnectorOffsets{}, err
	}
	offsets, err := ParseOffsets(data)
	if err != nil {
		return runtime.ConnectorOffsets{}, fmt.Errorf("%s: %w", displayName(path), err)
	}
	return offsets, nil
}

// ParseOffsets parses what ReadOffsets reads.
func ParseOffsets(data []byte) (runtime.ConnectorOffsets, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var out runtime.ConnectorOffsets
	var top any
	if err := decodeJSON(data, &top); err != nil {
		return out, err
	}
	list, ok := top.([]any)
	if obj, isObj := top.(map[string]any); isObj {
		list, ok = obj["offsets"].([]any)
	}
	if !ok {
		return out, fmt.Errorf("%w: want {\"offsets\":[{\"partition\":{…},\"offset\":{…}}, …]} or the bare list", ErrInvalidArgument)
	}
	if len(list) == 0 {
		return out, fmt.Errorf("%w: the offsets list is empty", ErrInvalidArgument)
	}
	for i, e := range list {
		entry, ok := e.(map[string]any)
		if !ok {
			return out, fmt.Errorf("%w: offsets[%d] must be an object, not %s", ErrInvalidArgument, i, jsonKind(e))
		}
		var po runtime.PartitionOffset
		if po.Partition, ok = entry["partition"].(map[string]any); !ok {
			return out, fmt.Errorf("%w: offsets[%d].partition must be an object, not %s", ErrInvalidArgument, i, jsonKind(entry["partition"]))
		}
		if raw := entry["offset"]; raw != nil {
			if po.Offset, ok = raw.(map[string]any); !ok {
				return out, fmt.Errorf("%w: offsets[%d].offset must be an object or null, not %s", ErrInvalidArgument, i, jsonKind(raw))
			}
		}
		out.Offsets = append(out.Offsets, po)
	}
	return out, nil
}
