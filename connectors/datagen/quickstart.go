package datagen

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The quickstarts are Avro schemas with arg.properties hints, embedded from
// quickstarts/, so that they run on the same generator engine as user
// schemas. Their field names, types, key fields and value distributions
// follow Confluent's kafka-connect-datagen quickstarts of the same names.
//
//go:embed quickstarts/*.avsc
var quickstartFS embed.FS

// quickstarts maps each quickstart name to its default key field.
var quickstarts = map[string]string{
	"clickstream":  "ip",
	"inventory":    "id",
	"orders":       "orderid",
	"pageviews":    "viewtime",
	"product":      "id",
	"purchases":    "id",
	"ratings":      "rating_id",
	"stock_trades": "symbol",
	"transactions": "transaction_id",
	"users":        "userid",
}

// QuickstartNames returns the names of the built-in quickstarts, sorted.
func QuickstartNames() []string {
	names := make([]string, 0, len(quickstarts))
	for n := range quickstarts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

var (
	quickstartMu    sync.Mutex
	quickstartCache = make(map[string]*compiled)
)

// quickstart returns the compiled schema and default key field of a
// quickstart, matched case-insensitively as Confluent does. Compiled
// quickstarts are cached: they are immutable.
func quickstart(name string) (*compiled, string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	key, ok := quickstarts[name]
	if !ok {
		return nil, "", fmt.Errorf("%w %q; valid quickstarts are %s", ErrUnknownQuickstart, name, strings.Join(QuickstartNames(), ", "))
	}
	quickstartMu.Lock()
	defer quickstartMu.Unlock()
	if c := quickstartCache[name]; c != nil {
		return c, key, nil
	}
	text, err := quickstartFS.ReadFile("quickstarts/" + name + ".avsc")
	if err != nil {
		return nil, "", fmt.Errorf("quickstart %s: %w", name, err)
	}
	spec, err := parseSchemaText(string(text))
	if err != nil {
		return nil, "", fmt.Errorf("quickstart %s: %w", name, err)
	}
	c, err := compileSchema(spec)
	if err != nil {
		return nil, "", fmt.Errorf("quickstart %s: %w", name, err)
	}
	quickstartCache[name] = c
	return c, key, nil
}
