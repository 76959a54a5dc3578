// Package arena lends out byte slices carved from reusable chunks. A
// chunk goes back into use once every slice carved from it has been
// released, so a steady stream of short-lived byte values (a record's
// converted key and value, from conversion until Kafka acknowledges it)
// costs neither an allocation each nor the garbage collector's time.
//
// Releasing is a promise: after Release nothing may read or write the
// slice, since the next value is written over it.
package arena

import (
	"sync"
	"sync/atomic"
)

// ChunkSize is the size of one chunk. Values larger than a chunk are
// never carved: they stay ordinary allocations.
const ChunkSize = 64 << 10

// chunks holds chunks nobody uses, shared by every Arena; like any
// sync.Pool it lets go of them when the collector finds them idle.
var chunks = sync.Pool{New: func() any { return &Chunk{buf: make([]byte, ChunkSize)} }}

// Chunk is the memory a carved slice lives in. Each carved slice holds
// one reference to it, and the arena one while it carves from it.
type Chunk struct {
	buf  []byte
	refs atomic.Int32
}

// Release drops one reference: the caller no longer uses the slice it
// was given with c. The last one returns the chunk for reuse. A nil
// Chunk (the slice was not carved) is a no-op.
func (c *Chunk) Release() {
	if c == nil {
		return
	}
	switch n := c.refs.Add(-1); {
	case n == 0:
		chunks.Put(c)
	case n < 0:
		panic("arena: chunk released more often than it was lent")
	}
}

// Arena carves slices from one chunk at a time. It is not safe for
// concurrent use, but the chunks it lends may be released from any
// goroutine.
type Arena struct {
	cur  *Chunk
	used int // bytes of cur already lent
	last int // the size of the last slice carved, to guess the next
}

// Tail returns an empty slice whose capacity is the free rest of the
// current chunk, for the caller to append the next value to and hand
// the result to Keep.
func (a *Arena) Tail() []byte {
	if a.cur == nil || ChunkSize-a.used < a.last {
		a.next()
	}
	return a.cur.buf[a.used:a.used:ChunkSize]
}

// Keep takes b, the result of appending to the slice Tail returned, and
// returns it with the chunk to release it with. When the value outgrew
// the tail, append moved it to memory of its own: b comes back as it is
// with a nil chunk, and the arena moves on to a fresh chunk. A nil b
// stays nil.
func (a *Arena) Keep(b []byte) ([]byte, *Chunk) {
	if b == nil {
		return nil, nil
	}
	if cap(b) != ChunkSize-a.used {
		// Reallocated: appending past a slice's capacity always gives
		// it a larger one.
		a.last = min(len(b), ChunkSize)
		a.next()
		return b, nil
	}
	n := len(b)
	a.used += n
	a.last = n
	a.cur.refs.Add(1)
	return b[:n:n], a.cur
}

// next lets go of the current chunk and starts carving from another.
func (a *Arena) next() {
	a.cur.Release()
	a.cur = chunks.Get().(*Chunk)
	a.cur.refs.Store(1)
	a.used = 0
}

// Close lets go of the current chunk; slices still lent stay valid
// until released.
func (a *Arena) Close() {
	a.cur.Release()
	a.cur = nil
}
