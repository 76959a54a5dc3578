package transforms

import (
	"errors"
	"strings"
	"testing"

	"conflux/configs"
	"conflux/connectors"
)

var orderSchema = connectors.StructSchema().
	Field("id", connectors.Int64Schema).
	Field("price", connectors.Float64Schema).
	Field("quantity", connectors.Int32Schema).
	Field("country", connectors.StringSchema).
	MustBuild()

func order(id int64, price float64, qty int32, country string) *connectors.Record {
	rec := valueRecord(orderSchema, mustStruct(orderSchema, "id", id, "price", price, "quantity", qty, "country", country))
	rec.Headers.Add("src", "web", connectors.StringSchema)
	return rec
}

func TestExpressionFilter(t *testing.T) {
	f := newTransform(t, "filter", map[string]string{"expression": `value.price * value.quantity > 100 && headers["src"] == "web"`})
	for _, c := range []struct {
		rec  *connectors.Record
		keep bool
	}{
		{order(1, 60, 2, "FR"), true},
		{order(2, 10, 2, "FR"), false},
	} {
		out, err := f.Apply(c.rec)
		if err != nil {
			t.Fatal(err)
		}
		if (out != nil) != c.keep {
			t.Errorf("record %v: kept %v, want %v", c.rec.Value, out != nil, c.keep)
		}
	}
	// Schemaless values and the record's metadata.
	g := newTransform(t, "io.conflux.transforms.ExpressionFilter", map[string]string{"expression": `topic startsWith "ord" && partition == 0 && value.n in [1, 2]`})
	if out, _ := g.Apply(valueRecord(nil, map[string]any{"n": int64(2)})); out != nil {
		t.Error("topic test does not start with ord but the record was kept")
	}
	rec := valueRecord(nil, map[string]any{"n": int64(2)})
	rec.Topic = "orders"
	if out, _ := g.Apply(rec); out == nil {
		t.Error("a matching schemaless record was dropped")
	}
}

func TestExpressionCompileErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  map[string]string
		key  string
		want string
	}{
		{"filter", map[string]string{"expression": "value.amount >"}, "expression", "at line 1, column"},
		{"filter", map[string]string{"expression": `"not a bool"`}, "expression", "expected bool"},
		{"map", map[string]string{"set.total": "value.price *"}, "set.total", "at line 1, column"},
		{"map", map[string]string{"topic": "(("}, "topic", "Expression does not compile"},
		{"map", map[string]string{}, "set", "needs at least one"},
	} {
		err := configureError(t, c.name, c.cfg)
		var ce *configs.Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want an error on %s with %q", c.name, c.cfg, err, c.key, c.want)
		}
	}
}

func TestExpressionMap(t *testing.T) {
	m := newTransform(t, "map", map[string]string{
		"set.total":    "value.price * value.quantity",
		"set.quantity": "value.quantity + 1",
		"remove":       "country",
		"topic":        `"orders-" + lower(value.country)`,
		"key":          "value.id",
	})
	out, err := m.Apply(order(7, 2.5, 4, "FR"))
	if err != nil {
		t.Fatal(err)
	}
	checkStruct(t, out.Value, "id", int64(7), "price", 2.5, "quantity", int32(5), "total", 10.0)
	if out.Topic != "orders-fr" || out.Key != int64(7) || out.KeySchema.Type != connectors.TypeInt64 {
		t.Errorf("topic %s key %#v (%v)", out.Topic, out.Key, out.KeySchema)
	}
	if s := out.ValueSchema.Field("total").Schema; s.Type != connectors.TypeFloat64 || !s.Optional {
		t.Errorf("total schema %v, want optional FLOAT64", s)
	}
	again, _ := m.Apply(order(8, 1, 1, "DE"))
	if again.ValueSchema != out.ValueSchema {
		t.Error("records of one schema must share the derived schema")
	}
	out = applyOne(t, "map", map[string]string{"set.b": "value.a * 2", "remove": "c"}, valueRecord(nil, map[string]any{"a": int64(3), "c": 1}))
	if !connectors.ValuesEqual(out.Value, map[string]any{"a": int64(3), "b": int64(6)}) {
		t.Errorf("schemaless: %#v", out.Value)
	}
}

func TestExpressionRuntimeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  map[string]string
		rec  *connectors.Record
	}{
		{"filter", map[string]string{"expression": "value.price / value.missing > 1"}, order(1, 1, 1, "FR")},
		{"map", map[string]string{"set.x": `value.country + 1`}, order(1, 1, 1, "FR")},
		{"map", map[string]string{"topic": "value.id"}, order(1, 1, 1, "FR")},
		{"map", map[string]string{"set.quantity": `"many"`}, order(1, 1, 1, "FR")},
	} {
		err := applyErr(t, c.name, c.cfg, c.rec)
		if !errors.Is(err, connectors.ErrData) {
			t.Errorf("%s %v: %v, want a data error", c.name, c.cfg, err)
		}
	}
}
