package slab

import "testing"

// TestSlabCarves checks values come from shared arrays, slices keep to
// their room, and a slice longer than an array still fits.
func TestSlabCarves(t *testing.T) {
	s := Slab[int]{Size: 4}
	a, b := s.One(), s.One()
	*a, *b = 1, 2
	if *a != 1 || *b != 2 || a == b {
		t.Fatalf("two values share memory: %d %d", *a, *b)
	}
	h := s.Slice(2)
	next := s.Slice(2)        // a new array: only 0 were left
	h = append(h, 10, 11, 12) // beyond its room: reallocated
	next = append(next, 20, 21)
	if len(h) != 3 || h[2] != 12 || next[0] != 20 || next[1] != 21 {
		t.Fatalf("a slice grew into the next: %v %v", h, next)
	}
	if long := s.Slice(10); cap(long) != 10 || len(long) != 0 {
		t.Fatalf("slice of 10 from arrays of 4: len %d cap %d", len(long), cap(long))
	}
	var zero Slab[string]
	if v := zero.One(); *v != "" || cap(zero.free) != 255 {
		t.Fatalf("zero Slab: %q, %d left, want arrays of 256", *v, cap(zero.free))
	}
}
