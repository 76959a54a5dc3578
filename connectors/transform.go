package connectors

// Transformation is a single message transform (Kafka's Transformation):
// it changes, reroutes or drops one record at a time. The runtime makes one
// instance per alias per task, calls Configure once with the alias's
// settings (transforms.<alias>.* with the prefix removed, without type,
// predicate and negate), then Apply for each record from the task's
// goroutine, and Close at the end.
type Transformation interface {
	// Configure sets the transform up.
	Configure(config map[string]string) error
	// Apply returns the transformed record: rec itself when nothing
	// changes, a modified rec.Copy() otherwise (rec must not be modified),
	// or nil to drop the record. Errors are handled per errors.tolerance.
	Apply(rec *Record) (*Record, error)
	// Close releases the transform's resources.
	Close() error
}

// Predicate decides whether a transform applies to a record (Kafka's
// Predicate, KIP-585). It is configured from predicates.<alias>.* and used
// like a Transformation.
type Predicate interface {
	// Configure sets the predicate up.
	Configure(config map[string]string) error
	// Test reports whether rec matches; it must not modify rec. Errors
	// are handled per errors.tolerance.
	Test(rec *Record) (bool, error)
	// Close releases the predicate's resources.
	Close() error
}
