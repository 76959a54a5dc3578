package datagen

import (
	"math/rand/v2"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"conflux/connectors"
)

// Determinism. Every record is generated from a random stream that depends
// only on the task's seed and the record's iteration number (its position
// in the task's sequence): before each record the task's PCG source is
// reseeded with a mix of (seed, iteration). So record n is the same
// whatever happened before it, and resuming from a stored offset is O(1):
// set the iteration and go on. Confluent's connector instead chains seeds
// (each record's seed drawn from the previous one) and stores the next one
// in the offset; ours stores the task's constant seed.

// randSource is what generators draw from. *rand.Rand implements it.
type randSource interface {
	IntN(n int) int
	Uint64N(n uint64) uint64
	Uint64() uint64
	Float64() float64
}

// genCtx is the state generators read while producing one record. One
// exists per task; it is not safe for concurrent use.
type genCtx struct {
	pcg   *rand.PCG
	r     *rand.Rand
	faker *gofakeit.Faker
	iter  int64            // iteration number of the record being generated
	now   func() time.Time // for the "now" generator
	buf   []byte           // scratch space for building strings
	err   error            // first error of the current record
	// structs holds the records' Structs, many to an allocation.
	structs connectors.StructSlab
}

func newGenCtx(now func() time.Time) *genCtx {
	pcg := rand.NewPCG(0, 0)
	return &genCtx{
		pcg:   pcg,
		r:     rand.New(pcg),
		faker: gofakeit.NewFaker(pcg, false),
		now:   now,
	}
}

// seedFor prepares the random stream of record iter of the task whose seed
// is seed.
func (g *genCtx) seedFor(seed uint64, iter int64) {
	hi := mix64(seed)
	g.pcg.Seed(hi, mix64(hi^mix64(uint64(iter)+0x9e3779b97f4a7c15)))
	g.iter = iter
	g.err = nil
}

// fail records the first generator error of a record.
func (g *genCtx) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

// mix64 is SplitMix64's finalizer: a bijective scramble of 64 bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
