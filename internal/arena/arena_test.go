package arena

import (
	"bytes"
	"testing"
)

// TestArenaCarvesAndCounts checks carved values are separate and clipped,
// and that each holds a reference to its chunk until released.
func TestArenaCarvesAndCounts(t *testing.T) {
	var a Arena
	defer a.Close()
	one, c1 := a.Keep(append(a.Tail(), "one"...))
	two, c2 := a.Keep(append(a.Tail(), "two"...))
	if c1 == nil || c1 != c2 {
		t.Fatalf("two small values were not carved from one chunk: %p %p", c1, c2)
	}
	if cap(one) != len(one) {
		t.Fatalf("a carved value has room to grow into its neighbour: len %d cap %d", len(one), cap(one))
	}
	one = append(one, '!') // must not overwrite two
	if string(two) != "two" || string(one) != "one!" {
		t.Fatalf("values overlap: %q %q", one, two)
	}
	if got := c1.refs.Load(); got != 3 {
		t.Fatalf("chunk references = %d, want 3 (two values and the arena)", got)
	}
	c1.Release()
	c2.Release()
	if got := c1.refs.Load(); got != 1 {
		t.Fatalf("after releasing both values the chunk has %d references, want the arena's 1", got)
	}
}

// TestArenaValueLargerThanItsTail checks a value that outgrows the chunk
// stays an allocation of its own and the arena moves to a fresh chunk.
func TestArenaValueLargerThanItsTail(t *testing.T) {
	var a Arena
	defer a.Close()
	small, c := a.Keep(append(a.Tail(), "x"...))
	big := bytes.Repeat([]byte{'b'}, ChunkSize)
	got, cb := a.Keep(append(a.Tail(), big...))
	if cb != nil || !bytes.Equal(got, big) {
		t.Fatalf("a value larger than the chunk was carved (chunk %p) or changed", cb)
	}
	after, c2 := a.Keep(append(a.Tail(), "y"...))
	if c2 == nil || c2 == c {
		t.Fatalf("after a reallocated value the arena kept carving from the old chunk")
	}
	if string(small) != "x" || string(after) != "y" {
		t.Fatalf("values changed: %q %q", small, after)
	}
	if a.Tail() == nil {
		t.Fatal("no tail")
	}
	c.Release()
	c2.Release()
}

// TestArenaMovesOnBeforeTheTailIsTooShort checks the arena starts a new
// chunk when the rest of the current one is shorter than the last value,
// instead of letting the next one outgrow it.
func TestArenaMovesOnBeforeTheTailIsTooShort(t *testing.T) {
	var a Arena
	defer a.Close()
	v := bytes.Repeat([]byte{'v'}, ChunkSize/3+1)
	var lent []*Chunk
	for i := range 3 {
		_, c := a.Keep(append(a.Tail(), v...))
		if c == nil {
			t.Fatalf("value %d was not carved", i)
		}
		lent = append(lent, c)
	}
	if lent[0] != lent[1] || lent[2] == lent[1] {
		t.Fatal("the third value was not carved from a fresh chunk")
	}
	for _, c := range lent {
		c.Release()
	}
}

// TestReleaseTwicePanics checks a double release, which would hand a
// value's memory to the next one while it is still in use, is caught.
func TestReleaseTwicePanics(t *testing.T) {
	var a Arena
	_, c := a.Keep(append(a.Tail(), "v"...))
	a.Close()
	c.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("a second release did not panic")
		}
	}()
	c.Release()
}

// TestNullStaysNull checks a nil value is neither carved nor referenced.
func TestNullStaysNull(t *testing.T) {
	var a Arena
	defer a.Close()
	if b, c := a.Keep(nil); b != nil || c != nil {
		t.Fatalf("Keep(nil) = %v, %p", b, c)
	}
}

// BenchmarkKeep measures carving and releasing a 2 KiB value.
func BenchmarkKeep(b *testing.B) {
	var a Arena
	defer a.Close()
	v := bytes.Repeat([]byte{'v'}, 2048)
	b.ReportAllocs()
	for b.Loop() {
		_, c := a.Keep(append(a.Tail(), v...))
		c.Release()
	}
}
