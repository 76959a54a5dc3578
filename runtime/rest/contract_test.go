package rest_test

import (
	"flag"
	"testing"

	"conflux/runtime"
	"conflux/runtime/rest/resttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the responses")

// TestContract runs the REST contract suite against the in-memory herder.
func TestContract(t *testing.T) {
	_ = update // read by resttest.RunContract through flag.Lookup
	resttest.RunContract(t, func(t *testing.T) runtime.Herder {
		return resttest.NewMemHerder(resttest.NewRegistry())
	})
}
