package cluster

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Versions of Kafka Connect's worker protocol; the version is the first
// int16 of both the member metadata and the assignment.
const (
	// VersionEager is the layout of the "default" sub-protocol.
	VersionEager int16 = 0
	// VersionCompatible is the layout of the "compatible" sub-protocol:
	// the metadata carries the member's allocation, the assignment its
	// revocations and the scheduled rebalance delay.
	VersionCompatible int16 = 1
	// VersionSessioned is the layout of the "sessioned" sub-protocol,
	// identical to VersionCompatible on the wire.
	VersionSessioned int16 = 2
)

// AssignmentError is the error code the leader puts in an assignment.
type AssignmentError int16

const (
	// NoError: the assignment is valid.
	NoError AssignmentError = 0
	// ConfigMismatch: the leader had not read the config topic as far as
	// some member had; every member reads the config topic to the
	// assignment's ConfigOffset and rejoins.
	ConfigMismatch AssignmentError = 1
)

// String returns the code's name as Kafka Connect logs it.
func (e AssignmentError) String() string {
	switch e {
	case NoError:
		return "NONE"
	case ConfigMismatch:
		return "CONFIG_MISMATCH"
	}
	return fmt.Sprintf("AssignmentError(%d)", int16(e))
}

// Assignment is what the group leader hands one worker in SyncGroup, byte
// for byte Kafka Connect's assignment:
//
//	v0:  version int16, error int16, leader string, leader-url string,
//	     config-offset int64, assignment [connector string, tasks [int32]]
//	v1+: the same, then revoked [connector string, tasks [int32]], delay int32
//
// Task -1 stands for the connector instance. Under the incremental protocols
// (v1+) Assigned holds only what the worker gains in this round and Revoked
// what it must stop; under the eager protocol (v0) Assigned is everything the
// worker runs. The Member passes its Handler the accumulated full assignment
// instead, so a worker never deals with increments.
type Assignment struct {
	// Version is the layout version; see VersionEager and friends.
	Version int16
	// Error tells whether the leader could assign.
	Error AssignmentError
	// Leader is the group leader's member id.
	Leader string
	// LeaderURL is the leader's advertised REST URL, where followers
	// forward writes.
	LeaderURL string
	// ConfigOffset is the config topic offset the assignment is based on;
	// a worker reads the config topic at least this far before acting.
	ConfigOffset int64
	// Assigned is the work given to the worker.
	Assigned Work
	// Revoked is the work the worker must stop (v1+ only).
	Revoked Work
	// Delay asks the worker to rejoin after this long, because work of a
	// departed worker is being held for it or will be spread once it
	// passes (v1+ only, milliseconds on the wire).
	Delay time.Duration
}

// WorkerMetadata is what a worker tells the group when it joins, byte for
// byte Kafka Connect's member metadata:
//
//	v0:  version int16, url string, config-offset int64
//	v1+: the same, then allocation nullable bytes
//
// The allocation is the worker's current assignment encoded as an
// Assignment, so that a leader knows what every worker is already running.
type WorkerMetadata struct {
	// Version is the layout version; see VersionEager and friends.
	Version int16
	// URL is the worker's advertised REST URL.
	URL string
	// ConfigOffset is how far the worker has read the config topic.
	ConfigOffset int64
	// Allocation is the worker's current assignment (v1+ only); nil when
	// it has none.
	Allocation *Assignment
}

// MarshalBinary encodes a in its Version's layout. It fails only for a
// negative version or a string longer than 32767 bytes.
func (a Assignment) MarshalBinary() ([]byte, error) {
	w := &writer{}
	a.write(w)
	return w.b, w.err
}

func (a Assignment) write(w *writer) {
	if a.Version < 0 {
		w.fail(fmt.Errorf("assignment version %d", a.Version))
		return
	}
	w.int16(a.Version)
	w.int16(int16(a.Error))
	w.string(a.Leader)
	w.string(a.LeaderURL)
	w.int64(a.ConfigOffset)
	w.work(a.Assigned)
	if a.Version >= VersionCompatible {
		w.work(a.Revoked)
		w.int32(delayMillis(a.Delay))
	}
}

// delayMillis rounds d up to whole milliseconds, so that a worker never
// rejoins before the leader is ready, within int32.
func delayMillis(d time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return int32(min(ms, math.MaxInt32))
}

// UnmarshalBinary decodes an assignment of any version. As in Kafka, fields
// a newer version appends are ignored, and a v1+ assignment that ends
// before its optional fields (assignment, revoked, delay) gets their
// defaults. Errors wrap ErrMalformed.
func (a *Assignment) UnmarshalBinary(data []byte) error {
	r := &reader{b: data}
	*a = Assignment{}
	a.read(r)
	if r.err != nil {
		*a = Assignment{}
		return fmt.Errorf("%w: assignment: %v", ErrMalformed, r.err)
	}
	return nil
}

func (a *Assignment) read(r *reader) {
	a.Version = r.version()
	a.Error = AssignmentError(r.int16())
	a.Leader = r.string()
	a.LeaderURL = r.string()
	a.ConfigOffset = r.int64()
	extended := a.Version >= VersionCompatible
	if extended && r.done() {
		return
	}
	a.Assigned = r.work(extended)
	if !extended || r.done() {
		return
	}
	a.Revoked = r.work(true)
	if r.done() {
		return
	}
	a.Delay = time.Duration(max(r.int32(), 0)) * time.Millisecond
}

