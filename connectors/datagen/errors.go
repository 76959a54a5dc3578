package datagen

import "errors"

var (
	// ErrInvalidSchema is wrapped by every error about a schema definition
	// (schema.string, schema.filename or a quickstart): malformed JSON, an
	// unknown type, a generator that does not fit its field's type, or a
	// generator that failed while producing sample values.
	ErrInvalidSchema = errors.New("invalid datagen schema")

	// ErrUnknownQuickstart is wrapped by the error for a quickstart name
	// that is not built in.
	ErrUnknownQuickstart = errors.New("unknown datagen quickstart")

	// ErrBadOffset is wrapped by the error a task's Start returns when the
	// stored source offset of its partition lacks one of task.generation,
	// current.iteration or random.seed, or holds a non-integer there.
	ErrBadOffset = errors.New("malformed datagen source offset")

	// ErrGenerate is wrapped by the error Poll returns when a generator
	// fails at run time, for example a gofakeit template whose output does
	// not parse as the field's number type. It fails the task.
	ErrGenerate = errors.New("datagen generator failed")
)
