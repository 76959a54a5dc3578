package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"conflux/configs"
)

// ReadConnectorFile reads a connector definition as Kafka Connect's
// standalone mode accepts them: a Java .properties file, or JSON either in
// the REST API's shape {"name": …, "config": {…}} or as a flat config
// object. The name comes from the file's name key (or the JSON's name).
// Values in JSON may be strings, numbers or booleans; they are stored as
// text, as Kafka Connect does.
func ReadConnectorFile(path string) (name string, config map[string]string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read connector file: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		name, config, err = parseConnectorJSON(data)
	} else {
		config, err = configs.ParseProperties(bytes.NewReader(data))
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if name == "" {
		name = config[configs.KeyName]
	}
	if strings.TrimSpace(name) == "" {
		return "", nil, fmt.Errorf("%s: the connector has no name (set %q)", path, configs.KeyName)
	}
	switch inner := config[configs.KeyName]; {
	case inner == "":
		config[configs.KeyName] = name
	case inner != name:
		// Kafka Connect's REST API refuses the same mismatch.
		return "", nil, fmt.Errorf("%s: connector name configuration (%s) doesn't match the connector's name (%s)", path, inner, name)
	}
	return name, config, nil
}

// parseConnectorJSON reads either JSON shape of a connector definition.
func parseConnectorJSON(data []byte) (string, map[string]string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var name string
	if raw, ok := doc["name"]; ok {
		if err := json.Unmarshal(raw, &name); err != nil {
			return "", nil, fmt.Errorf("name: %w", err)
		}
	}
	body := doc
	if raw, ok := doc["config"]; ok {
		body = nil
		if err := json.Unmarshal(raw, &body); err != nil {
			return "", nil, fmt.Errorf("config: not a JSON object: %w", err)
		}
	}
	config := make(map[string]string, len(body))
	for k, raw := range body {
		v, err := jsonText(raw)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", k, err)
		}
		config[k] = v
	}
	return name, config, nil
}

// jsonText renders a JSON scalar as the text Kafka Connect would store.
func jsonText(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return strings.TrimSpace(string(raw)), nil
	case nil:
		return "", fmt.Errorf("null is not a config value")
	}
	return "", fmt.Errorf("%s is not a string, number or boolean", raw)
}
