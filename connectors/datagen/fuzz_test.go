package datagen

import (
	"errors"
	"testing"
	"time"
)

// FuzzSchemaText feeds arbitrary schema.string values to the parser and
// compiler: they must fail with ErrInvalidSchema or produce generators
// whose records match their schema, and never panic.
func FuzzSchemaText(f *testing.F) {
	for _, q := range QuickstartNames() {
		text, _ := quickstartFS.ReadFile("quickstarts/" + q + ".avsc")
		f.Add(string(text))
	}
	f.Add(`{"name":"p","fields":[{"name":"id","type":"int64","generator":"{number:1,1000}"},{"name":"n","type":"string","generator":"{firstname} ##?"}]}`)
	f.Add(`{"fields":[{"name":"a","type":"string","regex":"(ab|c){2,4}[^x]*"},{"name":"b","type":"int32","iteration":{"start":5,"step":-2,"restart":-3}}]}`)
	f.Add(`{"type":"record","name":"r","fields":[{"name":"m","type":{"type":"map","values":["null","long"],"arg.properties":{"length":{"min":1,"max":4}}}}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := compileText(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidSchema) {
				t.Fatalf("error %v does not wrap ErrInvalidSchema", err)
			}
			return
		}
		g := newGenCtx(time.Now)
		for i := range int64(5) {
			g.seedFor(uint64(i), i*7)
			v := c.root.gen(g)
			if g.err != nil {
				return // generators may fail at run time; Poll reports it
			}
			if err := c.schema.Validate(v); err != nil {
				t.Fatalf("record does not match its schema: %v", err)
			}
		}
	})
}
