package convert

import "errors"

// Conversion failures are *connectors.DataError values (errors.Is(err,
// connectors.ErrData)) with Kafka Connect's messages; configuration
// failures from Configure are *configs.Error values. The sentinels below
// cover what is specific to this package.
var (
	// ErrUnsupportedEncoding is returned by StringConverter.Configure for a
	// converter.encoding other than UTF-8, ISO-8859-1 or US-ASCII.
	ErrUnsupportedEncoding = errors.New("unsupported encoding")

	// errTooDeep is the cause of a DataError for JSON or schemas nested
	// more deeply than maxDepth.
	errTooDeep = errors.New("nesting too deep")
)
