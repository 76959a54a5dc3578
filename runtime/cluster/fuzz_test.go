package cluster

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzAssignment feeds arbitrary bytes to the assignment decoder. It must
// never panic and fail only with ErrMalformed, and what it decodes must
// encode to bytes that decode to the same assignment.
func FuzzAssignment(f *testing.F) {
	for _, h := range []string{assignmentV0Hex, assignmentV1Hex, mismatchV1Hex} {
		f.Add(hx(f, h))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Assignment
		if err := a.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		enc, err := a.MarshalBinary()
		if err != nil {
			t.Fatalf("cannot encode decoded %+v: %v", a, err)
		}
		var back Assignment
		if err := back.UnmarshalBinary(enc); err != nil {
			t.Fatalf("cannot decode %x: %v", enc, err)
		}
		if !reflect.DeepEqual(a, back) {
			t.Fatalf("round trip changed\n%+v\nto\n%+v", a, back)
		}
	})
}

// FuzzWorkerMetadata does the same for member metadata.
func FuzzWorkerMetadata(f *testing.F) {
	for _, h := range []string{metadataV0Hex, metadataV1NullHex, metadataV2AllocHex} {
		f.Add(hx(f, h))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var md WorkerMetadata
		if err := md.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		enc, err := md.MarshalBinary()
		if err != nil {
			t.Fatalf("cannot encode decoded %+v: %v", md, err)
		}
		var back WorkerMetadata
		if err := back.UnmarshalBinary(enc); err != nil {
			t.Fatalf("cannot decode %x: %v", enc, err)
		}
		if !reflect.DeepEqual(md, back) {
			t.Fatalf("round trip changed\n%+v\nto\n%+v", md, back)
		}
	})
}
