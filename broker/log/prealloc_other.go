//go:build !linux

package log

import (
	"errors"
	"os"
)

// reserveSpace is not available on this platform; segments grow as written.
func reserveSpace(*os.File, int64, int64) error { return errors.ErrUnsupported }