// MarshalBinary encodes m in its Version's layout, the allocation in its
// own; Kafka Connect gives both the sub-protocol's version.
func (m WorkerMetadata) MarshalBinary() ([]byte, error) {
	w := &writer{}
	if m.Version < 0 {
		return nil, fmt.Errorf("worker metadata version %d", m.Version)
	}
	w.int16(m.Version)
	w.string(m.URL)
	w.int64(m.ConfigOffset)
	if m.Version >= VersionCompatible {
		if m.Allocation == nil {
			w.int32(-1)
		} else {
			alloc := &writer{}
			m.Allocation.write(alloc)
			if alloc.err != nil {
				return nil, alloc.err
			}
			w.bytes(alloc.b)
		}
	}
	return w.b, w.err
}

// UnmarshalBinary decodes worker metadata of any version, with the same
// tolerance as Assignment.UnmarshalBinary; a v1+ metadata without an
// allocation has a nil Allocation. Errors wrap ErrMalformed.
func (m *WorkerMetadata) UnmarshalBinary(data []byte) error {
	r := &reader{b: data}
	*m = WorkerMetadata{}
	m.Version = r.version()
	m.URL = r.string()
	m.ConfigOffset = r.int64()
	if r.err == nil && m.Version >= VersionCompatible && !r.done() {
		if b, ok := r.nullableBytes(); ok {
			var a Assignment
			if err := a.UnmarshalBinary(b); err != nil {
				*m = WorkerMetadata{}
				return fmt.Errorf("%w: worker metadata allocation: %v", ErrMalformed, err)
			}
			m.Allocation = &a
		}
	}
	if r.err != nil {
		*m = WorkerMetadata{}
		return fmt.Errorf("%w: worker metadata: %v", ErrMalformed, r.err)
	}
	return nil
}

// writer appends Kafka protocol primitives (big-endian integers, strings
// with an int16 length, bytes and arrays with an int32 length).
type writer struct {
	b   []byte
	err error
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) int16(v int16) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }
func (w *writer) int32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) int64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }

func (w *writer) string(s string) {
	if len(s) > math.MaxInt16 {
		w.fail(fmt.Errorf("string of %d bytes is longer than %d", len(s), math.MaxInt16))
		return
	}
	w.int16(int16(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) bytes(b []byte) {
	w.int32(int32(len(b)))
	w.b = append(w.b, b...)
}

// work writes w as an array of (connector, tasks) entries, connectors in
// name order, each with -1 first when the connector instance is included,
// then its tasks in order.
func (w *writer) work(wk Work) {
	units := setOf(wk).sorted()
	entries := 0
	for i, u := range units {
		if i == 0 || u.connector != units[i-1].connector {
			entries++
		}
	}
	w.int32(int32(entries))
	for i := 0; i < len(units); {
		j := i
		for j < len(units) && units[j].connector == units[i].connector {
			j++
		}
		w.string(units[i].connector)
		w.int32(int32(j - i))
		for _, u := range units[i:j] {
			w.int32(int32(u.task))
		}
		i = j
	}
}

// reader consumes Kafka protocol primitives; after the first error every
// read returns a zero value and err keeps the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
	r.b = nil
}

// done reports whether nothing is left to read (or reading failed).
func (r *reader) done() bool { return r.err != nil || len(r.b) == 0 }

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("%s needs %d bytes, %d left", what, n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) int16() int16 {
	if b := r.take(2, "int16"); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *reader) int32() int32 {
	if b := r.take(4, "int32"); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (r *reader) int64() int64 {
	if b := r.take(8, "int64"); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

func (r *reader) version() int16 {
	v := r.int16()
	if v < 0 && r.err == nil {
		r.fail("unsupported version %d", v)
	}
	return v
}

func (r *reader) string() string {
	n := r.int16()
	if n < 0 {
		r.fail("string length %d", n)
		return ""
	}
	return string(r.take(int(n), "string"))
}

// nullableBytes returns the bytes and true, or nil and false for null.
func (r *reader) nullableBytes() ([]byte, bool) {
	n := r.int32()
	if r.err != nil || n == -1 {
		return nil, false
	}
	if n < 0 {
		r.fail("bytes length %d", n)
		return nil, false
	}
	b := r.take(int(n), "bytes")
	return b, r.err == nil
}

// arrayLen reads an array length, checking that count elements of at least
// minSize bytes each can fit in what is left, so that a corrupt length never
// makes a large allocation. A null array (-1) reads as empty when nullable.
func (r *reader) arrayLen(minSize int, nullable bool) int {
	n := r.int32()
	if r.err != nil {
		return 0
	}
	if n == -1 && nullable {
		return 0
	}
	if n < 0 || int64(n)*int64(minSize) > int64(len(r.b)) {
		r.fail("array length %d with %d bytes left", n, len(r.b))
		return 0
	}
	return int(n)
}

// work reads an array of (connector, tasks) entries.
func (r *reader) work(nullable bool) Work {
	s := workSet{}
	for range r.arrayLen(6, nullable) {
		c := r.string()
		for range r.arrayLen(4, false) {
			s.add(unit{c, int(r.int32())})
		}
	}
	if r.err != nil {
		return Work{}
	}
	return s.work()
}
