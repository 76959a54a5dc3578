package cluster

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hx decodes hex written with spaces, line breaks and "#" comments for
// readability.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	var digits []string
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		digits = append(digits, strings.Fields(line)...)
	}
	b, err := hex.DecodeString(strings.Join(digits, ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// The byte layouts below were written down field by field from Kafka
// Connect's protocol schemas (ConnectProtocol, IncrementalCooperative-
// ConnectProtocol), not produced by this package's encoder.
var (
	// v0 metadata of http://w1:8083 at config offset 42.
	metadataV0Hex = `
		0000  # version 0
		000e 687474703a2f2f77313a38303833  # url "http://w1:8083"
		000000000000002a  # config-offset 42
	`
	// v1 metadata without an allocation.
	metadataV1NullHex = `
		0001
		000e 687474703a2f2f77313a38303833
		000000000000002a
		ffffffff  # allocation null
	`
	// v2 metadata whose allocation runs connector a and its task 0.
	metadataV2AllocHex = `
		0002
		000e 687474703a2f2f77313a38303833
		000000000000002a
		0000003b  # allocation: 59 bytes
		  0002  # version 2
		  0000  # error NONE
		  0002 6d31  # leader "m1"
		  000e 687474703a2f2f77313a38303833  # leader-url
		  0000000000000029  # config-offset 41
		  00000001  # assignment: 1 connector
		    0001 61 00000002 ffffffff 00000000  # "a": [-1, 0]
		  00000000  # revoked: none
		  00000000  # delay 0
	`
	// v0 assignment: connector a with tasks 0 and 1, task b-2.
	assignmentV0Hex = `
		0000 0000
		0002 6d31
		000e 687474703a2f2f77313a38303833
		0000000000000007
		00000002
		  0001 61 00000003 ffffffff 00000000 00000001
		  0001 62 00000001 00000002`
	// v1 assignment: gains task a-1, loses connector b and task b-0,
	// rejoin in 1.5 s.
	assignmentV1Hex = `
		0001 0000
		0002 6d31
		000e 687474703a2f2f77313a38303833
		0000000000000007
		00000001
		  0001 61 00000001 00000001
		00000001
		  0001 62 00000002 ffffffff 00000000
		000005dc`
	// CONFIG_MISMATCH, v1, nothing assigned.
	mismatchV1Hex = `
		0001 0001
		0002 6d31
		000e 687474703a2f2f77313a38303833
		0000000000000009
		00000000
		00000000
		00000000`
)

const url1 = "http://w1:8083"

func TestMetadataGolden(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		md   WorkerMetadata
	}{
		{"v0", metadataV0Hex, WorkerMetadata{Version: 0, URL: url1, ConfigOffset: 42}},
		{"v1 without allocation", metadataV1NullHex, WorkerMetadata{Version: 1, URL: url1, ConfigOffset: 42}},
		{"v2 with allocation", metadataV2AllocHex, WorkerMetadata{Version: 2, URL: url1, ConfigOffset: 42,
			Allocation: &Assignment{Version: 2, Leader: "m1", LeaderURL: url1, ConfigOffset: 41,
				Assigned: Work{Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := hx(t, tt.hex)
			got, err := tt.md.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("encoded\n%x\nwant\n%x", got, want)
			}
			var back WorkerMetadata
			if err := back.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.md) {
				t.Fatalf("decoded %+v, want %+v", back, tt.md)
			}
		})
	}
}

func TestAssignmentGolden(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		a    Assignment
	}{
		{"v0", assignmentV0Hex, Assignment{Leader: "m1", LeaderURL: url1, ConfigOffset: 7,
			Assigned: Work{Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}, {"a", 1}, {"b", 2}}}}},
		{"v1", assignmentV1Hex, Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7,
			Assigned: Work{Tasks: []TaskID{{"a", 1}}},
			Revoked:  Work{Connectors: []string{"b"}, Tasks: []TaskID{{"b", 0}}},
			Delay:    1500 * time.Millisecond}},
		{"config mismatch", mismatchV1Hex, Assignment{Version: 1, Error: ConfigMismatch, Leader: "m1", LeaderURL: url1, ConfigOffset: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := hx(t, tt.hex)
			got, err := tt.a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("encoded\n%x\nwant\n%x", got, want)
			}
			var back Assignment
			if err := back.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.a) {
				t.Fatalf("decoded %+v, want %+v", back, tt.a)
			}
		})
	}
}

