// Package slab hands out values and short slices carved from arrays
// allocated many at a time, for hot paths that would otherwise allocate
// once per record. An array stays in memory until nothing points into it
// any more, so a slab suits values that are released together, batch by
// batch, as records are.
package slab

// Slab carves values of type T from arrays of Size elements (or larger, for
// a slice longer than that). The zero value is ready to use, with arrays of
// 256; a Slab is not safe for concurrent use.
type Slab[T any] struct {
	// Size is how many elements one allocation holds; 0 means 256.
	Size int
	free []T
}

// One returns a pointer to a zeroed T.
func (s *Slab[T]) One() *T {
	s.refill(1)
	v := &s.free[0]
	s.free = s.free[1:]
	return v
}

// Slice returns an empty slice with room for n elements. Appending more
// than n reallocates it rather than overwrite the next slice carved.
func (s *Slab[T]) Slice(n int) []T {
	s.refill(n)
	v := s.free[:0:n]
	s.free = s.free[n:]
	return v
}

// refill starts a new array when fewer than n elements are left.
func (s *Slab[T]) refill(n int) {
	if len(s.free) < n {
		size := s.Size
		if size <= 0 {
			size = 256
		}
		s.free = make([]T, max(n, size))
	}
}
