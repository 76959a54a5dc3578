package transforms

import (
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"conflux/configs"
	"conflux/connectors"
)

// exprEnv is what an expression sees of a record. Structs appear as maps
// of their fields (value.amount), Decimals as float64, dates and
// timestamps as time.Time; headers map each header name to its last value.
type exprEnv struct {
	Key       any            `expr:"key"`
	Value     any            `expr:"value"`
	Headers   map[string]any `expr:"headers"`
	Topic     string         `expr:"topic"`
	Partition int            `expr:"partition"`
	Timestamp time.Time      `expr:"timestamp"`
}

// exprUses says which parts of the record a set of expressions reads, so
// that a record is converted only as far as needed.
type exprUses struct{ key, value, headers bool }

// program is one compiled expression.
type program struct {
	source string
	prog   *vm.Program
}

// compileExpression compiles src against the record environment; asBool
// requires a boolean result. A compile error says where the fault is, as
// "unexpected token ... at line 1, column 14", and is reported on key.
func compileExpression(key, src string, asBool bool, uses *exprUses) (program, error) {
	opts := []expr.Option{expr.Env(exprEnv{})}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return program{}, configs.Invalid(key, src, "Expression does not compile: "+describeExprError(err))
	}
	if tree, err := parser.Parse(src); err == nil {
		ast.Walk(&tree.Node, uses)
	}
	return program{source: src, prog: prog}, nil
}

// describeExprError turns expr's error into one line with the position.
func describeExprError(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s at line %d, column %d", fe.Message, fe.Line, fe.Column+1)
	}
	return err.Error()
}

// Visit records the record parts an expression names.
func (u *exprUses) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		switch id.Value {
		case "key":
			u.key = true
		case "value":
			u.value = true
		case "headers":
			u.headers = true
		}
	}
}

// expressionValidator checks that a key's value compiles.
func expressionValidator(asBool bool) configs.Validator {
	return configs.ValidatorFunc(func(name string, v any) error {
		_, err := compileExpression(name, v.(string), asBool, &exprUses{})
		return err
	})
}

// evaluator runs expressions over records. It reuses one VM and one
// environment, so it belongs to one goroutine, like the transform holding
// it.
type evaluator struct {
	uses    exprUses
	machine vm.VM
	env     exprEnv
	headers map[string]any
	// reuse lets load refill one map per Struct key and value instead of
	// making new ones per record. Only evaluators whose results cannot
	// hold the maps (boolean filters) may set it.
	reuse    bool
	keyMap   map[string]any
	valueMap map[string]any
}

// load fills the environment from rec.
func (e *evaluator) load(rec *connectors.Record) {
	e.env = exprEnv{Topic: rec.Topic, Partition: -1, Timestamp: rec.Timestamp}
	if rec.KafkaPartition != nil {
		e.env.Partition = int(*rec.KafkaPartition)
	}
	if e.uses.key {
		e.env.Key = e.plainTop(rec.Key, &e.keyMap)
	}
	if e.uses.value {
		e.env.Value = e.plainTop(rec.Value, &e.valueMap)
	}
	if e.uses.headers {
		if e.headers == nil {
			e.headers = make(map[string]any, len(rec.Headers))
		}
		clear(e.headers)
		for _, h := range rec.Headers {
			e.headers[h.Key] = plain(h.Value)
		}
		e.env.Headers = e.headers
	}
}

// run evaluates p over the loaded record. A runtime fault (a missing field
// used in arithmetic, a type mismatch) is a DataError naming what failed,
// so errors.tolerance decides what happens to the record.
func (e *evaluator) run(what string, p program) (any, error) {
	out, err := e.machine.Run(p.prog, &e.env)
	if err != nil {
		return nil, connectors.DataErrorf("%s: expression %q failed: %s", what, p.source, describeExprError(err))
	}
	return out, nil
}

// plainTop is plain for a record's key or value, refilling *m for a
// Struct when the evaluator reuses its maps.
func (e *evaluator) plainTop(v any, m *map[string]any) any {
	st, ok := v.(*connectors.Struct)
	if !ok || !e.reuse {
		return plain(v)
	}
	fields := st.Schema().Fields
	if *m == nil {
		*m = make(map[string]any, len(fields))
	}
	clear(*m)
	for i, f := range fields {
		(*m)[f.Name] = plain(st.At(i))
	}
	return *m
}

// plain converts a Connect value into what expressions handle: Structs
// become maps, Decimals float64, recursively.
func plain(v any) any {
	switch x := v.(type) {
	case *connectors.Struct:
		fields := x.Schema().Fields
		m := make(map[string]any, len(fields))
		for i, f := range fields {
			m[f.Name] = plain(x.At(i))
		}
		return m
	case connectors.Decimal:
		return x.Float64()
	case []any:
		for _, el := range x {
			switch el.(type) {
			case *connectors.Struct, connectors.Decimal, []any, map[string]any:
				out := make([]any, len(x))
				for i, el := range x {
					out[i] = plain(el)
				}
				return out
			}
		}
		return x
	case map[string]any:
		for _, el := range x {
			switch el.(type) {
			case *connectors.Struct, connectors.Decimal, []any, map[string]any:
				out := make(map[string]any, len(x))
				for k, el := range x {
					out[k] = plain(el)
				}
				return out
			}
		}
		return x
	}
	return v
}