// TestEncodeNormalizes checks that unsorted, duplicated work is written
// once, in order, and that a delay is rounded up to whole milliseconds.
func TestEncodeNormalizes(t *testing.T) {
	a := Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7,
		Assigned: Work{Tasks: []TaskID{{"a", 1}, {"a", 1}}},
		Revoked:  Work{Connectors: []string{"b", "b"}, Tasks: []TaskID{{"b", 0}}},
		Delay:    1499*time.Millisecond + time.Microsecond}
	got, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := hx(t, assignmentV1Hex); string(got) != string(want) {
		t.Fatalf("encoded\n%x\nwant\n%x", got, want)
	}
}

// TestDecodeTolerance checks what Kafka's readers accept: v1+ fields
// missing at the end take their defaults, a null array reads as empty, and
// bytes a later version appends are ignored.
func TestDecodeTolerance(t *testing.T) {
	head := `0001 0000 0002 6d31 000e 687474703a2f2f77313a38303833 0000000000000007`
	tests := []struct {
		name string
		hex  string
		want Assignment
	}{
		{"ends after config offset", head,
			Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7}},
		{"ends after assignment", head + `00000001 0001 61 00000001 ffffffff`,
			Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7, Assigned: Work{Connectors: []string{"a"}}}},
		{"null arrays", head + `ffffffff ffffffff 00000064`,
			Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7, Delay: 100 * time.Millisecond}},
		{"negative delay", head + `00000000 00000000 ffffff9c`,
			Assignment{Version: 1, Leader: "m1", LeaderURL: url1, ConfigOffset: 7}},
		{"future version with an extra field", `0005` + head[4:] + `00000000 00000000 00000001 cafe`,
			Assignment{Version: 5, Leader: "m1", LeaderURL: url1, ConfigOffset: 7, Delay: time.Millisecond}},
		{"v0 followed by v1 fields", `0000` + head[4:] + `00000000 00000000 00000064`,
			Assignment{Leader: "m1", LeaderURL: url1, ConfigOffset: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Assignment
			if err := a.UnmarshalBinary(hx(t, tt.hex)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, tt.want) {
				t.Fatalf("decoded %+v, want %+v", a, tt.want)
			}
		})
	}
	var md WorkerMetadata
	if err := md.UnmarshalBinary(hx(t, `0001 000e 687474703a2f2f77313a38303833 000000000000002a`)); err != nil {
		t.Fatal(err)
	}
	if want := (WorkerMetadata{Version: 1, URL: url1, ConfigOffset: 42}); !reflect.DeepEqual(md, want) {
		t.Fatalf("v1 metadata without allocation field: %+v, want %+v", md, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	head := `0000 0000 0002 6d31 000e 687474703a2f2f77313a38303833 0000000000000007`
	assignments := []struct{ name, hex string }{
		{"empty", ``},
		{"negative version", `ffff 0000`},
		{"truncated string", `0000 0000 0005 6d31`},
		{"negative string length", `0000 0000 fffe`},
		{"v0 without assignment array", head},
		{"v0 null assignment array", head + `ffffffff`},
		{"array longer than the data", head + `7fffffff 0001 61`},
		{"truncated task list", head + `00000001 0001 61 00000002 ffffffff`},
	}
	for _, tt := range assignments {
		t.Run("assignment "+tt.name, func(t *testing.T) {
			var a Assignment
			if err := a.UnmarshalBinary(hx(t, tt.hex)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	metadata := []struct{ name, hex string }{
		{"empty", ``},
		{"truncated offset", `0000 0001 61 0000`},
		{"allocation longer than the data", `0001 0001 61 0000000000000001 00000010 0001`},
		{"malformed allocation", `0001 0001 61 0000000000000001 00000002 ffff`},
	}
	for _, tt := range metadata {
		t.Run("metadata "+tt.name, func(t *testing.T) {
			var md WorkerMetadata
			if err := md.UnmarshalBinary(hx(t, tt.hex)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", 1<<15)
	if _, err := (Assignment{Version: 1, Assigned: Work{Connectors: []string{long}}}).MarshalBinary(); err == nil {
		t.Error("assignment with a connector name of 32768 bytes encoded")
	}
	if _, err := (Assignment{Version: -1}).MarshalBinary(); err == nil {
		t.Error("assignment with version -1 encoded")
	}
	if _, err := (WorkerMetadata{Version: 1, URL: long}).MarshalBinary(); err == nil {
		t.Error("metadata with a URL of 32768 bytes encoded")
	}
}
