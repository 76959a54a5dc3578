package log

import "hash/maphash"

// offsetMap maps record keys to the offset of their latest record over the
// dirty part of a log, the core of a cleaning pass (Kafka's SkimpyOffsetMap).
//
// Keys are not stored: each is reduced to a 128-bit digest made of two
// independently seeded maphash values, as Kafka keeps 16-byte MD5 digests.
// With n keys the chance that two different keys share a digest is about
// n²/2¹²⁹ (1e-27 for a million keys), far below the odds of undetected disk
// corruption. The seeds are random per process, so clients cannot pick keys
// that collide on purpose and have someone else's latest record removed.
//
// The table is open-addressed with linear probing, 24 bytes a slot, grown by
// doubling up to a fixed number of slots; a full map ends the pass's dirty
// range early and the next pass carries on.
type offsetMap struct {
	seed1, seed2 maphash.Seed
	slots        []mapSlot
	mask         uint64
	n            int   // keys stored
	maxSlots     int   // power of two; the table never grows beyond it
	sink         int64 // keeps prefetching loads alive
}

// mapSlot is one entry. off holds the offset plus one, so the zero slot is
// empty.
type mapSlot struct {
	h1, h2 uint64
	off    int64
}

const (
	mapSlotBytes    = 24
	minMapSlots     = 1 << 12
	mapLoadPercent  = 75 // grow (or report full) beyond this load
	defaultMapBytes = 128 << 20
)

// newOffsetMap returns an empty map that may use up to maxBytes of slots
// (at least minMapSlots).
func newOffsetMap(maxBytes int) *offsetMap {
	if maxBytes <= 0 {
		maxBytes = defaultMapBytes
	}
	maxSlots := minMapSlots
	for maxSlots*2*mapSlotBytes <= maxBytes {
		maxSlots *= 2
	}
	return &offsetMap{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), maxSlots: maxSlots}
}

// reset empties the map for a new pass, keeping its table.
func (m *offsetMap) reset() {
	clear(m.slots)
	m.n = 0
}

// capacity is the largest number of keys the map can hold.
func (m *offsetMap) capacity() int { return m.maxSlots * mapLoadPercent / 100 }

// hash returns the two halves of key's digest.
func (m *offsetMap) hash(key []byte) (uint64, uint64) {
	return maphash.Bytes(m.seed1, key), maphash.Bytes(m.seed2, key)
}

// put records off as the latest offset of the key with digest (h1, h2). It
// reports false, storing nothing, when a new key would exceed capacity.
func (m *offsetMap) put(h1, h2 uint64, off int64) bool {
	if (m.n+1)*100 > len(m.slots)*mapLoadPercent {
		if len(m.slots) >= m.maxSlots {
			if i, found := m.find(h1, h2); found {
				m.slots[i].off = off + 1
				return true
			}
			return false
		}
		m.grow()
	}
	i, found := m.find(h1, h2)
	if !found {
		m.slots[i].h1, m.slots[i].h2 = h1, h2
		m.n++
	}
	m.slots[i].off = off + 1
	return true
}

// get returns the latest offset recorded for the digest.
func (m *offsetMap) get(h1, h2 uint64) (int64, bool) {
	if m.n == 0 {
		return 0, false
	}
	i, found := m.find(h1, h2)
	if !found {
		return 0, false
	}
	return m.slots[i].off - 1, true
}

// find returns the slot holding the digest, or the empty slot where it
// would go. The table always has an empty slot.
func (m *offsetMap) find(h1, h2 uint64) (int, bool) {
	i := h1 & m.mask
	for {
		s := &m.slots[i]
		if s.off == 0 {
			return int(i), false
		}
		if s.h1 == h1 && s.h2 == h2 {
			return int(i), true
		}
		i = (i + 1) & m.mask
	}
}

// grow doubles the table (or allocates the first one) and reinserts every
// key.
func (m *offsetMap) grow() {
	n := max(minMapSlots, len(m.slots)*2)
	n = min(n, m.maxSlots)
	old := m.slots
	m.slots = make([]mapSlot, n)
	m.mask = uint64(n - 1)
	for _, s := range old {
		if s.off == 0 {
			continue
		}
		i := s.h1 & m.mask
		for m.slots[i].off != 0 {
			i = (i + 1) & m.mask
		}
		m.slots[i] = s
	}
}

// keyDigest is a key's digest with a record offset. A pass collects them
// for a whole batch before touching the map, so that the map accesses, each
// a likely cache miss in a table of tens of megabytes, run in a tight loop
// where the processor overlaps them.
type keyDigest struct {
	h1, h2 uint64
	off    int64
}

// prefetchAhead is how many digests ahead of the current one a batch
// operation touches the slot of, to start its cache miss early.
const prefetchAhead = 16

// touch loads the home slot of digest ds[i+prefetchAhead], if any, and
// returns a value that depends on it so the load is not optimised away.
func (m *offsetMap) touch(ds []keyDigest, i int) int64 {
	if j := i + prefetchAhead; j < len(ds) && len(m.slots) > 0 {
		return m.slots[ds[j].h1&m.mask].off
	}
	return 0
}

// putAll puts the digests in order, so a later offset of a key wins. The
// caller has checked that they fit.
func (m *offsetMap) putAll(ds []keyDigest) {
	var sink int64
	for i := range ds {
		sink += m.touch(ds, i)
		m.put(ds[i].h1, ds[i].h2, ds[i].off)
	}
	m.sink += sink
}

// latestAll sets latest[i] to the mapped offset of ds[i], or -1.
func (m *offsetMap) latestAll(ds []keyDigest, latest []int64) {
	var sink int64
	for i := range ds {
		sink += m.touch(ds, i)
		off, ok := m.get(ds[i].h1, ds[i].h2)
		if !ok {
			off = -1
		}
		latest[i] = off
	}
	m.sink += sink
}
