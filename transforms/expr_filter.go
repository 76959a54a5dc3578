package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var exprFilterDef = configs.NewDef(configs.Key{
	Name: "expression", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
	Validator:     expressionValidator(true),
	Documentation: "A boolean expression (expr-lang) over key, value, headers, topic, partition and timestamp; records for which it is false are dropped. Example: value.amount > 100 && headers[\"src\"] == \"web\".",
})

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "filter",
		Aliases:   []string{"io.conflux.transforms.ExpressionFilter"},
		Type:      connectors.PluginTransformation,
		Version:   Version,
		Summary:   "Keeps the records for which a boolean expression is true.",
		ConfigDef: exprFilterDef,
		New:       func() any { return &ExpressionFilter{} },
	})
}

// ExpressionFilter keeps records for which its expression is true and
// drops the others. The expression compiles once, in Configure.
type ExpressionFilter struct {
	nothingToClose
	keep program
	eval evaluator
}

// Configure compiles expression.
func (t *ExpressionFilter) Configure(config map[string]string) error {
	v, err := exprFilterDef.Parse(config)
	if err != nil {
		return err
	}
	t.eval = evaluator{reuse: true}
	t.keep, err = compileExpression("expression", v.String("expression"), true, &t.eval.uses)
	return err
}

// Apply evaluates the expression.
func (t *ExpressionFilter) Apply(rec *connectors.Record) (*connectors.Record, error) {
	t.eval.load(rec)
	keep, err := t.eval.run("filter", t.keep)
	if err != nil {
		return nil, err
	}
	if keep == true {
		return rec, nil
	}
	return nil, nil
}
