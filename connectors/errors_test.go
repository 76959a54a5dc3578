package connectors

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestDataError(t *testing.T) {
	err := DataErrorf("bad %s: %w", "thing", io.EOF)
	if err.Error() != "bad thing: EOF" || !errors.Is(err, ErrData) || !errors.Is(err, io.EOF) {
		t.Fatalf("%v", err)
	}
	wrapped := fmt.Errorf("convert: %w", err)
	var de *DataError
	if !errors.As(wrapped, &de) || !errors.Is(wrapped, ErrData) {
		t.Fatal("wrapping lost the kind")
	}
}

func TestRetriable(t *testing.T) {
	if Retriable(nil) != nil || RetriableAfter(nil, time.Second) != nil {
		t.Fatal("nil not kept")
	}
	err := fmt.Errorf("put: %w", RetriableAfter(io.ErrUnexpectedEOF, time.Second))
	var re *RetriableError
	if !errors.Is(err, ErrRetriable) || !errors.As(err, &re) || re.Backoff != time.Second || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%v", err)
	}
	if errors.Is(io.EOF, ErrRetriable) {
		t.Fatal("plain error is retriable")
	}
}
