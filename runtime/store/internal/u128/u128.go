// Package u128 is unsigned 128-bit arithmetic for the rate limiters of the
// memory and Redis stores, whose admission test multiplies a count by a
// window in nanoseconds and must not round or overflow.
package u128

import "math/bits"

// U128 is an unsigned 128-bit integer.
type U128 struct{ hi, lo uint64 }

// Mul returns a × b.
func Mul(a, b uint64) U128 {
	hi, lo := bits.Mul64(a, b)
	return U128{hi, lo}
}

// Add returns a + b, modulo 2^128.
func (a U128) Add(b U128) U128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	return U128{hi, lo}
}

// Sub returns a − b, modulo 2^128.
func (a U128) Sub(b U128) U128 {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, borrow)
	return U128{hi, lo}
}

// Less reports whether a < b.
func (a U128) Less(b U128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// CeilDiv returns ⌈a/d⌉, or the largest uint64 when it does not fit.
func CeilDiv(a U128, d uint64) uint64 {
	if a.hi >= d {
		return ^uint64(0)
	}
	q, r := bits.Div64(a.hi, a.lo, d)
	if r > 0 {
		q++
	}
	return q
}

// From returns v as a U128.
func From(v uint64) U128 { return U128{lo: v} }
