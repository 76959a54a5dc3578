package ui

import "errors"

// ErrInvalidConfig is wrapped by New's errors: a Config it cannot use.
var ErrInvalidConfig = errors.New("ui: invalid config")
