package tolerance

import (
	"reflect"
	"strings"
	"time"

	"conflux/connectors"
)

// Context is the record an operation works on, as error handling needs to
// report it (Kafka Connect's ProcessingContext without the mutable state).
//
// A sink loop fills the consumed-record fields with the record exactly as it
// was read from Kafka: that is what the dead letter queue receives. A source
// loop sets Record to the record the task returned, before transforms. A nil
// *Context is fine for failures that concern no record.
//
// The operator only reads a Context. When a failure is reported to the dead
// letter queue, Key, Value and the header values are written asynchronously:
// the caller must not modify those byte slices afterwards (a consumer's
// records are never reused, so this holds naturally).
type Context struct {
	// Topic, Partition, Offset, Timestamp and TimestampType locate the
	// consumed record. A zero Timestamp means the record had none.
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     time.Time
	TimestampType connectors.TimestampType
	// Key, Value and Headers are the consumed record's raw bytes; nil Key
	// or Value is null.
	Key, Value []byte
	Headers    connectors.RawHeaders

	// Record is the Connect record when there is no consumed form: a
	// source record as polled, or a record a sink task made itself. When
	// set, the consumed-record fields are ignored, and the dead letter
	// queue cannot take the record (Kafka counts that as a produce
	// failure).
	Record *connectors.Record
}

// consumed reports whether c describes a record consumed from Kafka.
func (c *Context) consumed() bool { return c != nil && c.Record == nil && c.Topic != "" }

// className returns the name reported as the failing component's class:
// a string is used as it is, anything else is named by its Go type.
func className(component any) string {
	switch c := component.(type) {
	case nil:
		return "unknown"
	case string:
		return c
	}
	return typeName(reflect.TypeOf(component))
}

// typeName names a Go type fully, the way Kafka names a Java class by its
// fully qualified name: "*conflux/connectors.DataError" rather than %T's
// "*connectors.DataError", so that types from different packages with the
// same package name stay apart.
func typeName(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return "*" + typeName(t.Elem())
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// exceptionClass names err's type for __connect.errors.exception.class.name.
// fmt.Errorf's wrappers say nothing about the failure, so it looks through
// them to the first error of another type.
func exceptionClass(err error) string {
	for range 100 {
		if !isFmtWrapper(err) {
			break
		}
		next := unwrapFirst(err)
		if next == nil {
			break
		}
		err = next
	}
	return typeName(reflect.TypeOf(err))
}

// isFmtWrapper reports whether err was made by fmt.Errorf with %w.
func isFmtWrapper(err error) bool {
	t := reflect.TypeOf(err)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	e := t.Elem()
	return e.PkgPath() == "fmt" && (e.Name() == "wrapError" || e.Name() == "wrapErrors")
}

// unwrapFirst returns the error err wraps, or the first of several.
func unwrapFirst(err error) error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap()
	case interface{ Unwrap() []error }:
		if errs := u.Unwrap(); len(errs) > 0 {
			return errs[0]
		}
	}
	return nil
}

// errorChain renders err and everything it wraps, one error per line, in
// the shape of a Java stack trace without frames: "<type>: <message>" for
// err, then "Caused by: <type>: <message>" for each wrapped error, depth
// first. Go errors carry no stack, and the goroutine's stack at the time of
// reporting would show the error handler rather than the failure, so this
// chain is what __connect.errors.exception.stacktrace holds.
func errorChain(err error) string {
	var b strings.Builder
	writeChain(&b, err, 0)
	return b.String()
}

func writeChain(b *strings.Builder, err error, depth int) {
	if err == nil || depth > 64 {
		return
	}
	if depth > 0 {
		b.WriteString("\nCaused by: ")
	}
	b.WriteString(typeName(reflect.TypeOf(err)))
	b.WriteString(": ")
	b.WriteString(err.Error())
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		writeChain(b, u.Unwrap(), depth+1)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			writeChain(b, e, depth+1)
		}
	}
}
